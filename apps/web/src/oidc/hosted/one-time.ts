import { type AuthMethodType, DomainError, Email, PhoneNumber, type PoolUser, signupRefusal } from "@authpi/domain";
import { type ConfiguredMethod, resendWait } from "@authpi/server";
import type { Step, StepContext } from "./context.ts";

/**
 * What the one-time codes (email_otp, sms_otp) and the sign-in links (email_link) share: who a
 * typed email or phone number signs in (without telling the page), the limits on sending, the
 * delivery, and the user a proven code or link stands for.
 */

export type Channel = "email" | "phone";

/** Who a code or link sent to `value` is for. */
export interface Recipient {
  value: string;
  /** The active user it signs in; null for an unknown (or blocked) one. */
  userId: string | null;
  /** Unknown, and sign-up with this method is allowed for it: the proof creates the user. */
  signUp: boolean;
}

/** E.164 (the users' rule) after removing the spaces, dashes, dots and parentheses people type. */
export function normalizePhone(input: string): string | null {
  const parsed = PhoneNumber.safeParse(input.replace(/[\s().-]/g, ""));
  return parsed.success ? parsed.data : null;
}

/** An email as the users' rule accepts it. */
export function normalizeEmail(input: string): string | null {
  const parsed = Email.safeParse(input.trim());
  return parsed.success ? parsed.data : null;
}

/**
 * The recipient of a code or link for this email or phone number. A blocked user reads like an
 * unknown one; an unknown one may sign up only where the method and the signup policy allow it
 * (`allowed_email_domains` included; a phone number has no domain, so a domain list rules it out).
 */
async function recipientFor(
  ctx: StepContext,
  method: ConfiguredMethod,
  channel: Channel,
  value: string,
): Promise<Recipient> {
  const { users } = ctx.deps;
  const user =
    channel === "email" ? await users.findByEmail(ctx.issuer.id, value) : await users.findByPhone(ctx.issuer.id, value);
  if (user) return { value, userId: user.status === "active" ? user.id : null, signUp: false };
  const policy = ctx.issuer.settings.signup;
  const policyAllows =
    channel === "email" ? signupRefusal(policy, value) === null : policy.allowed_email_domains.length === 0;
  return { value, userId: null, signUp: ctx.signUpAllowed(method) && policyAllows };
}

/**
 * Seconds until a code or link may be sent to `target` again across sign-ins (per target and
 * per client IP, in the sign-in limiter beside the password's counts); 0 when it may now, and
 * then this send is counted.
 */
async function sendBlockedFor(ctx: StepContext, method: ConfiguredMethod, target: string): Promise<number> {
  const targetKey = `send:${method.method}:${ctx.issuer.id}:${target.toLowerCase()}`;
  const ipKey = `send:${ctx.issuer.id}:${ctx.ip}`;
  const wait = await ctx.deps.attempts.blockedFor(targetKey, ipKey);
  if (wait === 0) await ctx.deps.attempts.fail(targetKey, ipKey);
  return wait;
}

/**
 * Sends without waiting for the transport: a known and an unknown recipient (to whom nothing is
 * sent) answer in the same time. A failed delivery is logged without the message (it holds the code).
 */
function deliverInBackground(ctx: StepContext, method: ConfiguredMethod, send: () => Promise<void>): void {
  const { logger } = ctx.deps;
  send().catch((error: unknown) => {
    logger.warn(
      {
        issuer_id: ctx.issuer.id,
        auth_method: method.method,
        error: error instanceof Error ? error.message : "unknown",
      },
      "sign-in message not delivered",
    );
  });
}

/**
 * Issues a new code or link for `target` into the sign-in's state (`scratch[method]`, replacing
 * the previous one) and delivers it in the background, unless a resend limit says to wait first:
 * returns that wait in seconds, else 0. `issue` returns a null secret for nobody (nothing is sent).
 */
export async function sendChallenge<C extends { target: string; sends: number; lastSentAt: number; expiresAt: number }>(
  ctx: StepContext,
  method: ConfiguredMethod,
  channel: Channel,
  target: string,
  issue: (previous: C | undefined, recipient: Recipient, now: Date) => { secret: string | null; challenge: C },
  deliver: (secret: string) => Promise<void>,
): Promise<number> {
  const now = ctx.deps.clock();
  const previous = ctx.state.scratch[method.method] as C | undefined;
  const wait = resendWait(previous, target, now) || (await sendBlockedFor(ctx, method, target));
  if (wait > 0) return wait;
  const { secret, challenge } = issue(previous, await recipientFor(ctx, method, channel, target), now);
  ctx.state = { ...ctx.state, scratch: { ...ctx.state.scratch, [method.method]: challenge } };
  await ctx.save();
  if (secret !== null) deliverInBackground(ctx, method, () => deliver(secret));
  return 0;
}

/**
 * The user a proven code or link signs in: the known one (its email or phone number now
 * verified), or a new verified one when sign-up was allowed for it. Null when there is none
 * (the account was blocked or deleted meanwhile, or sign-up closed).
 */
export async function provenUser(
  ctx: StepContext,
  method: ConfiguredMethod,
  channel: Channel,
  recipient: Recipient,
): Promise<PoolUser | null> {
  const { users } = ctx.deps;
  const issuerId = ctx.issuer.id;
  let user: PoolUser | null = null;
  if (recipient.userId) {
    user = await users.findById(issuerId, recipient.userId);
  } else if (recipient.signUp && ctx.signUpAllowed(method)) {
    try {
      user = await users.signUpVerified(
        issuerId,
        channel === "email" ? { email: recipient.value } : { phoneNumber: recipient.value },
      );
    } catch (error) {
      // Created meanwhile (another sign-in of the same email): the code proved it is theirs.
      if (!(error instanceof DomainError && (error.code === "email_taken" || error.code === "phone_taken")))
        throw error;
      user =
        channel === "email"
          ? await users.findByEmail(issuerId, recipient.value)
          : await users.findByPhone(issuerId, recipient.value);
    }
  }
  if (user?.status !== "active") return null;
  if (channel === "email" && !user.emailVerified) await users.setEmailVerified(issuerId, user.id);
  if (channel === "phone" && !user.phoneVerified) await users.setPhoneVerified(issuerId, user.id);
  await users.markSignedIn(issuerId, user.id, ctx.deps.clock());
  return user;
}

/** The page of a crafted request to a method that is not enabled here. */
export function methodUnavailable(ctx: StepContext): void {
  ctx.fail(403, "access_denied", "This sign-in method is not available here.");
}

/**
 * The "send a new code / link" step: the same target again, within the resend limits, then the
 * method's page with a notice (or, when it must wait, a 429 with Retry-After).
 */
export function resendStep<C extends { target: string }>(spec: {
  method: AuthMethodType;
  noun: "code" | "link";
  challenge(ctx: StepContext): C | undefined;
  send(ctx: StepContext, method: ConfiguredMethod, target: string): Promise<number>;
  page(
    ctx: StepContext,
    method: ConfiguredMethod,
    challenge: C,
    status: number,
    message: { error?: string; notice?: string },
    headers?: Record<string, string>,
  ): void;
}): Step {
  return {
    async POST(ctx) {
      const method = ctx.enabled(spec.method);
      if (!method) return methodUnavailable(ctx);
      const previous = spec.challenge(ctx);
      if (!previous) return ctx.redirect(ctx.base);
      const wait = await spec.send(ctx, method, previous.target);
      if (wait > 0) {
        const error = `Wait a little before asking for a new ${spec.noun}.`;
        return spec.page(ctx, method, previous, 429, { error }, { "retry-after": String(wait) });
      }
      spec.page(ctx, method, spec.challenge(ctx) ?? previous, 200, { notice: `We sent a new ${spec.noun}.` });
    },
  };
}
