import { createHash, randomBytes } from "node:crypto";
import type { Db } from "@authpi/db";
import { DomainError, newId, type Operator, parseOrThrow, SignInInput, toTimestamp } from "@authpi/domain";
import { verify } from "@node-rs/argon2";
import { hashPassword } from "../accounts/service.ts";
import { withEvent } from "../audit/repository.ts";
import type { AuditRecorder } from "../audit/service.ts";
import type { Clock } from "../clock.ts";
import { connectCounterStore, whenConnected } from "../rate-limit/redis.ts";
import { type Sql, statement } from "../sql.ts";
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
  /** Share the attempt counters between processes through this Redis (the API rate limits' `REDIS_URL`). */
  redisUrl?: string | undefined;
  /** Redis key prefix (default `authpi:rl`, as the API rate limits); tests use their own. */
  keyPrefix?: string | undefined;
  /** Told when Redis fails; the counters then live in this process's memory until it is back. */
  onStoreError?: ((error: unknown) => void) | undefined;
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

/** Counter key of an email: its hash, so no address is stored in Redis. */
function emailKey(email: string): string {
  return createHash("sha256").update(email).digest("base64url");
}

// The session and its `operator.signed_in` event in one statement: neither without the other.
const INSERT_SESSION = statement(
  "admin_session_insert",
  withEvent(
    `INSERT INTO admin_sessions (id, admin_user_id, token_hash, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    6,
  ),
);

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
export function createAdminAuthService(
  sql: Sql,
  db: Db,
  clock: Clock,
  options: AdminAuthOptions,
  audit: AuditRecorder,
) {
  const ttlMs = (options.sessionTtlSeconds ?? 12 * 3600) * 1000;
  const windowSeconds = options.failureWindowSeconds ?? 15 * 60;
  const prefix = `${options.keyPrefix ?? "authpi:rl"}:signin`;
  const redis = options.redisUrl ? connectCounterStore(options.redisUrl, options.onStoreError) : undefined;
  const limiter = (name: string, max: number) =>
    createAttemptLimiter({
      max,
      windowSeconds,
      keyPrefix: `${prefix}:${name}`,
      redis,
      onStoreError: options.onStoreError,
    });
  const byEmail = limiter("email", options.maxFailuresPerEmail ?? 5);
  const byIp = limiter("ip", options.maxFailuresPerIp ?? 30);
  // Verified against when the email is unknown, so both failures take as long.
  let dummyHash: Promise<string> | undefined;

  function tooManyAttempts(wait: number): DomainError {
    return new DomainError(
      "too_many_attempts",
      `Too many failed sign-in attempts; try again in ${Math.ceil(wait / 60)} minute(s)`,
      { extra: { retry_after: String(wait) } },
    );
  }

  /**
   * Takes this attempt's slot in both limits before any password is checked,
   * so concurrent attempts cannot all pass a check that none has failed yet.
   * A refused attempt gives back what it took.
   */
  async function reserveAttempt(email: string, ip: string | undefined): Promise<void> {
    const emailWait = await byEmail.reserve(emailKey(email));
    if (emailWait > 0) throw tooManyAttempts(emailWait);
    const ipWait = ip ? await byIp.reserve(ip) : 0;
    if (ipWait > 0) {
      await byEmail.release(emailKey(email));
      throw tooManyAttempts(ipWait);
    }
  }

  /** Gives back both slots: the check could not run (the database failed), so it was no attempt. */
  async function releaseAttempt(email: string, ip: string | undefined): Promise<void> {
    await byEmail.release(emailKey(email));
    if (ip) await byIp.release(ip);
  }

  return {
    async signIn(input: unknown, context: { ip?: string | undefined } = {}): Promise<SignInResult> {
      const { email, password } = parseOrThrow(SignInInput, input);
      await reserveAttempt(email, context.ip);
      const user = await db.adminUser.findUnique({ where: { email } }).catch(async (error: unknown) => {
        await releaseAttempt(email, context.ip);
        throw error;
      });
      dummyHash ??= hashPassword(randomBytes(16).toString("hex"));
      const ok = await verify(user?.passwordHash ?? (await dummyHash), password).catch(() => false);
      // A failure keeps its slots; a success clears this email's count and frees its slot of the IP's.
      if (!user || !ok) throw invalidCredentials();
      await byEmail.reset(emailKey(email));
      if (context.ip) await byIp.release(context.ip);
      const now = clock();
      const token = randomBytes(32).toString("base64url");
      const expiresAt = new Date(now.getTime() + ttlMs);
      const sessionId = newId("session");
      const event = audit.values({
        accountId: user.accountId,
        issuerId: null,
        type: "operator.signed_in",
        resourceId: user.id,
        actor: { type: "operator", id: user.id },
        changes: {},
      });
      await sql.query(INSERT_SESSION, [sessionId, user.id, Buffer.from(hashToken(token)), now, expiresAt, ...event]);
      const principal: AdminPrincipal = {
        adminUserId: user.id,
        accountId: user.accountId,
        email: user.email,
        role: user.role,
        sessionId,
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

    /** True once the shared attempt counters (Redis) are connected, false if not within `timeoutMs`; true in memory. */
    async ready(timeoutMs = 5_000): Promise<boolean> {
      return redis ? whenConnected(redis, timeoutMs) : true;
    },

    /** Closes the Redis connection of the attempt counters, if any. */
    async close(): Promise<void> {
      if (redis) await redis.quit().catch(() => redis.disconnect());
    },

    /** Deletes expired sessions; the server's periodic job calls it. */
    async purgeExpiredSessions(now = clock()): Promise<number> {
      const { count } = await db.adminSession.deleteMany({ where: { expiresAt: { lte: now } } });
      return count;
    },
  };
}

export type AdminAuthService = ReturnType<typeof createAdminAuthService>;
