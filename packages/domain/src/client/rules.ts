import { Metadata } from "../common.ts";
import { DomainError, parseOrThrow } from "../errors.ts";
import { mergePatch } from "../merge-patch.ts";
import {
  APPLICATION_TYPE_RULES,
  type ClientConfig,
  type ClientPatch,
  type CreateClientBody,
  type GrantType,
} from "./schema.ts";

export interface ClientContext {
  /** The issuer's `available_scopes`: a client's scopes are a subset, and default to all of them. */
  availableScopes: readonly string[];
}

const DEFAULT_TTL_SECONDS = 3600;

function invalid(param: string, message: string): DomainError {
  return new DomainError("validation_failed", `${param}: ${message}`, {
    param,
    details: [{ param, message }],
  });
}

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1"]);
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "[::1]"]);

/** RFC 8252 §7.1: a private-use scheme is a reverse domain name, so it contains a period. */
const PRIVATE_USE_SCHEME = /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/;

function uriProblem(value: string, kind: "browser" | "native"): string | undefined {
  if (!URL.canParse(value)) return "Must be an absolute URI";
  if (value.includes("#")) return "Must not contain a fragment";
  const url = new URL(value);
  if (kind === "browser") {
    if (url.protocol === "https:" && url.hostname !== "") return undefined;
    if (url.protocol === "http:" && LOCAL_HOSTS.has(url.hostname)) return undefined;
    return "Must be an https URI (http only for localhost and 127.0.0.1)";
  }
  if (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  if (PRIVATE_USE_SCHEME.test(url.protocol)) return undefined;
  return "Must use a private-use scheme (com.example.app:/callback) or the loopback http://127.0.0.1:{port}/ (RFC 8252)";
}

function checkUris(param: string, uris: readonly string[], kind: "browser" | "native"): void {
  for (const [i, uri] of uris.entries()) {
    const problem = uriProblem(uri, kind);
    if (problem) throw invalid(`${param}[${i}]`, problem);
  }
}

function checkOrigins(origins: readonly string[]): void {
  for (const [i, origin] of origins.entries()) {
    const param = `allowed_origins[${i}]`;
    const problem = uriProblem(origin, "browser");
    if (problem) throw invalid(param, problem);
    if (new URL(origin).origin !== origin) {
      throw invalid(param, "Must be an origin: scheme, host and optional port, without a path or trailing slash");
    }
  }
}

/** Checks a whole configuration against its application type's row of the table (api-contract §5). */
function checkCombination(config: ClientConfig, context: ClientContext, checkScopes: boolean): void {
  const rules = APPLICATION_TYPE_RULES[config.application_type];
  const type = config.application_type;
  if (!rules.authMethods.includes(config.token_endpoint_auth_method)) {
    throw invalid(
      "token_endpoint_auth_method",
      `A ${type} client uses ${rules.authMethods.map((m) => `'${m}'`).join(" or ")}`,
    );
  }
  if (config.grant_types.length === 0) throw invalid("grant_types", "Must name at least one grant type");
  for (const [i, grant] of config.grant_types.entries()) {
    if (!rules.grantTypes.includes(grant)) {
      throw invalid(`grant_types[${i}]`, `A ${type} client cannot use the '${grant}' grant`);
    }
  }
  if (config.grant_types.includes("refresh_token") && !config.grant_types.includes("authorization_code")) {
    throw invalid("grant_types", "refresh_token needs authorization_code, which issues the first refresh token");
  }
  if (rules.redirectUris === "none") {
    if (config.redirect_uris.length > 0) throw invalid("redirect_uris", `A ${type} client has no redirect URIs`);
    if (config.post_logout_redirect_uris.length > 0) {
      throw invalid("post_logout_redirect_uris", `A ${type} client has no post-logout redirect URIs`);
    }
  } else {
    if (config.redirect_uris.length === 0) throw invalid("redirect_uris", `A ${type} client needs at least one`);
    checkUris("redirect_uris", config.redirect_uris, rules.redirectUris);
    checkUris("post_logout_redirect_uris", config.post_logout_redirect_uris, rules.redirectUris);
  }
  if (!rules.allowedOrigins && config.allowed_origins.length > 0) {
    throw invalid("allowed_origins", "Only spa clients have allowed origins");
  }
  checkOrigins(config.allowed_origins);
  if (checkScopes) {
    const available = new Set(context.availableScopes);
    for (const [i, scope] of config.scopes.entries()) {
      if (!available.has(scope)) {
        throw invalid(`scopes[${i}]`, `'${scope}' is not one of the issuer's available_scopes`);
      }
    }
  }
}

/** A parsed create body as a complete configuration, defaults filled from its type and the issuer. */
export function clientConfigForCreate(body: CreateClientBody, context: ClientContext): ClientConfig {
  const rules = APPLICATION_TYPE_RULES[body.application_type];
  const config: ClientConfig = {
    name: body.name,
    description: body.description ?? null,
    application_type: body.application_type,
    redirect_uris: body.redirect_uris ?? [],
    post_logout_redirect_uris: body.post_logout_redirect_uris ?? [],
    allowed_origins: body.allowed_origins ?? [],
    grant_types: body.grant_types ?? [...rules.grantTypes],
    token_endpoint_auth_method: body.token_endpoint_auth_method ?? rules.defaultAuthMethod,
    scopes: body.scopes ?? [...context.availableScopes],
    access_token_ttl_seconds: body.access_token_ttl_seconds ?? DEFAULT_TTL_SECONDS,
    id_token_ttl_seconds: body.id_token_ttl_seconds ?? DEFAULT_TTL_SECONDS,
    metadata: body.metadata ?? {},
  };
  checkCombination(config, context, true);
  return config;
}

/**
 * Applies a parsed PATCH to the current configuration: fields replace,
 * `metadata` merges (RFC 7396), and the result is checked whole, as a create
 * would be. (`application_type` never gets here: the body schema refuses it
 * even with its current value, so a caller never believes it changed.) Scopes
 * are checked against the issuer only when the PATCH sends them: an issuer
 * that later narrowed its scopes does not block unrelated edits.
 */
export function applyClientPatch(current: ClientConfig, patch: ClientPatch, context: ClientContext): ClientConfig {
  const next: ClientConfig = {
    name: patch.name ?? current.name,
    description: patch.description === undefined ? current.description : patch.description,
    application_type: current.application_type,
    redirect_uris: patch.redirect_uris ?? current.redirect_uris,
    post_logout_redirect_uris: patch.post_logout_redirect_uris ?? current.post_logout_redirect_uris,
    allowed_origins: patch.allowed_origins ?? current.allowed_origins,
    grant_types: (patch.grant_types as GrantType[] | undefined) ?? current.grant_types,
    token_endpoint_auth_method: patch.token_endpoint_auth_method ?? current.token_endpoint_auth_method,
    scopes: patch.scopes ?? current.scopes,
    access_token_ttl_seconds: patch.access_token_ttl_seconds ?? current.access_token_ttl_seconds,
    id_token_ttl_seconds: patch.id_token_ttl_seconds ?? current.id_token_ttl_seconds,
    metadata:
      patch.metadata === undefined
        ? current.metadata
        : parseOrThrow(Metadata, mergePatch(current.metadata, patch.metadata), ["metadata"]),
  };
  checkCombination(next, context, patch.scopes !== undefined);
  return next;
}

/** Whether a client with this auth method has a secret (confidential) or not (public). */
export function isConfidential(method: ClientConfig["token_endpoint_auth_method"]): boolean {
  return method !== "none";
}

/**
 * The sign-in's redirect URI check (api-contract §5): string equality with a
 * registered URI, except that a native client's loopback URI matches on any
 * port (RFC 8252 §7.3). For the OpenID Provider.
 */
export function redirectUriMatches(
  applicationType: ClientConfig["application_type"],
  registered: readonly string[],
  presented: string,
): boolean {
  if (registered.includes(presented)) return true;
  if (applicationType !== "native" || !URL.canParse(presented)) return false;
  const url = new URL(presented);
  if (url.protocol !== "http:" || !LOOPBACK_HOSTS.has(url.hostname)) return false;
  url.port = "";
  const withoutPort = url.toString();
  return registered.some((uri) => {
    if (!URL.canParse(uri)) return false;
    const candidate = new URL(uri);
    if (candidate.protocol !== "http:" || !LOOPBACK_HOSTS.has(candidate.hostname)) return false;
    candidate.port = "";
    return candidate.toString() === withoutPort;
  });
}
