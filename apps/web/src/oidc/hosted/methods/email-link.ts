import { type ConfiguredMethod, checkLink, issueLink, type LinkChallenge } from "@authpi/server";
import { escapeHtml } from "../../pages.ts";
import type { HostedMethod, StepContext } from "../context.ts";
import { alert, csrfField } from "../fields.ts";
import { methodUnavailable, normalizeEmail, provenUser, resendStep, sendChallenge } from "../one-time.ts";

/**
 * `email_link`: "Email me a sign-in link". The link (`{base}/link/{token}`) works once, for
 * `ttl_seconds`, and only in the browser that asked for it: its path names the sign-in, and the
 * router refuses a sign-in whose interaction cookie is not this browser's.
 *
 * amr: RFC 8176 registers no value for email; opening the link proves possession of a one-time
 * secret sent out of band, which is what `otp` names ("one-time password"), so the link reads
 * `otp` like a mailed code.
 */

const MODEL = "email_link";
const AMR = "otp";

const ttlOf = (method: ConfiguredMethod) => (method.settings as { ttl_seconds: number }).ttl_seconds;
const challengeOf = (ctx: StepContext) => ctx.state.scratch[MODEL] as LinkChallenge | undefined;

function entry(ctx: StepContext): string {
  return `<form method="post" action="${ctx.base}/email-link" novalidate>
${csrfField(ctx)}
<label for="email-link-target">Email</label>
<input id="email-link-target" name="email" type="email" autocomplete="email" required>
<button type="submit">Email me a sign-in link</button>
</form>`;
}

function sentPage(
  ctx: StepContext,
  method: ConfiguredMethod,
  challenge: LinkChallenge,
  status = 200,
  message: { error?: string; notice?: string } = {},
  headers: Record<string, string> = {},
): void {
  ctx.page(
    status,
    "Check your email",
    `<h1>Check your email</h1>
${alert(message)}<p>If <strong>${escapeHtml(challenge.target)}</strong> can sign in here, we sent it a sign-in link.
Open it in this browser; it works once, for ${Math.round(ttlOf(method) / 60)} minutes.</p>
<form method="post" action="${ctx.base}/email-link-resend" class="alt">
${csrfField(ctx)}
<button type="submit">Send a new link</button>
</form>
<p class="alt"><a href="${ctx.base}">Use another email</a></p>`,
    headers,
  );
}

/** Sends a link to `target` (or, to an unknown email, nothing) unless a limit says to wait. */
function send(ctx: StepContext, method: ConfiguredMethod, target: string): Promise<number> {
  const minutes = Math.round(ttlOf(method) / 60);
  return sendChallenge(
    ctx,
    method,
    "email",
    target,
    (previous: LinkChallenge | undefined, recipient, now) => {
      const { token, challenge } = issueLink(previous, recipient, ttlOf(method), now);
      return { secret: token, challenge };
    },
    (token) =>
      ctx.deps.mailer.send({
        to: target,
        subject: `Sign in to ${ctx.displayName}`,
        text: `Open this link to sign in to ${ctx.displayName}:\n\n${ctx.pooled.issuerUrl}/interaction/${ctx.uid}/link/${token}\n\nIt works once, in the browser where you asked for it, for ${minutes} minutes. If you did not ask for it, ignore this mail.`,
      }),
  );
}

export const emailLinkMethod: HostedMethod = {
  methods: ["email_link"],
  signInEntry: (ctx) => entry(ctx),
  steps: {
    "email-link": {
      async POST(ctx) {
        const method = ctx.enabled("email_link");
        if (!method) return methodUnavailable(ctx);
        const target = normalizeEmail(ctx.form.get("email") ?? "");
        if (!target) return ctx.showSignIn(400, "Enter a valid email address.");
        const wait = await send(ctx, method, target);
        if (wait > 0) {
          return ctx.showSignIn(429, "Too many links were sent. Try again later.", { "retry-after": String(wait) });
        }
        ctx.redirect(`${ctx.base}/email-link-sent`);
      },
    },
    "email-link-sent": {
      async GET(ctx) {
        const method = ctx.enabled("email_link");
        const challenge = challengeOf(ctx);
        if (!method || !challenge) return ctx.redirect(ctx.base);
        sentPage(ctx, method, challenge);
      },
    },
    "email-link-resend": resendStep({
      method: "email_link",
      noun: "link",
      challenge: challengeOf,
      send,
      page: sentPage,
    }),
    link: {
      async GET(ctx) {
        const method = ctx.enabled("email_link");
        if (!method) return methodUnavailable(ctx);
        const { check, challenge } = checkLink(challengeOf(ctx), ctx.arg ?? "", ctx.deps.clock());
        if (!check.ok || !challenge) {
          const reason =
            check.ok || check.reason === "invalid"
              ? "This sign-in link is not valid: a newer link replaced it, or it was mistyped."
              : check.reason === "used"
                ? "This sign-in link was already used. Ask for a new one."
                : "This sign-in link has expired. Ask for a new one.";
          return ctx.fail(400, "invalid_request", reason);
        }
        ctx.state = { ...ctx.state, scratch: { ...ctx.state.scratch, [MODEL]: challenge } };
        await ctx.save();
        const user = await provenUser(ctx, method, "email", { ...challenge, value: challenge.target });
        if (!user) return ctx.fail(400, "invalid_request", "This sign-in link is not valid.");
        await ctx.firstFactorPassed(user, { method, amr: [AMR] });
      },
    },
  },
};
