import type { ClientModel as ClientRow } from "@authpi/db";
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
import { type Sql, statement } from "../sql.ts";

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

/** The columns of a client, named as the row type names them. */
const COLUMNS = `id, issuer_id AS "issuerId", name, description, application_type AS "applicationType",
  redirect_uris AS "redirectUris", post_logout_redirect_uris AS "postLogoutRedirectUris",
  allowed_origins AS "allowedOrigins", grant_types AS "grantTypes",
  token_endpoint_auth_method AS "tokenEndpointAuthMethod", scopes,
  access_token_ttl_seconds AS "accessTokenTtlSeconds", id_token_ttl_seconds AS "idTokenTtlSeconds",
  secret_hash AS "secretHash", previous_secret_hash AS "previousSecretHash",
  previous_secret_expires_at AS "previousSecretExpiresAt", metadata, version,
  created_at AS "createdAt", updated_at AS "updatedAt"`;

const FIND = statement("client_find", `SELECT ${COLUMNS} FROM clients WHERE issuer_id = $1 AND id = $2`);

// One keyset page, `limit + 1` rows newest first; with a cursor, a statement of its own so
// that its generic plan seeks the index (`id < $3` as an index condition, not a filter).
const PAGE = statement(
  "client_page",
  `SELECT ${COLUMNS} FROM clients WHERE issuer_id = $1 ORDER BY id DESC LIMIT $2::int + 1`,
);
const PAGE_AFTER = statement(
  "client_page_after",
  `SELECT ${COLUMNS} FROM clients WHERE issuer_id = $1 AND id < $3 ORDER BY id DESC LIMIT $2::int + 1`,
);

const INSERT = statement(
  "client_insert",
  `INSERT INTO clients (id, issuer_id, name, description, application_type, redirect_uris, post_logout_redirect_uris,
     allowed_origins, grant_types, token_endpoint_auth_method, scopes, access_token_ttl_seconds,
     id_token_ttl_seconds, metadata, secret_hash, version, created_at, updated_at)
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 1, $16, $16)
   RETURNING ${COLUMNS}`,
);

const UPDATE_CONFIG_AT_VERSION = statement(
  "client_update_config_at_version",
  `UPDATE clients SET name = $3, description = $4, application_type = $5, redirect_uris = $6,
     post_logout_redirect_uris = $7, allowed_origins = $8, grant_types = $9, token_endpoint_auth_method = $10,
     scopes = $11, access_token_ttl_seconds = $12, id_token_ttl_seconds = $13, metadata = $14, updated_at = $15,
     version = version + 1
   WHERE id = $1 AND version = $2
   RETURNING ${COLUMNS}`,
);

const UPDATE_SECRET_AT_VERSION = statement(
  "client_update_secret_at_version",
  `UPDATE clients SET secret_hash = $3, previous_secret_hash = $4, previous_secret_expires_at = $5, updated_at = $6,
     version = version + 1
   WHERE id = $1 AND version = $2
   RETURNING ${COLUMNS}`,
);

const DELETE_AT_VERSION = statement(
  "client_delete_at_version",
  "DELETE FROM clients WHERE id = $1 AND version = $2 RETURNING id",
);

function configValues(config: ClientConfig): unknown[] {
  return [
    config.name,
    config.description,
    config.application_type,
    config.redirect_uris,
    config.post_logout_redirect_uris,
    config.allowed_origins,
    config.grant_types,
    config.token_endpoint_auth_method,
    config.scopes,
    config.access_token_ttl_seconds,
    config.id_token_ttl_seconds,
    JSON.stringify(config.metadata),
  ];
}

/** The rotated secret columns: the new hash, and the previous one while its grace period runs. */
export interface SecretColumns {
  secretHash: Uint8Array;
  previousSecretHash: Uint8Array | null;
  previousSecretExpiresAt: Date | null;
}

/** Every query on `clients`; `sql` is the pool or the caller's transaction. */
export function createClientRepository(sql: Sql) {
  return {
    async find(issuerId: string, id: string): Promise<ClientRow | null> {
      return (await sql.query<ClientRow>(FIND, [issuerId, id]))[0] ?? null;
    },

    /** One keyset page: `limit + 1` rows newest first, starting after `beforeId`. */
    page(issuerId: string, options: { limit: number; beforeId?: string | undefined }): Promise<ClientRow[]> {
      const { limit, beforeId } = options;
      return beforeId === undefined
        ? sql.query<ClientRow>(PAGE, [issuerId, limit])
        : sql.query<ClientRow>(PAGE_AFTER, [issuerId, limit, beforeId]);
    },

    async insert(row: {
      id: string;
      issuerId: string;
      config: ClientConfig;
      secretHash: Uint8Array | null;
      createdAt: Date;
    }): Promise<ClientRow> {
      const values = [row.id, row.issuerId, ...configValues(row.config), row.secretHash, row.createdAt];
      const [inserted] = await sql.query<ClientRow>(INSERT, values);
      if (!inserted) throw new Error("INSERT … RETURNING returned no row");
      return inserted;
    },

    /** Writes `config` only when the row is still at `version`; undefined when it was not. */
    async updateConfigAtVersion(
      id: string,
      version: number,
      config: ClientConfig,
      updatedAt: Date,
    ): Promise<ClientRow | undefined> {
      return (
        await sql.query<ClientRow>(UPDATE_CONFIG_AT_VERSION, [id, version, ...configValues(config), updatedAt])
      )[0];
    },

    /** Writes the rotated secret only when the row is still at `version`; undefined when it was not. */
    async updateSecretAtVersion(
      id: string,
      version: number,
      secret: SecretColumns,
      updatedAt: Date,
    ): Promise<ClientRow | undefined> {
      const values = [
        id,
        version,
        secret.secretHash,
        secret.previousSecretHash,
        secret.previousSecretExpiresAt,
        updatedAt,
      ];
      return (await sql.query<ClientRow>(UPDATE_SECRET_AT_VERSION, values))[0];
    },

    async deleteAtVersion(id: string, version: number): Promise<boolean> {
      return (await sql.query(DELETE_AT_VERSION, [id, version])).length === 1;
    },
  };
}
