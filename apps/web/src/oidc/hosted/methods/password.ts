import { DomainError, type PoolUser, signupRefusal } from "@authpi/domain";
import { escapeHtml } from "../../pages.ts";
import type { HostedMethod, StepContext } from "../context.ts";
import { csrfField } from "../fields.ts";

/**
 * `password`: the email + password form on the sign-in page, and sign-up with a password. The
 * form also takes a temporary password (temporary-password.ts), which then must be replaced.
 */

export function signInForm(ctx: StepContext, email = ""): string {
  return `<form method="post" action="${ctx.base}/login" novalidate>
${csrfField(ctx)}
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required value="${escapeHtml(email)}" autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`;
}

function signUpForm(ctx: StepContext, values: { email?: string; name?: string; error?: string } = {}): string {
  return `${values.error ? `<p class="error" role="alert">${escapeHtml(values.error)}</p>\n` : ""}<form method="post" action="${ctx.base}/signup-password" novalidate>
${csrfField(ctx)}
<label for="name">Name</label>
<input id="name" name="name" type="text" autocomplete="name" value="${escapeHtml(values.name ?? "")}">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="email" required value="${escapeHtml(values.email ?? "")}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="new-password" required>
<button type="submit">Create account</button>
</form>`;
}

export const passwordMethod: HostedMethod = {
  methods: ["password"],
  signInEntry: (ctx) => signInForm(ctx, ctx.form.get("email") ?? ""),
  signUpEntry: (ctx) => signUpForm(ctx),
  steps: {
    login: {
      async POST(ctx) {
        const method = ctx.enabled("password") ?? ctx.enabled("temporary_password");
        const email = ctx.form.get("email") ?? "";
        const outcome = method
          ? await ctx.deps.passwords.signIn(ctx.issuer, { email, password: ctx.form.get("password") ?? "", ip: ctx.ip })
          : ({ ok: false, reason: "method_unavailable" } as const);
        if (!outcome.ok) {
          if (outcome.reason === "too_many_attempts") {
            ctx.showSignIn(429, "Too many attempts. Try again later.", {
              "retry-after": String(outcome.retryAfterSeconds),
            });
            return;
          }
          ctx.showSignIn(
            401,
            outcome.reason === "method_unavailable"
              ? "Password sign-in is not available here."
              : "Wrong email or password.",
          );
          return;
        }
        if (!method) return;
        await ctx.firstFactorPassed(outcome.user, {
          method: (outcome.temporary && ctx.enabled("temporary_password")) || method,
          amr: ["pwd"],
          mustChangePassword: outcome.temporary,
        });
      },
    },
    "signup-password": {
      async POST(ctx) {
        const method = ctx.enabled("password", "signup");
        if (!method || !ctx.signUpAllowed(method)) {
          ctx.fail(403, "access_denied", "Sign-up is not available here.");
          return;
        }
        const email = (ctx.form.get("email") ?? "").trim();
        const name = (ctx.form.get("name") ?? "").trim();
        const again = (error: string, status = 400) =>
          ctx.page(
            status,
            "Create an account",
            `<h1>Create an account</h1>\n${signUpForm(ctx, { email, name, error })}
<p class="alt">Already have an account? <a href="${ctx.base}">Sign in</a></p>`,
          );
        const refusal = signupRefusal(ctx.issuer.settings.signup, email);
        if (refusal === "email_domain_not_allowed") {
          again("Sign-up is limited to some email domains; this one is not among them.", 403);
          return;
        }
        if (refusal) {
          again("Sign-up is not available here.", 403);
          return;
        }
        // An email that already has an account reads like a new one ("check your email"); its owner
        // gets a notice instead of a code, so the page tells nobody which emails exist.
        if (await ctx.deps.users.findByEmail(ctx.issuer.id, email)) {
          await ctx.deps.verification.start(ctx.issuer.id, ctx.uid, { userId: null, email }, ctx.displayName);
          ctx.redirect(`${ctx.base}/verify`);
          return;
        }
        let user: PoolUser;
        try {
          user = await ctx.deps.users.signUp(ctx.issuer.id, {
            email,
            password: ctx.form.get("password") ?? "",
            ...(name ? { name } : {}),
          });
        } catch (error) {
          if (error instanceof DomainError) {
            again(error.code === "email_taken" ? "Check your email." : error.message);
            return;
          }
          throw error;
        }
        await ctx.firstFactorPassed(user, { method, amr: ["pwd"] });
      },
    },
  },
};
