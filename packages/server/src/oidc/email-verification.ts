import { createHash, randomInt, timingSafeEqual } from "node:crypto";
import type { Db, Prisma } from "@authpi/db";
import type { Mailer } from "../mail/mailer.ts";

/** Verification codes of the hosted sign-up and sign-in (api-contract §8 "require_email_verification"). */
export const EMAIL_VERIFICATION = { codeLength: 6, ttlSeconds: 600, maxAttempts: 5 };

const MODEL = "EmailVerification";

interface Pending {
  /** Null when the email already belongs to an account (a sign-up of an existing email): no code verifies. */
  userId: string | null;
  email: string;
  codeHash: string;
  attempts: number;
}

export type VerificationOutcome =
  | { ok: true; userId: string }
  | { ok: false; reason: "invalid_code" | "expired" | "too_many_attempts" };

const hash = (code: string) => createHash("sha256").update(code).digest("hex");

/**
 * One pending verification per sign-in (interaction), in `oidc_artifacts` beside the provider's own
 * artifacts: only the SHA-256 of the code is stored; the code itself exists only in the mail.
 */
export function createEmailVerification(db: Db, mailer: Mailer) {
  const key = (issuerId: string, uid: string) => ({ issuerId_model_id: { issuerId, model: MODEL, id: uid } });

  async function load(issuerId: string, uid: string): Promise<Pending | null> {
    const row = await db.oidcArtifact.findUnique({ where: key(issuerId, uid) });
    if (!row || (row.expiresAt && row.expiresAt.getTime() <= Date.now())) return null;
    return row.payload as unknown as Pending;
  }

  async function save(issuerId: string, uid: string, pending: Pending, expiresAt?: Date): Promise<void> {
    const payload = pending as unknown as Prisma.InputJsonObject;
    await db.oidcArtifact.upsert({
      where: key(issuerId, uid),
      create: {
        issuerId,
        model: MODEL,
        id: uid,
        payload,
        accountId: pending.userId,
        expiresAt: expiresAt ?? new Date(Date.now() + EMAIL_VERIFICATION.ttlSeconds * 1000),
      },
      update: { payload, ...(expiresAt ? { expiresAt } : {}) },
    });
  }

  return {
    /** Sends a new code to the user (or, for an email that already has an account, a notice instead). */
    async start(
      issuerId: string,
      uid: string,
      target: { userId: string | null; email: string },
      issuerName: string,
    ): Promise<void> {
      const code = String(randomInt(0, 10 ** EMAIL_VERIFICATION.codeLength)).padStart(
        EMAIL_VERIFICATION.codeLength,
        "0",
      );
      await save(
        issuerId,
        uid,
        { userId: target.userId, email: target.email, codeHash: target.userId ? hash(code) : "", attempts: 0 },
        new Date(Date.now() + EMAIL_VERIFICATION.ttlSeconds * 1000),
      );
      const minutes = EMAIL_VERIFICATION.ttlSeconds / 60;
      await mailer.send(
        target.userId
          ? {
              to: target.email,
              subject: `Your ${issuerName} verification code`,
              text: `Your verification code is ${code}\n\nIt expires in ${minutes} minutes. If you did not ask for it, ignore this mail.`,
            }
          : {
              to: target.email,
              subject: `Your ${issuerName} account`,
              text: `Someone tried to create an account with this email, but you already have one. Sign in instead, or ignore this mail.`,
            },
      );
    },

    /** A fresh code for the pending verification of this sign-in; false when there is none. */
    async resend(issuerId: string, uid: string, issuerName: string): Promise<boolean> {
      const pending = await load(issuerId, uid);
      if (!pending) return false;
      await this.start(issuerId, uid, { userId: pending.userId, email: pending.email }, issuerName);
      return true;
    },

    async pending(issuerId: string, uid: string): Promise<{ email: string } | null> {
      const pending = await load(issuerId, uid);
      return pending ? { email: pending.email } : null;
    },

    async check(issuerId: string, uid: string, code: string): Promise<VerificationOutcome> {
      const pending = await load(issuerId, uid);
      if (!pending) return { ok: false, reason: "expired" };
      if (pending.attempts >= EMAIL_VERIFICATION.maxAttempts) return { ok: false, reason: "too_many_attempts" };
      const given = Buffer.from(hash(code.trim()));
      const expected = Buffer.from(pending.codeHash || hash(`never:${uid}`));
      const matches = pending.userId !== null && given.length === expected.length && timingSafeEqual(given, expected);
      if (!matches || !pending.userId) {
        await save(issuerId, uid, { ...pending, attempts: pending.attempts + 1 });
        return {
          ok: false,
          reason: pending.attempts + 1 >= EMAIL_VERIFICATION.maxAttempts ? "too_many_attempts" : "invalid_code",
        };
      }
      await db.oidcArtifact.deleteMany({ where: { issuerId, model: MODEL, id: uid } });
      return { ok: true, userId: pending.userId };
    },
  };
}

export type EmailVerification = ReturnType<typeof createEmailVerification>;
