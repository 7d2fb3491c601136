/**
 * What the OpenID Provider reads from the clients and users of an issuer. The clients and users
 * services implement it (`services.clients`, `services.users`); the provider never touches their
 * tables itself.
 */

export interface ProviderClient {
  id: string;
  issuerId: string;
  applicationType: "web" | "spa" | "native" | "machine";
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  allowedOrigins: string[];
  grantTypes: string[];
  tokenEndpointAuthMethod: "client_secret_basic" | "client_secret_post" | "none";
  scopes: string[];
  accessTokenTtlSeconds: number;
  idTokenTtlSeconds: number;
  hasSecret: boolean;
}

export interface ClientDirectory {
  findForProvider(issuerId: string, clientId: string): Promise<ProviderClient | null>;
  /** The current secret, or the previous one within its grace. Secrets are stored only as hashes. */
  verifySecret(issuerId: string, clientId: string, secret: string, now?: Date): Promise<boolean>;
}

/** A user of an issuer's pool, as contract §6 names its fields. */
export interface DirectoryUser {
  id: string;
  issuer_id: string;
  email: string | null;
  email_verified: boolean;
  phone_number: string | null;
  phone_verified: boolean;
  name: string | null;
  given_name: string | null;
  family_name: string | null;
  picture: string | null;
  status: "active" | "blocked";
  updated_at: string;
}

export interface UserDirectory {
  findById(issuerId: string, userId: string): Promise<DirectoryUser | null>;
  findByEmail(issuerId: string, email: string): Promise<DirectoryUser | null>;
  /** The user when the password is right (blocked users included: the caller refuses them), else null. */
  verifyPassword(issuerId: string, email: string, password: string): Promise<DirectoryUser | null>;
  signUp(issuerId: string, input: { email: string; password: string; name?: string }): Promise<DirectoryUser>;
  markSignedIn(issuerId: string, userId: string, at: Date): Promise<void>;
  setEmailVerified(issuerId: string, userId: string): Promise<void>;
}
