import { createHash, randomBytes } from "node:crypto";
import type { Db } from "@authpi/db";
import { DomainError, newId, type Operator, parseOrThrow, SignInInput, toTimestamp } from "@authpi/domain";
import { verify } from "@node-rs/argon2";
import { hashPassword } from "../accounts/service.ts";
import type { AuditRecorder } from "../audit/service.ts";
import type { Clock } from "../clock.ts";
import { createAttemptLimiter } from "./attempts.ts";

export interface AdminAuthOptions {
  /** How long a session lasts from sign-in (default 12 hours). */
  sessionTtlSeconds?: number;
  /** Failed sign-ins allowed per email in the window (default 5). */
  maxFailuresPerEmail?: number;
  /** Failed sign-ins allowed per client IP in the window (default 30). */
  maxFailuresPerIp?: number;
  /** The window of both limits (default 15 minutes). */
  failureWindowSeconds?: number;
}

/** Who is signed in: what the tRPC context needs to scope every call to one account. */
export interface AdminPrincipal {
  adminUserId: string;
  accountId: string;
  email: string;
  role: string;
  sessionId: string;
  expiresAt: Date;
}

export interface SignInResult {
  /** The cookie value; only its SHA-256 is stored. */
  token: string;
  expiresAt: Date;
  operator: Operator;
}

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

function hashToken(token: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash("sha256").update(token).digest());
}

function invalidCredentials(): DomainError {
  // One message for an unknown email and a wrong password: no account enumeration.
  return new DomainError("invalid_credentials", "The email or password is incorrect");
}

function unauthenticated(): DomainError {
  return new DomainError("unauthenticated", "Sign in to continue; the session is missing or has expired");
}

export function toOperator(principal: AdminPrincipal): Operator {
  return {
    object: "operator",
    id: principal.adminUserId,
    account_id: principal.accountId,
    email: principal.email,
    role: principal.role,
    session_expires_at: toTimestamp(principal.expiresAt),
  };
}

/** Operator sign-in for the admin UI: argon2id passwords, server-side sessions in Postgres. */
export function createAdminAuthService(db: Db, clock: Clock, options: AdminAuthOptions, audit: AuditRecorder) {
  const ttlMs = (options.sessionTtlSeconds ?? 12 * 3600) * 1000;
  const windowMs = (options.failureWindowSeconds ?? 15 * 60) * 1000;
  const byEmail = createAttemptLimiter({ max: options.maxFailuresPerEmail ?? 5, windowMs });
  const byIp = createAttemptLimiter({ max: options.maxFailuresPerIp ?? 30, windowMs });
  // Verified against when the email is unknown, so both failures take as long.
  let dummyHash: Promise<string> | undefined;

  function checkLimits(email: string, ip: string | undefined, now: number): void {
    const wait = Math.max(byEmail.blockedFor(email, now), ip ? byIp.blockedFor(ip, now) : 0);
    if (wait > 0) {
      throw new DomainError(
        "too_many_attempts",
        `Too many failed sign-in attempts; try again in ${Math.ceil(wait / 60)} minute(s)`,
        { extra: { retry_after: String(wait) } },
      );
    }
  }

  return {
    async signIn(input: unknown, context: { ip?: string | undefined } = {}): Promise<SignInResult> {
      const { email, password } = parseOrThrow(SignInInput, input);
      const now = clock();
      checkLimits(email, context.ip, now.getTime());
      const user = await db.adminUser.findUnique({ where: { email } });
      dummyHash ??= hashPassword(randomBytes(16).toString("hex"));
      const ok = await verify(user?.passwordHash ?? (await dummyHash), password).catch(() => false);
      if (!user || !ok) {
        byEmail.fail(email, now.getTime());
        if (context.ip) byIp.fail(context.ip, now.getTime());
        throw invalidCredentials();
      }
      byEmail.reset(email);
      const token = randomBytes(32).toString("base64url");
      const expiresAt = new Date(now.getTime() + ttlMs);
      const session = await db.adminSession.create({
        data: { id: newId("session"), adminUserId: user.id, tokenHash: hashToken(token), createdAt: now, expiresAt },
      });
      // After the session exists (a failed write here fails the sign-in; the unsent cookie's session is inert).
      await audit.record({
        accountId: user.accountId,
        type: "operator.signed_in",
        resourceId: user.id,
        actor: { type: "operator", id: user.id },
        changes: {},
      });
      const principal: AdminPrincipal = {
        adminUserId: user.id,
        accountId: user.accountId,
        email: user.email,
        role: user.role,
        sessionId: session.id,
        expiresAt,
      };
      return { token, expiresAt, operator: toOperator(principal) };
    },

    /** Resolves a session cookie; a missing, unknown or expired one is `unauthenticated`. */
    async authenticate(token: string | undefined): Promise<AdminPrincipal> {
      if (!token || !TOKEN_PATTERN.test(token)) throw unauthenticated();
      const session = await db.adminSession.findUnique({
        where: { tokenHash: hashToken(token) },
        include: { adminUser: true },
      });
      if (!session) throw unauthenticated();
      if (session.expiresAt.getTime() <= clock().getTime()) {
        await db.adminSession.deleteMany({ where: { id: session.id } });
        throw unauthenticated();
      }
      return {
        adminUserId: session.adminUser.id,
        accountId: session.adminUser.accountId,
        email: session.adminUser.email,
        role: session.adminUser.role,
        sessionId: session.id,
        expiresAt: session.expiresAt,
      };
    },

    /** Ends the session of this cookie (a no-op for an unknown one). */
    async signOut(token: string | undefined): Promise<void> {
      if (!token || !TOKEN_PATTERN.test(token)) return;
      await db.adminSession.deleteMany({ where: { tokenHash: hashToken(token) } });
    },

    /** Deletes expired sessions; the server's periodic job calls it. */
    async purgeExpiredSessions(now = clock()): Promise<number> {
      const { count } = await db.adminSession.deleteMany({ where: { expiresAt: { lte: now } } });
      return count;
    },
  };
}

export type AdminAuthService = ReturnType<typeof createAdminAuthService>;
