import { DomainError } from "@authpi/domain";
import type { HostedMethod, StepContext } from "../context.ts";
import { alert, csrfField } from "../fields.ts";
import { signInForm } from "./password.ts";

/**
 * `temporary_password`: set through the users API, typed into the sign-in page's one email +
 * password form (password.ts's `login` step checks it, within its `ttl_seconds`). A sign-in with it
 * sets `mustChangePassword`, so the flow asks for a real password (`/change-password`, under the
 * issuer's password policy) before anything else; the new password ends the temporary one.
 */

function changePage(ctx: StepContext, error?: string): string {
  return `<h1>Choose a new password</h1>
${alert({ error })}<p>You signed in with a temporary password. Choose your own to continue.</p>
<form method="post" action="${ctx.base}/change-password" novalidate>
${csrfField(ctx)}
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="new-password" required autofocus>
<label for="password-confirm">Confirm password</label>
<input id="password-confirm" name="password_confirm" type="password" autocomplete="new-password" required>
<button type="submit">Set password</button>
</form>`;
}

export const temporaryPasswordMethod: HostedMethod = {
  methods: ["temporary_password"],
  // The password method's form serves both; without an enabled password method, this one shows it.
  signInEntry: (ctx) => (ctx.enabled("password") ? "" : signInForm(ctx, ctx.form.get("email") ?? "")),
  steps: {
    // A step of the flow rather than of the method: a sign-in that must change its password does
    // so even if the method was disabled meanwhile (it only ever sets the signed-in user's password).
    "change-password": {
      async GET(ctx) {
        if (!ctx.state.userId || !ctx.state.mustChangePassword) return ctx.redirect(ctx.base);
        ctx.page(200, "Choose a new password", changePage(ctx));
      },
      async POST(ctx) {
        const { userId } = ctx.state;
        if (!userId || !ctx.state.mustChangePassword) return ctx.redirect(ctx.base);
        const password = ctx.form.get("password") ?? "";
        if (password !== (ctx.form.get("password_confirm") ?? "")) {
          return ctx.page(400, "Choose a new password", changePage(ctx, "The two passwords differ."));
        }
        try {
          await ctx.deps.users.replaceTemporaryPassword(ctx.issuer.id, userId, password);
        } catch (error) {
          if (error instanceof DomainError && (error.code === "weak_password" || error.code === "validation_failed")) {
            const message = error.message.replace(/^password: /, "");
            return ctx.page(400, "Choose a new password", changePage(ctx, `This password ${message}.`));
          }
          throw error;
        }
        ctx.state = { ...ctx.state, mustChangePassword: false };
        await ctx.save();
        await ctx.proceed();
      },
    },
  },
};
