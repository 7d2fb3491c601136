import { TotpSettings } from "@authpi/domain";
import type { ConfiguredMethod, TotpAccount } from "@authpi/server";
import QRCode from "qrcode";
import { escapeHtml } from "../../pages.ts";
import type { HostedMethod, StepContext } from "../context.ts";
import { alert, codeField, csrfField } from "../fields.ts";
import { codeChallengeStep, codeRefusal, limitedCodeCheck, otherWayLink, secondFactorStep } from "./second-factor.ts";

/**
 * `totp`: an authenticator app as a second factor. `/totp-enrol` shows a new key as an otpauth
 * URI (text, and a QR code the server renders) and stores the factor once the user's first code
 * matches; `/totp` asks a code of an enrolled app. Each code is accepted once.
 */

/** What the sign-in state keeps of an enrolment in progress: the key, sealed (never in the clear). */
interface TotpScratch {
  sealed: string;
}

const SCRATCH = "totp";
const settingsOf = (method: ConfiguredMethod) => TotpSettings.parse(method.settings);

async function account(ctx: StepContext, userId: string, method: ConfiguredMethod): Promise<TotpAccount> {
  const user = await ctx.deps.users.findById(ctx.issuer.id, userId);
  return { issuer: ctx.displayName, label: user?.email ?? userId, config: settingsOf(method) };
}

// No length on the challenge's field: an app keeps the digits it was set up with, whatever the issuer's are now.
function challengePage(ctx: StepContext, others: boolean, error?: string): string {
  return `<h1>Enter your code</h1>
${alert({ error })}<p>Open your authenticator app and enter the code it shows for ${escapeHtml(ctx.displayName)}.</p>
<form method="post" action="${ctx.base}/totp" novalidate>
${csrfField(ctx)}
${codeField()}
<button type="submit">Verify</button>
</form>${otherWayLink(ctx, others)}`;
}

async function enrolPage(ctx: StepContext, uri: string, digits: number, error?: string): Promise<string> {
  const svg = await QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
  return `<h1>Set up your authenticator app</h1>
${alert({ error })}<p>Scan this QR code with your authenticator app, or add this setup link to it:</p>
<p><img class="qr" src="data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}" alt="QR code of the setup link" width="200" height="200"></p>
<p><code id="otpauth-uri">${escapeHtml(uri)}</code></p>
<form method="post" action="${ctx.base}/totp-enrol" novalidate>
${csrfField(ctx)}
<p>Then enter the code the app shows.</p>
${codeField({ length: digits })}
<button type="submit">Turn on</button>
</form>`;
}

export const totpMethod: HostedMethod = {
  methods: ["totp"],
  secondFactor: { factorType: "totp", label: "Authenticator app", challengeStep: "totp", enrolStep: "totp-enrol" },
  steps: {
    totp: codeChallengeStep({
      type: "totp",
      title: "Enter your code",
      page: (ctx, _method, others, error) => challengePage(ctx, others, error),
      verify: (ctx, userId, method, code) => ctx.deps.totp.verify(userId, code, settingsOf(method)),
    }),
    "totp-enrol": {
      async GET(ctx) {
        const step = await secondFactorStep(ctx, "totp", "enrol");
        if (!step) return;
        const target = await account(ctx, step.userId, step.method);
        const pending = ctx.state.scratch[SCRATCH] as TotpScratch | undefined;
        // The page shown again keeps its key: the user may have scanned it already.
        let uri = pending ? ctx.deps.totp.reopen(ctx.uid, pending.sealed, target) : null;
        if (uri === null) {
          const begun = ctx.deps.totp.begin(ctx.uid, target);
          ctx.state = { ...ctx.state, scratch: { ...ctx.state.scratch, [SCRATCH]: { sealed: begun.sealed } } };
          await ctx.save();
          uri = begun.uri;
        }
        ctx.page(200, "Set up your authenticator app", await enrolPage(ctx, uri, target.config.digits));
      },
      async POST(ctx) {
        const step = await secondFactorStep(ctx, "totp", "enrol");
        if (!step) return;
        const pending = ctx.state.scratch[SCRATCH] as TotpScratch | undefined;
        const target = await account(ctx, step.userId, step.method);
        const uri = pending ? ctx.deps.totp.reopen(ctx.uid, pending.sealed, target) : null;
        if (!pending || uri === null) {
          ctx.redirect(`${ctx.base}/totp-enrol`);
          return;
        }
        const outcome = await limitedCodeCheck(
          ctx,
          step.userId,
          async () =>
            (await ctx.deps.totp.enrol(step.userId, {
              uid: ctx.uid,
              sealed: pending.sealed,
              code: ctx.form.get("code") ?? "",
              config: target.config,
            })) !== null,
        );
        if (!outcome.ok) {
          const { error, headers } = codeRefusal(outcome);
          ctx.page(
            outcome.status,
            "Set up your authenticator app",
            await enrolPage(ctx, uri, target.config.digits, error),
            headers,
          );
          return;
        }
        const { [SCRATCH]: _done, ...scratch } = ctx.state.scratch;
        ctx.state = { ...ctx.state, scratch };
        await ctx.save();
        await ctx.secondFactorEnrolled({ method: step.method, amr: ["otp"], factorType: "totp" });
      },
    },
  },
};
