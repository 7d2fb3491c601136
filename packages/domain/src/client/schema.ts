import { z } from "zod";
import { ListLimit, listOf, Metadata, Name, ScopeToken, Timestamp, uniqueList } from "../common.ts";
import { refuseKeys } from "../refuse-keys.ts";

export const APPLICATION_TYPES = ["web", "spa", "native", "machine"] as const;
export const ApplicationType = z
  .enum(APPLICATION_TYPES)
  .describe(
    "`web`: a server-side app with a secret; `spa`: a browser app (public, PKCE); `native`: a mobile or desktop app (public, PKCE); `machine`: a service using client_credentials. Cannot change.",
  );
export type ApplicationType = z.infer<typeof ApplicationType>;

export const GRANT_TYPES = ["authorization_code", "refresh_token", "client_credentials"] as const;
export const GrantType = z.enum(GRANT_TYPES);
export type GrantType = z.infer<typeof GrantType>;

export const TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"] as const;
export const TokenEndpointAuthMethod = z
  .enum(TOKEN_ENDPOINT_AUTH_METHODS)
  .describe("How the client authenticates at the token endpoint; `none` for public clients (PKCE S256 required).");
export type TokenEndpointAuthMethod = z.infer<typeof TokenEndpointAuthMethod>;

/** What each application type allows (api-contract §5's table); the rules read only this. */
export interface ApplicationTypeRules {
  authMethods: readonly TokenEndpointAuthMethod[];
  defaultAuthMethod: TokenEndpointAuthMethod;
  grantTypes: readonly GrantType[];
  /** `browser`: https (http for localhost); `native`: private-use scheme or loopback; `none`: not allowed. */
  redirectUris: "browser" | "native" | "none";
  allowedOrigins: boolean;
}

export const APPLICATION_TYPE_RULES: Readonly<Record<ApplicationType, ApplicationTypeRules>> = {
  web: {
    authMethods: ["client_secret_basic", "client_secret_post"],
    defaultAuthMethod: "client_secret_basic",
    grantTypes: ["authorization_code", "refresh_token"],
    redirectUris: "browser",
    allowedOrigins: false,
  },
  spa: {
    authMethods: ["none"],
    defaultAuthMethod: "none",
    grantTypes: ["authorization_code", "refresh_token"],
    redirectUris: "browser",
    allowedOrigins: true,
  },
  native: {
    authMethods: ["none"],
    defaultAuthMethod: "none",
    grantTypes: ["authorization_code", "refresh_token"],
    redirectUris: "native",
    allowedOrigins: false,
  },
  machine: {
    authMethods: ["client_secret_basic", "client_secret_post"],
    defaultAuthMethod: "client_secret_basic",
    grantTypes: ["client_credentials"],
    redirectUris: "none",
    allowedOrigins: false,
  },
};

export const MAX_REDIRECT_URIS = 20;
export const TTL_MIN_SECONDS = 60;
export const TTL_MAX_SECONDS = 86_400;
export const MAX_PREVIOUS_SECRET_SECONDS = 604_800;

const UriList = uniqueList(z.string().min(1).max(2048, "Must be at most 2048 characters"), MAX_REDIRECT_URIS);
const Description = z.string().max(2000, "Must be at most 2000 characters").nullable();
const Ttl = z.number().int().min(TTL_MIN_SECONDS).max(TTL_MAX_SECONDS);

/**
 * The create body's shape. Defaults that depend on the application type or the
 * issuer (auth method, grant types, scopes) are filled by the rules, which also
 * check the per-type combinations; this schema checks each field alone.
 */
export const CreateClientInput = z
  .strictObject({
    name: Name,
    description: Description.optional().describe("Markdown, at most 2000 characters."),
    application_type: ApplicationType,
    redirect_uris: UriList.optional().describe(
      "Where the authorization server may send the user back; matched exactly (except a native loopback port). At least one for web, spa and native; none for machine.",
    ),
    post_logout_redirect_uris: UriList.optional().describe("Where RP-initiated logout may redirect to."),
    allowed_origins: UriList.optional().describe(
      "spa only: the CORS origins (`https://app.example.com`) of its token calls.",
    ),
    grant_types: uniqueList(GrantType, 3).optional().describe("Default: every grant the application type allows."),
    token_endpoint_auth_method: TokenEndpointAuthMethod.optional().describe(
      "web and machine: `client_secret_basic` (default) or `client_secret_post`; spa and native: `none`.",
    ),
    scopes: uniqueList(ScopeToken, 100)
      .optional()
      .describe("A subset of the issuer's available_scopes; default: all of them."),
    access_token_ttl_seconds: Ttl.optional().describe("Access token lifetime (60-86400, default 3600)."),
    id_token_ttl_seconds: Ttl.optional().describe("ID token lifetime (60-86400, default 3600)."),
    metadata: Metadata.optional(),
  })
  .meta({ id: "CreateClientRequest" });
export type CreateClientInput = z.input<typeof CreateClientInput>;
/** A parsed create body; the rules fill its defaults and check the combination. */
export type CreateClientBody = z.output<typeof CreateClientInput>;

/** The whole, defaulted configuration of a client: what a create or a PATCH's result must be. */
export interface ClientConfig {
  name: string;
  description: string | null;
  application_type: ApplicationType;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  allowed_origins: string[];
  grant_types: GrantType[];
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  scopes: string[];
  access_token_ttl_seconds: number;
  id_token_ttl_seconds: number;
  metadata: Record<string, string>;
}

/** PATCH body: every field optional; lists replace, `metadata` merges. `application_type` is refused. */
export const UpdateClientInput = refuseKeys(
  z.strictObject({
    name: Name.optional(),
    description: Description.optional(),
    application_type: z.unknown().optional().describe("Cannot change: sending it is a 400 `immutable_field`."),
    redirect_uris: UriList.optional(),
    post_logout_redirect_uris: UriList.optional(),
    allowed_origins: UriList.optional(),
    grant_types: uniqueList(GrantType, 3).optional(),
    token_endpoint_auth_method: TokenEndpointAuthMethod.optional(),
    scopes: uniqueList(ScopeToken, 100).optional(),
    access_token_ttl_seconds: Ttl.optional(),
    id_token_ttl_seconds: Ttl.optional(),
    metadata: z.record(z.string(), z.unknown()).optional().describe("Merge patch of metadata; null removes a key."),
  }),
  [
    {
      key: "application_type",
      code: "immutable_field",
      message: "application_type cannot be changed after creation; create a new client instead",
    },
  ],
).meta({ id: "UpdateClientRequest" });
export type UpdateClientInput = z.input<typeof UpdateClientInput>;
/** A parsed PATCH body: the keys it sent, and only those (`description: null` clears, absent keeps). */
export type ClientPatch = z.output<typeof UpdateClientInput>;

export const RotateClientSecretInput = z
  .strictObject({
    previous_secret_expires_in_seconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_PREVIOUS_SECRET_SECONDS)
      .default(0)
      .describe("How long the previous secret keeps working (0-604800 s, default 0: it stops now)."),
  })
  .meta({ id: "RotateClientSecretRequest" });
export type RotateClientSecretInput = z.input<typeof RotateClientSecretInput>;
/** A parsed rotate-secret body, its default filled in. */
export type ClientSecretRotation = z.output<typeof RotateClientSecretInput>;

export const Client = z
  .object({
    object: z.literal("client"),
    id: z.string().describe("`cli_` + ULID; also the OAuth `client_id`."),
    issuer_id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    application_type: ApplicationType,
    redirect_uris: z.array(z.string()),
    post_logout_redirect_uris: z.array(z.string()),
    allowed_origins: z.array(z.string()),
    grant_types: z.array(GrantType),
    token_endpoint_auth_method: TokenEndpointAuthMethod,
    scopes: z.array(z.string()),
    access_token_ttl_seconds: z.number().int(),
    id_token_ttl_seconds: z.number().int(),
    client_secret_set: z.boolean().describe("Whether the client has a secret (never returned after its creation)."),
    previous_secret_expires_at: Timestamp.nullable().describe(
      "Until when the previous secret still authenticates after a rotation; null when it does not.",
    ),
    metadata: z.record(z.string(), z.string()),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: "Client" });
export type Client = z.infer<typeof Client>;

/**
 * The answer to a create and to a rotation: the client plus its secret, shown
 * this once. A public client's is null, and so is the idempotent replay's.
 */
export const ClientWithSecret = Client.extend({
  client_secret: z
    .string()
    .nullable()
    .describe("`cs_…`: shown only in this response; null for a public client and in an idempotent replay."),
}).meta({ id: "ClientWithSecret" });
export type ClientWithSecret = z.infer<typeof ClientWithSecret>;

export const ClientList = listOf(Client).meta({ id: "ClientList" });
export type ClientList = z.infer<typeof ClientList>;

export const ListClientsQuery = z.strictObject({
  limit: ListLimit,
  cursor: z.string().max(64).optional().describe("Pagination cursor (client ID from the previous page)"),
});
export type ListClientsQuery = z.infer<typeof ListClientsQuery>;

/**
 * What the OpenID Provider reads of a client: its OAuth metadata and whether
 * it has a secret, never the secret or its hash.
 */
export interface ProviderClient {
  id: string;
  issuerId: string;
  applicationType: ApplicationType;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  allowedOrigins: string[];
  grantTypes: GrantType[];
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  scopes: string[];
  accessTokenTtlSeconds: number;
  idTokenTtlSeconds: number;
  hasSecret: boolean;
}
