import type { SignInAttempts } from "./attempts.ts";
import type { PoolUser, UserDirectory } from "./directory.ts";
import type { IssuerSnapshot } from "./provider.ts";

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
export function createPasswordSignIn(
  users: UserDirectory,
  attempts: SignInAttempts,
  clock: () => Date = () => new Date(),
) {
  return {
    async signIn(
      issuer: IssuerSnapshot,
      input: { email: string; password: string; ip: string },
    ): Promise<SignInOutcome> {
      if (!issuer.password?.enabledLogin) return { ok: false, reason: "method_unavailable" };
      const userKey = `${issuer.id}:${input.email.trim().toLowerCase()}`;
      const ipKey = `${issuer.id}:${input.ip}`;
      const wait = await attempts.blockedFor(userKey, ipKey);
      if (wait > 0) return { ok: false, reason: "too_many_attempts", retryAfterSeconds: wait };
      const user = await users.verifyPassword(issuer.id, input.email.trim(), input.password);
      if (user?.status !== "active") {
        await attempts.fail(userKey, ipKey);
        return { ok: false, reason: "invalid_credentials" };
      }
      await attempts.succeed(userKey);
      await users.markSignedIn(issuer.id, user.id, clock());
      return { ok: true, user };
    },
  };
}

export type PasswordSignIn = ReturnType<typeof createPasswordSignIn>;
