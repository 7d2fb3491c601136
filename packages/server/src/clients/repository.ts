import type { ClientModel as ClientRow, Db, Prisma } from "@authpi/db";
import {
  type ApplicationType,
  type Client,
  type ClientConfig,
  Client as ClientSchema,
  type GrantType,
  type ProviderClient,
  type TokenEndpointAuthMethod,
  toTimestamp,
} from "@authpi/domain";

export type { ClientRow };

/** The response allowlist: a row becomes an API object only through the schema; no hash is ever copied. */
export function toClient(row: ClientRow): Client {
  return ClientSchema.parse({
    object: "client",
    id: row.id,
    issuer_id: row.issuerId,
    name: row.name,
    description: row.description,
    application_type: row.applicationType,
    redirect_uris: row.redirectUris,
    post_logout_redirect_uris: row.postLogoutRedirectUris,
    allowed_origins: row.allowedOrigins,
    grant_types: row.grantTypes,
    token_endpoint_auth_method: row.tokenEndpointAuthMethod,
    scopes: row.scopes,
    access_token_ttl_seconds: row.accessTokenTtlSeconds,
    id_token_ttl_seconds: row.idTokenTtlSeconds,
    client_secret_set: row.secretHash !== null,
    previous_secret_expires_at: row.previousSecretExpiresAt ? toTimestamp(row.previousSecretExpiresAt) : null,
    metadata: row.metadata,
    created_at: toTimestamp(row.createdAt),
    updated_at: toTimestamp(row.updatedAt),
  });
}

export function toConfig(row: ClientRow): ClientConfig {
  const client = toClient(row);
  return {
    name: client.name,
    description: client.description,
    application_type: client.application_type,
    redirect_uris: client.redirect_uris,
    post_logout_redirect_uris: client.post_logout_redirect_uris,
    allowed_origins: client.allowed_origins,
    grant_types: client.grant_types,
    token_endpoint_auth_method: client.token_endpoint_auth_method,
    scopes: client.scopes,
    access_token_ttl_seconds: client.access_token_ttl_seconds,
    id_token_ttl_seconds: client.id_token_ttl_seconds,
    metadata: client.metadata,
  };
}

export function toProviderClient(row: ClientRow): ProviderClient {
  return {
    id: row.id,
    issuerId: row.issuerId,
    applicationType: row.applicationType as ApplicationType,
    redirectUris: row.redirectUris,
    postLogoutRedirectUris: row.postLogoutRedirectUris,
    allowedOrigins: row.allowedOrigins,
    grantTypes: row.grantTypes as GrantType[],
    tokenEndpointAuthMethod: row.tokenEndpointAuthMethod as TokenEndpointAuthMethod,
    scopes: row.scopes,
    accessTokenTtlSeconds: row.accessTokenTtlSeconds,
    idTokenTtlSeconds: row.idTokenTtlSeconds,
    hasSecret: row.secretHash !== null,
  };
}

export function configColumns(config: ClientConfig) {
  return {
    name: config.name,
    description: config.description,
    applicationType: config.application_type,
    redirectUris: config.redirect_uris,
    postLogoutRedirectUris: config.post_logout_redirect_uris,
    allowedOrigins: config.allowed_origins,
    grantTypes: config.grant_types,
    tokenEndpointAuthMethod: config.token_endpoint_auth_method,
    scopes: config.scopes,
    accessTokenTtlSeconds: config.access_token_ttl_seconds,
    idTokenTtlSeconds: config.id_token_ttl_seconds,
    metadata: config.metadata as Prisma.InputJsonObject,
  };
}

export function createClientRepository(db: Db) {
  return {
    find(issuerId: string, id: string): Promise<ClientRow | null> {
      return db.client.findFirst({ where: { id, issuerId } });
    },

    /** One keyset page: `limit + 1` rows newest first, starting after `beforeId`. */
    page(issuerId: string, options: { limit: number; beforeId?: string | undefined }): Promise<ClientRow[]> {
      return db.client.findMany({
        where: { issuerId, ...(options.beforeId ? { id: { lt: options.beforeId } } : {}) },
        orderBy: { id: "desc" },
        take: options.limit + 1,
      });
    },

    insert(data: Prisma.ClientUncheckedCreateInput): Promise<ClientRow> {
      return db.client.create({ data });
    },

    /** Writes only when the row is still at `version`; returns false when it was not. */
    async updateAtVersion(id: string, version: number, data: Prisma.ClientUncheckedUpdateManyInput): Promise<boolean> {
      const { count } = await db.client.updateMany({ where: { id, version }, data: { ...data, version: version + 1 } });
      return count === 1;
    },

    async deleteAtVersion(id: string, version: number): Promise<boolean> {
      const { count } = await db.client.deleteMany({ where: { id, version } });
      return count === 1;
    },
  };
}
