import type { SignInAttempts } from "./attempts.ts";
import type { PoolUser, UserDirectory } from "./directory.ts";
import type { IssuerSnapshot } from "./provider.ts";

export type SignInOutcome =
  | { ok: true; user: PoolUser; temporary: boolean }
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
      // The one email + password form also takes a temporary password when the issuer has that
      // method, and (with no password method at all) the real password that replaced it.
      const temporary = issuer.methods.some((m) => m.method === "temporary_password" && m.enabledLogin);
      const real = issuer.password ? issuer.password.enabledLogin : temporary;
      if (!real && !temporary) return { ok: false, reason: "method_unavailable" };
      const userKey = `${issuer.id}:${input.email.trim().toLowerCase()}`;
      const ipKey = `${issuer.id}:${input.ip}`;
      const wait = await attempts.blockedFor(userKey, ipKey);
      if (wait > 0) return { ok: false, reason: "too_many_attempts", retryAfterSeconds: wait };
      const email = input.email.trim();
      // Both checks run on a failure, for a known and an unknown email alike (same timing).
      let user = real ? await users.verifyPassword(issuer.id, email, input.password) : null;
      const viaTemporary = !user && temporary;
      if (viaTemporary) user = await users.verifyTemporaryPassword(issuer.id, email, input.password);
      if (user?.status !== "active") {
        await attempts.fail(userKey, ipKey);
        return { ok: false, reason: "invalid_credentials" };
      }
      await attempts.succeed(userKey);
      await users.markSignedIn(issuer.id, user.id, clock());
      return { ok: true, user, temporary: viaTemporary };
    },
  };
}

export type PasswordSignIn = ReturnType<typeof createPasswordSignIn>;
