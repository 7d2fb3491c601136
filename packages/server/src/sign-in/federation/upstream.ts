import type { ConfiguredMethod } from "../../oidc/provider.ts";

/** What an upstream identity provider tells about the person who signed in there. */
export interface UpstreamProfile {
  /** The upstream's stable id of the person (`sub`, GitHub's numeric id…), as text. */
  subject: string;
  email: string | null;
  /** True only when the upstream itself says the email is verified. */
  emailVerified: boolean;
  name: string | null;
  givenName: string | null;
  familyName: string | null;
  picture: string | null;
  /** RFC 8176 references the upstream reported (OpenID Connect `amr`), else empty. */
  amr: string[];
}

/** One sign-in's start at the upstream: the values the callback is checked against. */
export interface AuthorizationRequest {
  redirectUri: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** The upstream's answer at the callback (query or form_post parameters) with what the start sent. */
export interface UpstreamCallback extends AuthorizationRequest {
  params: Record<string, string>;
}

/** One kind of upstream (one per federated auth-method type). */
export interface UpstreamAdapter {
  authorizationUrl(method: ConfiguredMethod, request: AuthorizationRequest): Promise<URL>;
  /** The code exchanged with the stored secret, tokens checked, and the profile read. */
  exchange(method: ConfiguredMethod, callback: UpstreamCallback): Promise<UpstreamProfile>;
}

/**
 * Why a federated sign-in failed. `message` is for a log line at warn and is written to hold no
 * secret (no token, code or client secret: only the upstream's error code and a description).
 */
export class UpstreamError extends Error {
  constructor(
    readonly reason: "access_denied" | "exchange_failed" | "invalid_response",
    message: string,
  ) {
    super(message);
  }
}

/** Every outbound request gives up after this long (a slow upstream must not hold a sign-in). */
export const UPSTREAM_TIMEOUT_MS = 10_000;

export const settingString = (method: ConfiguredMethod, key: string): string => {
  const value = method.settings[key];
  if (typeof value !== "string") throw new Error(`auth method ${method.id} has no ${key}`);
  return value;
};

export const settingScopes = (method: ConfiguredMethod, fallback: readonly string[]): string[] => {
  const scopes = method.settings.scopes;
  return Array.isArray(scopes) && scopes.length > 0 ? scopes.map(String) : [...fallback];
};

const text = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);

/** `email_verified` as OpenID Connect says it (Apple sends the string "true"). */
export const isVerified = (value: unknown): boolean => value === true || value === "true";

/** A profile from OpenID Connect standard claims (an ID token, a userinfo answer). */
export function standardProfile(claims: Record<string, unknown>): UpstreamProfile {
  const subject = text(claims.sub) ?? (typeof claims.id === "number" ? String(claims.id) : text(claims.id));
  if (!subject) throw new UpstreamError("invalid_response", "the upstream named no subject (sub)");
  const email = text(claims.email);
  return {
    subject,
    email,
    emailVerified: email !== null && isVerified(claims.email_verified),
    name: text(claims.name),
    givenName: text(claims.given_name),
    familyName: text(claims.family_name),
    picture: text(claims.picture),
    amr: Array.isArray(claims.amr) ? claims.amr.filter((v): v is string => typeof v === "string") : [],
  };
}

/**
 * Where a provider's well-known endpoint really goes: the same path on the override's origin when
 * one is set (tests run a local upstream; `createSignInDeps({ upstreams })`), else unchanged.
 */
export function rebase(url: string, override: string | undefined): string {
  if (!override) return url;
  const target = new URL(url);
  const origin = new URL(override);
  target.protocol = origin.protocol;
  target.host = origin.host;
  return target.href;
}
