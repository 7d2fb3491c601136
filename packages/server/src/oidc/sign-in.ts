import { createAttemptLimiter } from "../admin-auth/attempts.ts";
import type { PoolUser, UserDirectory } from "./directory.ts";
import type { IssuerSnapshot } from "./provider.ts";

/** Failed password sign-ins allowed per (issuer, email) and per (issuer, client IP) in the window. */
export const SIGN_IN_LIMITS = { perUser: 5, perIp: 30, windowMs: 15 * 60_000 };

export type SignInOutcome =
  | { ok: true; user: PoolUser }
  | { ok: false; reason: "invalid_credentials" | "method_unavailable" }
  | { ok: false; reason: "too_many_attempts"; retryAfterSeconds: number };

/**
 * The password step of the hosted sign-in, without HTTP. An unknown email, a wrong password and a
 * blocked user all read "invalid_credentials" and cost one password verification each (the users
 * service verifies against a dummy hash for unknown emails), so the answer tells nothing about
 * which emails exist.
 */
export function createPasswordSignIn(users: UserDirectory, clock: () => Date = () => new Date()) {
  const perUser = createAttemptLimiter({ max: SIGN_IN_LIMITS.perUser, windowMs: SIGN_IN_LIMITS.windowMs });
  const perIp = createAttemptLimiter({ max: SIGN_IN_LIMITS.perIp, windowMs: SIGN_IN_LIMITS.windowMs });

  return {
    async signIn(
      issuer: IssuerSnapshot,
      input: { email: string; password: string; ip: string },
    ): Promise<SignInOutcome> {
      if (!issuer.password?.enabledLogin) return { ok: false, reason: "method_unavailable" };
      const now = clock().getTime();
      const userKey = `${issuer.id}:${input.email.trim().toLowerCase()}`;
      const ipKey = `${issuer.id}:${input.ip}`;
      const wait = Math.max(perUser.blockedFor(userKey, now), perIp.blockedFor(ipKey, now));
      if (wait > 0) return { ok: false, reason: "too_many_attempts", retryAfterSeconds: wait };
      const user = await users.verifyPassword(issuer.id, input.email.trim(), input.password);
      if (user?.status !== "active") {
        perUser.fail(userKey, now);
        perIp.fail(ipKey, now);
        return { ok: false, reason: "invalid_credentials" };
      }
      perUser.reset(userKey);
      await users.markSignedIn(issuer.id, user.id, clock());
      return { ok: true, user };
    },
  };
}

export type PasswordSignIn = ReturnType<typeof createPasswordSignIn>;
