import { BackupCodesSettings } from "@authpi/domain";
import type { BackupCodeHashes } from "@authpi/server";
import { escapeHtml } from "../../pages.ts";
import type { HostedMethod, StepContext } from "../context.ts";
import { alert, codeField, csrfField } from "../fields.ts";
import { codeChallengeStep, otherWayLink, secondFactorStep } from "./second-factor.ts";

/**
 * `backup_codes`: single-use recovery codes. `/backup-codes-enrol` makes a set and shows it once,
 * as a list; the sign-in state keeps only its hashes until the user confirms they saved them
 * (the page shown again says so instead of showing them twice; "Make new codes" starts over).
 * `/backup-code` accepts one unused code.
 */

interface BackupScratch {
  pending: BackupCodeHashes;
}

const SCRATCH = "backup_codes";
const TITLE = "Save your backup codes";

function challengePage(ctx: StepContext, others: boolean, error?: string): string {
  return `<h1>Use a backup code</h1>
${alert({ error })}<p>Enter one of the backup codes you saved. Each code works once.</p>
<form method="post" action="${ctx.base}/backup-code" novalidate>
${csrfField(ctx)}
${codeField({ numeric: false })}
<button type="submit">Verify</button>
</form>${otherWayLink(ctx, others)}`;
}

function confirmForms(ctx: StepContext): string {
  return `<form method="post" action="${ctx.base}/backup-codes-enrol">
${csrfField(ctx)}
<button type="submit">I saved them</button>
</form>
<form method="post" action="${ctx.base}/backup-codes-new" class="alt">
${csrfField(ctx)}
<button type="submit" class="secondary">Make new codes</button>
</form>`;
}

export const backupCodesMethod: HostedMethod = {
  methods: ["backup_codes"],
  secondFactor: {
    factorType: "backup_codes",
    label: "Backup codes",
    challengeStep: "backup-code",
    enrolStep: "backup-codes-enrol",
    recovery: true,
  },
  steps: {
    "backup-code": codeChallengeStep({
      type: "backup_codes",
      title: "Use a backup code",
      page: (ctx, _method, others, error) => challengePage(ctx, others, error),
      verify: (ctx, userId, _method, code) => ctx.deps.backupCodes.verify(userId, code),
    }),
    "backup-codes-enrol": {
      async GET(ctx) {
        const step = await secondFactorStep(ctx, "backup_codes", "enrol");
        if (!step) return;
        if (ctx.state.scratch[SCRATCH]) {
          ctx.page(
            200,
            TITLE,
            `<h1>${TITLE}</h1>
<p>Your backup codes were shown once already. If you saved them, confirm; if not, make a new set.</p>
${confirmForms(ctx)}`,
          );
          return;
        }
        const { codes, pending } = ctx.deps.backupCodes.generate(BackupCodesSettings.parse(step.method.settings));
        const scratch: BackupScratch = { pending };
        ctx.state = { ...ctx.state, scratch: { ...ctx.state.scratch, [SCRATCH]: scratch } };
        await ctx.save();
        ctx.page(
          200,
          TITLE,
          `<h1>${TITLE}</h1>
<p>Keep these codes somewhere safe. Each one signs you in once if you lose your other factor. They are shown only now.</p>
<ol class="backup-codes">
${codes.map((code) => `<li><code>${escapeHtml(code)}</code></li>`).join("\n")}
</ol>
${confirmForms(ctx)}`,
        );
      },
      async POST(ctx) {
        const step = await secondFactorStep(ctx, "backup_codes", "enrol");
        if (!step) return;
        const pending = (ctx.state.scratch[SCRATCH] as BackupScratch | undefined)?.pending;
        if (!pending) {
          ctx.redirect(`${ctx.base}/backup-codes-enrol`);
          return;
        }
        await ctx.deps.backupCodes.enrol(step.userId, pending);
        const { [SCRATCH]: _done, ...scratch } = ctx.state.scratch;
        ctx.state = { ...ctx.state, scratch };
        await ctx.save();
        await ctx.secondFactorEnrolled({ method: step.method, amr: ["otp"], factorType: "backup_codes" });
      },
    },
    "backup-codes-new": {
      async POST(ctx) {
        if (!(await secondFactorStep(ctx, "backup_codes", "enrol"))) return;
        const { [SCRATCH]: _dropped, ...scratch } = ctx.state.scratch;
        ctx.state = { ...ctx.state, scratch };
        await ctx.save();
        ctx.redirect(`${ctx.base}/backup-codes-enrol`);
      },
    },
  },
};
