import { escapeHtml } from "../../pages.ts";
import type { HostedMethod, StepContext } from "../context.ts";
import { csrfField } from "../fields.ts";

/**
 * The MFA steps of the flow: `/mfa` lets a user who enrolled second factors choose which one to
 * prove, `/mfa-enrol` lets a user who must have one (policy `required`) choose which to enrol.
 * With one choice the step goes straight to it. The factors themselves (totp.ts, passkey.ts,
 * backup-codes.ts) declare their challenge and enrolment steps.
 */

function chooser(ctx: StepContext, title: string, intro: string, links: { href: string; label: string }[]): void {
  const first = links[0];
  if (links.length === 1 && first) {
    ctx.redirect(first.href);
    return;
  }
  ctx.page(
    200,
    title,
    `<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(intro)}</p>
<ul class="choices">
${links.map((link) => `<li><a href="${escapeHtml(link.href)}">${escapeHtml(link.label)}</a></li>`).join("\n")}
</ul>`,
  );
}

/** The sign-in's scratch key: the optional enrolment offer was answered. */
const MFA_OFFER = "mfa_offer";

export const mfaOfferAnswered = (ctx: StepContext): boolean => ctx.state.scratch[MFA_OFFER] === true;

export const mfaSteps: HostedMethod = {
  methods: [],
  steps: {
    mfa: {
      async GET(ctx) {
        if (!ctx.state.userId) {
          ctx.redirect(ctx.base);
          return;
        }
        const enrolled = new Set((await ctx.deps.factors.list(ctx.state.userId)).map((factor) => factor.type));
        const links = ctx
          .secondFactors()
          .filter(({ entry }) => enrolled.has(entry.factorType))
          .map(({ entry }) => ({ href: `${ctx.base}/${entry.challengeStep}`, label: entry.label }));
        if (links.length === 0) {
          await ctx.proceed();
          return;
        }
        chooser(ctx, "Verify it's you", "Choose how to confirm your sign-in.", links);
      },
    },
    "mfa-enrol": {
      async GET(ctx) {
        if (!(await ctx.mayEnrolSecondFactor())) {
          ctx.redirect(ctx.state.userId ? `${ctx.base}/mfa` : ctx.base);
          return;
        }
        const optional = ctx.issuer.settings.mfa.policy === "optional";
        // Recovery codes come after another factor; on their own only where nothing else is offered.
        const offered = ctx.secondFactors();
        const primary = offered.filter(({ entry }) => !entry.recovery);
        const links = (primary.length > 0 ? primary : offered).map(({ entry }) => ({
          href: `${ctx.base}/${entry.enrolStep}`,
          label: entry.label,
        }));
        if (links.length === 0) {
          await ctx.proceed();
          return;
        }
        if (!optional) {
          chooser(ctx, "Protect your account", "This account needs a second factor. Choose one to set up.", links);
          return;
        }
        ctx.page(
          200,
          "Protect your account",
          `<h1>Protect your account</h1>
<p>Add a second factor: signing in will then ask for it after your password.</p>
<ul class="choices">
${links.map((link) => `<li><a href="${escapeHtml(link.href)}">${escapeHtml(link.label)}</a></li>`).join("\n")}
</ul>
<form method="post" action="${ctx.base}/mfa-skip" class="alt">
${csrfField(ctx)}
<button type="submit" class="secondary">Not now</button>
</form>`,
        );
      },
    },
    // Policy `optional`: the offer declined for this sign-in (it comes again at the next one).
    "mfa-skip": {
      async POST(ctx) {
        if (!ctx.state.userId || ctx.issuer.settings.mfa.policy !== "optional") return ctx.redirect(ctx.base);
        ctx.state = { ...ctx.state, scratch: { ...ctx.state.scratch, [MFA_OFFER]: true } };
        await ctx.save();
        await ctx.proceed();
      },
    },
  },
};
