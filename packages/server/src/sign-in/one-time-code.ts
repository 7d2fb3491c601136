import { createHash, randomInt, timingSafeEqual } from "node:crypto";

/**
 * The one-time codes of `email_otp` and `sms_otp`, without HTTP: what one sign-in keeps of the
 * code it sent (in `SignInState.scratch`, under the method's name) and the rules that check a
 * code against it. Only a hash of the code is kept; the code itself exists only in the message.
 */

export interface CodeSettings {
  code_length: number;
  ttl_seconds: number;
  max_attempts: number;
}

/** Codes one sign-in may have sent, and how long it waits between two. */
export const CODE_RESEND = { maxSends: 5, intervalSeconds: 30 };

export interface CodeChallenge {
  /** The email or phone number the code went to (or, for an unknown one, would have). */
  target: string;
  /** The user it signs in; null for an unknown target (a sign-up on verification, or nobody). */
  userId: string | null;
  /** Whether a verified code creates the user (the target is unknown and sign-up is allowed). */
  signUp: boolean;
  /** SHA-256 of the sign-in's uid and the code; "" when no code was sent (nothing can match). */
  codeHash: string;
  expiresAt: number;
  attempts: number;
  sends: number;
  lastSentAt: number;
}

export type CodeCheck =
  | { ok: true }
  | { ok: false; reason: "malformed" | "wrong" | "expired" | "too_many_attempts" | "no_code" };

const hash = (uid: string, code: string) => createHash("sha256").update(`${uid}:${code}`).digest("hex");

/** `length` random decimal digits (uniform: `randomInt` has no modulo bias). */
export function randomDigits(length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += String(randomInt(10));
  return out;
}

/**
 * Seconds until this sign-in may send another code or link to `target`; 0 when it may now. After
 * `maxSends` it waits until the last one expired (a new sign-in counts against the per-target limit).
 */
export function resendWait(
  previous: { target: string; sends: number; lastSentAt: number; expiresAt: number } | undefined,
  target: string,
  now: Date,
): number {
  if (!previous || previous.target !== target) return 0;
  const until =
    previous.sends >= CODE_RESEND.maxSends
      ? previous.expiresAt
      : previous.lastSentAt + CODE_RESEND.intervalSeconds * 1000;
  return Math.max(0, Math.ceil((until - now.getTime()) / 1000));
}

/**
 * A new code for `target` (replacing the previous one: only the latest code works). `code` is
 * null when there is nobody to send it to; the challenge then matches no code, and the page
 * reads the same.
 */
export function issueCode(
  uid: string,
  previous: CodeChallenge | undefined,
  target: { value: string; userId: string | null; signUp: boolean },
  settings: CodeSettings,
  now: Date,
): { code: string | null; challenge: CodeChallenge } {
  const deliver = target.userId !== null || target.signUp;
  const code = deliver ? randomDigits(settings.code_length) : null;
  const sends = previous?.target === target.value ? previous.sends + 1 : 1;
  return {
    code,
    challenge: {
      target: target.value,
      userId: target.userId,
      signUp: target.signUp,
      codeHash: code === null ? "" : hash(uid, code),
      expiresAt: now.getTime() + settings.ttl_seconds * 1000,
      attempts: 0,
      sends,
      lastSentAt: now.getTime(),
    },
  };
}

/**
 * Checks a code and counts the attempt. A code of the wrong length or with other characters than
 * digits is refused without counting (it cannot be anyone's code); the `max_attempts`th wrong code
 * kills the challenge: only a new code can then sign in.
 */
export function checkCode(
  uid: string,
  challenge: CodeChallenge | undefined,
  given: string,
  settings: CodeSettings,
  now: Date,
): { check: CodeCheck; challenge: CodeChallenge | undefined } {
  if (!challenge) return { check: { ok: false, reason: "no_code" }, challenge };
  const code = given.replace(/\s+/g, "");
  if (!/^\d+$/.test(code) || code.length !== settings.code_length) {
    return { check: { ok: false, reason: "malformed" }, challenge };
  }
  if (challenge.attempts >= settings.max_attempts) {
    return { check: { ok: false, reason: "too_many_attempts" }, challenge };
  }
  if (now.getTime() >= challenge.expiresAt) return { check: { ok: false, reason: "expired" }, challenge };
  const expected = Buffer.from(challenge.codeHash || hash(uid, `never:${uid}`));
  const actual = Buffer.from(hash(uid, code));
  if (challenge.codeHash && timingSafeEqual(actual, expected)) {
    // Used: the same code cannot sign in twice.
    return { check: { ok: true }, challenge: { ...challenge, codeHash: "", attempts: settings.max_attempts } };
  }
  const attempts = challenge.attempts + 1;
  return {
    check: { ok: false, reason: attempts >= settings.max_attempts ? "too_many_attempts" : "wrong" },
    challenge: { ...challenge, attempts },
  };
}
