import type { AuthMethodType, FactorType } from "@authpi/domain";
import type { ConfiguredMethod } from "@authpi/server";
import type { Step, StepContext } from "../context.ts";

/** What the second-factor steps (totp.ts, backup-codes.ts) share: who may use them, and the attempt limit. */

/**
 * The auth method of a second-factor step, and the user, when this sign-in may use the step;
 * otherwise the answer is sent and null returned. A disabled method's step reads like a missing
 * page; before the first factor the sign-in starts over; an enrolment step also asks
 * `mayEnrolSecondFactor` (someone holding only the password cannot add a factor of their own).
 */
export async function secondFactorStep(
  ctx: StepContext,
  type: AuthMethodType,
  purpose: "challenge" | "enrol",
): Promise<{ method: ConfiguredMethod; userId: string } | null> {
  const method = ctx.secondFactors().find((offered) => offered.method.method === type)?.method;
  if (!method) {
    ctx.fail(404, "invalid_request", "No such page.");
    return null;
  }
  const userId = ctx.state.userId;
  if (!userId) {
    ctx.redirect(ctx.base);
    return null;
  }
  if (purpose === "enrol" && !(await ctx.mayEnrolSecondFactor())) {
    ctx.redirect(`${ctx.base}/mfa`);
    return null;
  }
  return { method, userId };
}

export type CodeOutcome = { ok: true } | { ok: false; status: 400 } | { ok: false; status: 429; retryAfter: number };

/**
 * Checks a second-factor code under the sign-in attempt limit: per user (all of their factors
 * count together, so trying each factor in turn gains nothing) and per client IP.
 */
export async function limitedCodeCheck(
  ctx: StepContext,
  userId: string,
  check: () => Promise<boolean>,
): Promise<CodeOutcome> {
  const userKey = `${ctx.issuer.id}:mfa:${userId}`;
  const ipKey = `${ctx.issuer.id}:${ctx.ip}`;
  const wait = await ctx.deps.attempts.blockedFor(userKey, ipKey);
  if (wait > 0) return { ok: false, status: 429, retryAfter: wait };
  if (!(await check())) {
    await ctx.deps.attempts.fail(userKey, ipKey);
    return { ok: false, status: 400 };
  }
  await ctx.deps.attempts.succeed(userKey);
  return { ok: true };
}

/** The page's error line for a refused code, and its headers. */
export function codeRefusal(outcome: Exclude<CodeOutcome, { ok: true }>): {
  error: string;
  headers: Record<string, string>;
} {
  return outcome.status === 429
    ? { error: "Too many wrong codes. Try again later.", headers: { "retry-after": String(outcome.retryAfter) } }
    : { error: "That code is wrong or was already used.", headers: {} };
}

/** Whether the user has enrolled another factor the issuer offers (a challenge page's "Use another way"). */
export async function otherFactorEnrolled(ctx: StepContext, userId: string, type: FactorType): Promise<boolean> {
  const enrolled = new Set((await ctx.deps.factors.list(userId)).map((factor) => factor.type));
  return ctx.secondFactors().some(({ entry }) => entry.factorType !== type && enrolled.has(entry.factorType));
}

/** The "Use another way" link of a challenge page, when there is another way. */
export const otherWayLink = (ctx: StepContext, others: boolean) =>
  others ? `\n<p class="alt"><a href="${ctx.base}/mfa">Use another way</a></p>` : "";

/**
 * The challenge step of a factor proven by a typed code (the app's code, a backup code): the page
 * on GET; on POST the code under the attempt limit, then the rest of the sign-in (amr `otp`).
 */
export function codeChallengeStep(factor: {
  type: "totp" | "backup_codes";
  title: string;
  page(ctx: StepContext, method: ConfiguredMethod, others: boolean, error?: string): string;
  verify(ctx: StepContext, userId: string, method: ConfiguredMethod, code: string): Promise<boolean>;
}): Step {
  return {
    async GET(ctx) {
      const step = await secondFactorStep(ctx, factor.type, "challenge");
      if (!step) return;
      const others = await otherFactorEnrolled(ctx, step.userId, factor.type);
      ctx.page(200, factor.title, factor.page(ctx, step.method, others));
    },
    async POST(ctx) {
      const step = await secondFactorStep(ctx, factor.type, "challenge");
      if (!step) return;
      const code = ctx.form.get("code") ?? "";
      const outcome = await limitedCodeCheck(ctx, step.userId, () =>
        factor.verify(ctx, step.userId, step.method, code),
      );
      if (!outcome.ok) {
        const { error, headers } = codeRefusal(outcome);
        const others = await otherFactorEnrolled(ctx, step.userId, factor.type);
        ctx.page(outcome.status, factor.title, factor.page(ctx, step.method, others, error), headers);
        return;
      }
      await ctx.secondFactorPassed({ method: step.method, amr: ["otp"] });
    },
  };
}
