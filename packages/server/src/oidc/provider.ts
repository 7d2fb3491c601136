import { randomBytes } from "node:crypto";
import type { Db } from "@authpi/db";
import {
  type AuthMethodType,
  CLAIMS_BY_SCOPE,
  type ClaimName,
  type IssuerSettings,
  refreshTokenTtl,
  releaseClaims,
} from "@authpi/domain";
import Provider, { type AdapterPayload, type Configuration, errors, type KoaContextWithOIDC } from "oidc-provider";
import { createArtifactAdapter } from "./adapter.ts";
import type { ClientDirectory, PoolUser, ProviderClient, UserDirectory } from "./directory.ts";
import type { PrivateJwk } from "./signing-keys.ts";

/**
 * One auth method of the issuer as the sign-in side uses it: its full settings (defaults filled in)
 * with the secret keys decrypted. It lives only in the process's memory, never in a page or a log.
 */
export interface ConfiguredMethod {
  id: string;
  name: string;
  method: AuthMethodType;
  enabledLogin: boolean;
  enabledSignup: boolean;
  featured: boolean;
  firstFactorOnly: boolean;
  settings: Record<string, unknown>;
}

/** What one provider instance is built from: a snapshot of its issuer, taken when the pool builds it. */
export interface IssuerSnapshot {
  id: string;
  status: "active" | "disabled" | "suspended" | "deleted";
  name: string;
  availableScopes: string[];
  settings: IssuerSettings;
  /** The issuer's `password` auth method, when it has one. */
  password: { enabledLogin: boolean; enabledSignup: boolean; settings: Record<string, unknown> } | null;
  /** Every auth method of the issuer, featured first, then oldest first. */
  methods: ConfiguredMethod[];
}

export interface ProviderDeps {
  db: Db;
  clients: ClientDirectory;
  users: UserDirectory;
  /** Trust X-Forwarded-Proto/-For (Secure cookies behind a TLS proxy). */
  trustProxy: boolean;
  renderError(ctx: KoaContextWithOIDC, out: Record<string, string>, issuer: IssuerSnapshot): void;
  renderLogout(ctx: KoaContextWithOIDC, form: string, issuer: IssuerSnapshot): void;
  renderLoggedOut(ctx: KoaContextWithOIDC, issuer: IssuerSnapshot): void;
}

/** The path every issuer's provider is served under, and its URL. */
export const oidcBasePath = (issuerId: string) => `/oidc/${issuerId}`;
export const issuerUrlFor = (publicUrl: string, issuerId: string) => `${publicUrl}${oidcBasePath(issuerId)}`;

/**
 * A client's `client_secret` in the provider's metadata. Client secrets are stored only as SHA-256
 * hashes, so the provider can never hold the real one: it is given this per-process random value
 * to satisfy its schema, and its secret comparison is replaced (below) by the clients service's
 * verification, which knows the current secret and the previous one within its rotation grace.
 */
const PLACEHOLDER_SECRET = randomBytes(32).toString("base64url");

function clientMetadata(client: ProviderClient) {
  const codeFlow = client.grantTypes.includes("authorization_code");
  return {
    client_id: client.id,
    ...(client.hasSecret ? { client_secret: PLACEHOLDER_SECRET } : {}),
    application_type: client.applicationType === "native" ? "native" : "web",
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    grant_types: client.grantTypes,
    response_types: codeFlow ? ["code"] : [],
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    scope: client.scopes.join(" "),
    id_token_signed_response_alg: undefined,
    "authpi.access_token_ttl": client.accessTokenTtlSeconds,
    "authpi.id_token_ttl": client.idTokenTtlSeconds,
    "authpi.allowed_origins": client.allowedOrigins,
  };
}

type ClientExtras = {
  "authpi.access_token_ttl"?: number;
  "authpi.id_token_ttl"?: number;
  "authpi.allowed_origins"?: string[];
};

const extras = (client: unknown) => (client ?? {}) as ClientExtras;

/** The claim values of a user, by claim name (OpenID Connect Core §5.1). */
export function userClaimValues(user: PoolUser): Partial<Record<ClaimName, unknown>> {
  return {
    sub: user.id,
    name: user.name ?? undefined,
    given_name: user.givenName ?? undefined,
    family_name: user.familyName ?? undefined,
    picture: user.picture ?? undefined,
    updated_at: Math.floor(user.updatedAt.getTime() / 1000),
    email: user.email ?? undefined,
    email_verified: user.email === null ? undefined : user.emailVerified,
    phone_number: user.phoneNumber ?? undefined,
    phone_verified: user.phoneNumber === null ? undefined : user.phoneVerified,
  };
}

/** One issuer's OpenID Provider (oidc-provider is fixed to one issuer per instance). */
export function buildProvider(
  issuer: IssuerSnapshot,
  issuerUrl: string,
  jwks: PrivateJwk[],
  cookieKeys: string[],
  deps: ProviderDeps,
): Provider {
  const session = issuer.settings.session;
  const scopes = new Set(issuer.availableScopes);
  const [currentKey] = jwks;
  const signingAlg = (currentKey?.alg ?? "RS256") as "RS256" | "ES256";
  // The audience of access tokens (RFC 9068 requires one): the issuer itself, whose userinfo
  // endpoint accepts them. A `resource` naming anything else is refused (invalid_target).
  const audience = issuerUrl;

  const adapterOptions = { reuseDetection: () => session.refresh_token_reuse_detection };
  const configuration: Configuration = {
    adapter(name: string) {
      if (name === "Client") {
        return {
          async find(id: string) {
            const client = await deps.clients.findForProvider(issuer.id, id);
            return client ? (clientMetadata(client) as unknown as AdapterPayload) : undefined;
          },
          upsert: () => Promise.resolve(),
          findByUid: () => Promise.resolve(undefined),
          findByUserCode: () => Promise.resolve(undefined),
          consume: () => Promise.resolve(),
          destroy: () => Promise.resolve(),
          revokeByGrantId: () => Promise.resolve(),
        };
      }
      return createArtifactAdapter(deps.db, issuer.id, name, adapterOptions);
    },
    jwks: { keys: jwks as NonNullable<Configuration["jwks"]>["keys"] },
    cookies: {
      keys: cookieKeys,
      long: { httpOnly: true, sameSite: "lax", path: oidcBasePath(issuer.id) },
      short: { httpOnly: true, sameSite: "lax", path: oidcBasePath(issuer.id) },
    },
    scopes: [...scopes],
    // `amr` rides on `openid`: the RFC 8176 method references the hosted sign-in gathered (`pwd`,
    // `otp`, `sms`, `mfa`, …) reach the ID token only as a claim of a granted scope.
    claims: Object.fromEntries(
      Object.entries(CLAIMS_BY_SCOPE)
        .filter(([scope]) => scope === "openid" || scopes.has(scope))
        // How the user signed in (RFC 8176: pwd, otp, hwk, mfa, …) rides in every ID token.
        .map(([scope, claims]) => [scope, scope === "openid" ? [...claims, "amr"] : [...claims]]),
    ),
    responseTypes: ["code"],
    clientAuthMethods: ["client_secret_basic", "client_secret_post", "none"],
    enabledJWA: {
      idTokenSigningAlgValues: ["RS256", "ES256"],
    },
    clientDefaults: {
      grant_types: ["authorization_code"],
      id_token_signed_response_alg: signingAlg,
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
    extraClientMetadata: {
      properties: ["authpi.access_token_ttl", "authpi.id_token_ttl", "authpi.allowed_origins"],
    },
    clientBasedCORS(_ctx, origin, client) {
      return (extras(client)["authpi.allowed_origins"] ?? []).includes(origin);
    },
    // PKCE S256 for public clients; confidential ones may use it (the provider only knows S256).
    pkce: { required: (_ctx, client) => client.clientAuthMethod === "none" },
    async findAccount(_ctx, sub) {
      const user = await deps.users.findById(issuer.id, sub);
      // A blocked user signs in nowhere and its refresh tokens stop working.
      if (user?.status !== "active") return undefined;
      const values = userClaimValues(user);
      return {
        accountId: user.id,
        claims: (_use, scope) => ({ sub: user.id, ...releaseClaims(values, (scope ?? "").split(" ")) }),
      };
    },
    conformIdTokenClaims: true,
    discovery: {
      claim_types_supported: ["normal"],
      userinfo_endpoint: `${issuerUrl}/userinfo`,
    },
    interactions: {
      url: (_ctx, interaction) => `${oidcBasePath(issuer.id)}/interaction/${interaction.uid}`,
    },
    routes: {
      authorization: "/auth",
      token: "/token",
      jwks: "/jwks",
      revocation: "/token/revocation",
      introspection: "/token/introspection",
      end_session: "/session/end",
      userinfo: "/userinfo",
    },
    features: {
      devInteractions: { enabled: false },
      // The provider's own userinfo accepts only audience-less (opaque) tokens; AuthPI's access
      // tokens are JWTs for the issuer's audience, so the handler serves /userinfo itself.
      userinfo: { enabled: false },
      // A client revokes only what was issued to it (RFC 7009 §2.1).
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      introspection: {
        enabled: true,
        // RFC 7662 for confidential clients (resource servers) only.
        allowedPolicy: async (_ctx, client) => client.clientAuthMethod !== "none",
      },
      clientCredentials: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => deps.renderLogout(ctx, form, issuer),
        postLogoutSuccessSource: async (ctx) => deps.renderLoggedOut(ctx, issuer),
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => audience,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resource, client) => {
          if (resource !== audience) throw new errors.InvalidTarget();
          return {
            scope: [...scopes].join(" "),
            audience,
            accessTokenTTL: extras(client)["authpi.access_token_ttl"] ?? 3600,
            accessTokenFormat: "jwt",
            jwt: { sign: { alg: signingAlg } },
          };
        },
      },
    },
    formats: {
      customizers: {
        // JWT access tokens are not stored by oidc-provider; AuthPI keeps a record of each (by jti)
        // so that revocation, introspection, userinfo and grant revocation see them.
        async jwt(_ctx, token, jwt) {
          const model = token as unknown as {
            jti: string;
            constructor: { IN_PAYLOAD: string[] };
            adapter: { upsert(id: string, payload: object, ttl: number): Promise<void> };
          } & Record<string, unknown>;
          const payload: Record<string, unknown> = { iat: jwt.payload.iat, exp: jwt.payload.exp, format: "opaque" };
          for (const field of model.constructor.IN_PAYLOAD) {
            if (model[field] !== undefined) payload[field] = model[field];
          }
          payload.format = "opaque";
          const ttl = Math.max(1, Number(jwt.payload.exp) - Math.floor(Date.now() / 1000));
          await model.adapter.upsert(model.jti, payload, ttl);
        },
      },
    },
    ttl: {
      AuthorizationCode: 60,
      Interaction: 3600,
      AccessToken: (_ctx, _token, client) => extras(client)["authpi.access_token_ttl"] ?? 3600,
      ClientCredentials: (_ctx, _token, client) => extras(client)["authpi.access_token_ttl"] ?? 3600,
      IdToken: (_ctx, _token, client) => extras(client)["authpi.id_token_ttl"] ?? 3600,
      Session: (_ctx, s) => {
        const started = s.loginTs ?? Math.floor(Date.now() / 1000);
        return Math.max(1, started + session.lifetime_seconds - Math.floor(Date.now() / 1000));
      },
      Grant: session.lifetime_seconds,
      RefreshToken: (_ctx, token) => {
        const now = Math.floor(Date.now() / 1000);
        const started = (token as { iiat?: number }).iiat ?? now;
        return Math.max(1, refreshTokenTtl(session, started, now));
      },
    },
    rotateRefreshToken: () => session.refresh_token_rotation,
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed("refresh_token"),
    expiresWithSession: async () => false,
    renderError: async (ctx, out) => deps.renderError(ctx, out as unknown as Record<string, string>, issuer),
    loadExistingGrant: async (ctx) => {
      const grantId =
        ctx.oidc.result?.consent?.grantId || ctx.oidc.session?.grantIdFor(ctx.oidc.client?.clientId ?? "");
      return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
    },
  };

  const provider = new Provider(issuerUrl, configuration);
  provider.proxy = deps.trustProxy;

  // See PLACEHOLDER_SECRET: the clients service decides whether a presented secret is right.
  const ClientClass = provider.Client as unknown as { prototype: Record<string, unknown> };
  ClientClass.prototype.compareClientSecret = async function compareClientSecret(
    this: { clientId: string },
    presented: string,
  ) {
    return deps.clients.verifySecret(issuer.id, this.clientId, presented);
  };

  // Without rotation the same refresh token is used again and again: each use restarts its idle
  // timeout (never past the end of the chain), so only a token left unused that long expires.
  provider.use(async (ctx, next) => {
    await next();
    const used = ctx.oidc?.entities?.RefreshToken;
    if (ctx.path !== "/token" || ctx.status !== 200 || session.refresh_token_rotation || !used) return;
    const now = Math.floor(Date.now() / 1000);
    const ttl = refreshTokenTtl(session, used.iiat ?? now, now);
    if (ttl > 0) {
      used.exp = now + ttl;
      await used.save();
    }
  });

  // RFC 6749 §5.2 names a grant type the client may not use `unauthorized_client`; oidc-provider
  // answers `invalid_request`.
  provider.use(async (ctx, next) => {
    await next();
    const body = ctx.body as { error?: string; error_description?: string } | undefined;
    if (ctx.path === "/token" && body?.error_description === "requested grant type is not allowed for this client") {
      body.error = "unauthorized_client";
    }
  });

  return provider;
}
