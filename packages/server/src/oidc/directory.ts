/**
 * What the OpenID Provider reads from the clients and users of an issuer. The clients and users
 * services implement it (`services.clients`, `services.users`); the provider never touches their
 * tables itself.
 */
import type { PoolUser, ProviderClient } from "@authpi/domain";

export type { PoolUser, ProviderClient };

export interface ClientDirectory {
  findForProvider(issuerId: string, clientId: string): Promise<ProviderClient | null>;
  /** The current secret, or the previous one within its grace. Secrets are stored only as hashes. */
  verifySecret(issuerId: string, clientId: string, secret: string, now?: Date): Promise<boolean>;
}

export interface UserDirectory {
  findById(issuerId: string, userId: string): Promise<PoolUser | null>;
  findByEmail(issuerId: string, email: string): Promise<PoolUser | null>;
  /** The user when the password is right (blocked users included: the caller refuses them), else null. */
  verifyPassword(issuerId: string, email: string, password: string): Promise<PoolUser | null>;
  signUp(issuerId: string, input: { email: string; password: string; name?: string }): Promise<PoolUser>;
  markSignedIn(issuerId: string, userId: string, at: Date): Promise<void>;
  setEmailVerified(issuerId: string, userId: string): Promise<void>;

  // ---- one-time codes, links and the temporary password ----
  /** The user when `password` is their pending, unexpired temporary password, else null. */
  verifyTemporaryPassword(issuerId: string, email: string, password: string): Promise<PoolUser | null>;
  /** The real password that replaces a temporary one (the password method's policy, or its defaults). */
  replaceTemporaryPassword(issuerId: string, userId: string, password: string): Promise<void>;
  findByPhone(issuerId: string, phoneNumber: string): Promise<PoolUser | null>;
  /** A new user whose email or phone number a code or link just proved (created verified). */
  signUpVerified(issuerId: string, contact: { email: string } | { phoneNumber: string }): Promise<PoolUser>;
  setPhoneVerified(issuerId: string, userId: string): Promise<void>;
  // ---- federated sign-in ----
  findByIdentity(issuerId: string, authMethodId: string, subject: string): Promise<PoolUser | null>;
  linkIdentity(issuerId: string, userId: string, identity: UpstreamIdentity): Promise<boolean>;
  signUpFederated(issuerId: string, profile: FederatedProfile, identity: UpstreamIdentity): Promise<PoolUser>;
}

/** An upstream identity of a user: its federated auth method and the upstream's subject. */
export interface UpstreamIdentity {
  authMethodId: string;
  subject: string;
}

/** What a new user takes from an upstream's profile (`emailVerified` as the upstream vouched). */
export interface FederatedProfile {
  email: string;
  emailVerified: boolean;
  name: string | null;
  givenName: string | null;
  familyName: string | null;
  picture: string | null;
}
