import { escapeHtml } from "../../pages.ts";
import type { HostedMethod, StepContext } from "../context.ts";
import { alert, codeField, csrfField } from "../fields.ts";

/**
 * The email verification the signup policy asks (`require_email_verification`): not an auth method
 * but a step of the flow, after the first factor and before MFA and tokens.
 */

function verifyPage(ctx: StepContext, email: string, error?: string): string {
  return `<h1>Verify your email</h1>
${alert({ error })}<p>We sent a code to <strong>${escapeHtml(email)}</strong>. Enter it to continue.</p>
<form method="post" action="${ctx.base}/verify" novalidate>
${csrfField(ctx)}
${codeField()}
<button type="submit">Verify</button>
</form>
<form method="post" action="${ctx.base}/resend" class="alt">
${csrfField(ctx)}
<button type="submit">Send a new code</button>
</form>`;
}

export const emailVerificationStep: HostedMethod = {
  methods: [],
  steps: {
    verify: {
      async GET(ctx) {
        const pending = await ctx.deps.verification.pending(ctx.issuer.id, ctx.uid);
        if (!pending) {
          ctx.redirect(ctx.base);
          return;
        }
        ctx.page(200, "Verify your email", verifyPage(ctx, pending.email));
      },
      async POST(ctx) {
        const pending = await ctx.deps.verification.pending(ctx.issuer.id, ctx.uid);
        const outcome = await ctx.deps.verification.check(ctx.issuer.id, ctx.uid, ctx.form.get("code") ?? "");
        if (!outcome.ok) {
          if (outcome.reason === "expired") {
            ctx.redirect(ctx.base);
            return;
          }
          if (outcome.reason === "too_many_attempts") {
            ctx.page(
              429,
              "Verify your email",
              verifyPage(ctx, pending?.email ?? "", "Too many wrong codes. Send a new code."),
              {
                "retry-after": "60",
              },
            );
            return;
          }
          ctx.page(
            400,
            "Verify your email",
            verifyPage(ctx, pending?.email ?? "", "That code is wrong or has expired."),
          );
          return;
        }
        await ctx.deps.users.setEmailVerified(ctx.issuer.id, outcome.userId);
        await ctx.proceed();
      },
    },
    resend: {
      async POST(ctx) {
        await ctx.deps.verification.resend(ctx.issuer.id, ctx.uid, ctx.displayName);
        ctx.redirect(`${ctx.base}/verify`);
      },
    },
  },
};
