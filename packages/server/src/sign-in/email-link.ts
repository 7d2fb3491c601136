import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * The single-use sign-in links of `email_link`, without HTTP. The link carries the sign-in's uid
 * and a random token; the sign-in keeps only the token's SHA-256 (in `SignInState.scratch`).
 */

export interface LinkChallenge {
  /** The email the link went to (or, for an unknown one, would have). */
  target: string;
  /** The user it signs in; null for an unknown email (a sign-up on opening it, or nobody). */
  userId: string | null;
  signUp: boolean;
  /** SHA-256 of the token; "" when no link was sent. */
  tokenHash: string;
  expiresAt: number;
  /** Set when the link was opened: a second opening is refused. */
  usedAt: number | null;
  sends: number;
  lastSentAt: number;
}

export type LinkCheck = { ok: true } | { ok: false; reason: "invalid" | "used" | "expired" };

const hash = (token: string) => createHash("sha256").update(token).digest("hex");

/** A new link token for `target` (the previous link of this sign-in stops working). */
export function issueLink(
  previous: LinkChallenge | undefined,
  target: { value: string; userId: string | null; signUp: boolean },
  ttlSeconds: number,
  now: Date,
): { token: string | null; challenge: LinkChallenge } {
  const deliver = target.userId !== null || target.signUp;
  const token = deliver ? randomBytes(32).toString("base64url") : null;
  return {
    token,
    challenge: {
      target: target.value,
      userId: target.userId,
      signUp: target.signUp,
      tokenHash: token === null ? "" : hash(token),
      expiresAt: now.getTime() + ttlSeconds * 1000,
      usedAt: null,
      sends: previous?.target === target.value ? previous.sends + 1 : 1,
      lastSentAt: now.getTime(),
    },
  };
}

/** Checks an opened link; a valid one is marked used in the returned challenge. */
export function checkLink(
  challenge: LinkChallenge | undefined,
  token: string,
  now: Date,
): { check: LinkCheck; challenge: LinkChallenge | undefined } {
  if (!challenge?.tokenHash) return { check: { ok: false, reason: "invalid" }, challenge };
  const actual = Buffer.from(hash(token));
  if (!timingSafeEqual(actual, Buffer.from(challenge.tokenHash))) {
    return { check: { ok: false, reason: "invalid" }, challenge };
  }
  if (challenge.usedAt !== null) return { check: { ok: false, reason: "used" }, challenge };
  if (now.getTime() >= challenge.expiresAt) return { check: { ok: false, reason: "expired" }, challenge };
  return { check: { ok: true }, challenge: { ...challenge, usedAt: now.getTime() } };
}
