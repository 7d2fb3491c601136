import { createHash } from "node:crypto";
import { AUTH_METHOD_TYPES, type AuthMethodConfig, type AuthMethodType, authMethodDefinition } from "@authpi/domain";
import { withEvent } from "../audit/repository.ts";
import { type Sql, statement } from "../sql.ts";
import { isoTimestamp, jsonObject, literal } from "../sql-json.ts";

/** The unique indexes of `auth_methods`, by the name the migration gives them. */
export const AUTH_METHOD_INDEXES = {
  name: "auth_methods_issuer_id_lower_name_key",
  singleton: "auth_methods_issuer_id_singleton_method_key",
} as const;

/**
 * `secrets_set` from the domain's declaration: every secret key of a method is
 * required, so a row with ciphertext has all of its method's secret keys set.
 */
const SECRETS_SET = (alias: string) =>
  `CASE WHEN ${alias}.secrets IS NULL THEN '[]'::json ELSE (CASE ${alias}.method ${AUTH_METHOD_TYPES.map(
    (type) => `WHEN ${literal(type)} THEN ${literal(JSON.stringify(authMethodDefinition(type).secretKeys))}::json`,
  ).join(" ")} END) END`;

const FEDERATED = AUTH_METHOD_TYPES.filter((type) => authMethodDefinition(type).federated);

/**
 * The API object of an auth method (`AuthMethod` in the domain), field by
 * field. The stored settings hold no secrets (they live in `secrets`, which is
 * not projected), so nothing secret can be in this text. A federated method
 * also carries its read-only `callback_url`, `{issuer_url}/callback/{id}`
 * (api-contract §8), which needs the public URL.
 */
export function authMethodJson(alias: string, publicUrl: string): string {
  const c = (column: string) => `${alias}.${column}`;
  const fields = {
    object: "'auth_method'",
    id: c("id"),
    issuer_id: c("issuer_id"),
    name: c("name"),
    method: c("method"),
    enabled_login: c("enabled_login"),
    enabled_signup: c("enabled_signup"),
    featured: c("featured"),
    first_factor_only: c("first_factor_only"),
    settings: c("settings"),
    secrets_set: SECRETS_SET(alias),
    created_at: isoTimestamp(c("created_at")),
    updated_at: isoTimestamp(c("updated_at")),
  };
  const callbackUrl = `${literal(`${publicUrl}/oidc/`)} || ${c("issuer_id")} || '/callback/' || ${c("id")}`;
  return `CASE WHEN ${c("method")} IN (${FEDERATED.map(literal).join(", ")})
    THEN ${jsonObject({ ...fields, callback_url: callbackUrl })} ELSE ${jsonObject(fields)} END`;
}

/** The issuer of a path, as the auth-method rules need it. */
export interface IssuerRef {
  issuer_id: string;
  issuer_name: string;
  issuer_status: string;
}

/** An auth method as stored, for the PATCH rules (settings without secrets, the ciphertext apart). */
export interface AuthMethodRow {
  id: string;
  issuer_id: string;
  name: string;
  method: AuthMethodType;
  enabled_login: boolean;
  enabled_signup: boolean;
  featured: boolean;
  first_factor_only: boolean;
  settings: Record<string, unknown>;
  secrets: string | null;
  version: number;
  json: string;
}

/** Locks the issuer so concurrent writes to its methods serialize. */
const LOCK_ISSUER = statement("auth_method_lock_issuer", "SELECT status FROM issuers WHERE id = $1 FOR UPDATE");

// A statement of its own, after the lock: a subquery of the locking statement would read
// the snapshot taken before the lock was granted, missing what the previous holder wrote.
const SIBLINGS = statement("auth_method_siblings", "SELECT id, method, name FROM auth_methods WHERE issuer_id = $1");

const DELETE_AT_VERSION = statement(
  "auth_method_delete_at_version",
  withEvent("DELETE FROM auth_methods WHERE id = $1 AND version = $2 RETURNING id", 3),
);

/**
 * The statements whose JSON names the public URL (`callback_url`). Named per URL, as the
 * issuers' are: a connection prepares each name once.
 */
function statementsFor(publicUrl: string) {
  const suffix = `_${createHash("sha256").update(publicUrl).digest("hex").slice(0, 8)}`;
  const json = (alias: string) => authMethodJson(alias, publicUrl);
  const ROW_COLUMNS = (alias: string) =>
    `${alias}.id, ${alias}.name, ${alias}.method, ${alias}.enabled_login, ${alias}.enabled_signup,
     ${alias}.featured, ${alias}.first_factor_only, ${alias}.settings, ${alias}.secrets, ${alias}.version,
     ${json(alias)}::text AS json`;

  /** The issuer of the path (this account's) and, in the same statement, one of its methods. */
  const FIND_WITH_ISSUER = statement(
    `auth_method_find_with_issuer${suffix}`,
    `SELECT i.id AS issuer_id, i.name AS issuer_name, i.status AS issuer_status, m.*
     FROM issuers i
     LEFT JOIN LATERAL (SELECT ${ROW_COLUMNS("a")} FROM auth_methods a WHERE a.issuer_id = i.id AND a.id = $3::text) m ON true
     WHERE i.account_id = $1 AND i.id = $2`,
  );

  /** The issuer of the path and its methods as the API's list JSON (one page, creation order). */
  const LIST_WITH_ISSUER = statement(
    `auth_method_list_with_issuer${suffix}`,
    `SELECT i.id AS issuer_id, i.name AS issuer_name, i.status AS issuer_status,
       json_build_object(
         'object', 'list',
         'data', COALESCE((SELECT json_agg(${json("a")} ORDER BY a.id) FROM auth_methods a WHERE a.issuer_id = i.id), '[]'::json),
         'has_more', false,
         'next_cursor', null
       )::text AS json
     FROM issuers i WHERE i.account_id = $1 AND i.id = $2`,
  );

  const RETURNING = `id, version, ${json("auth_methods")}::text AS json`;

  // Each write carries its audit event: parameters after the change's are the event's (`withEvent`).
  const INSERT = statement(
    `auth_method_insert${suffix}`,
    withEvent(
      `INSERT INTO auth_methods (id, issuer_id, name, method, enabled_login, enabled_signup, featured, first_factor_only,
         settings, secrets, version, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11)
       RETURNING ${RETURNING}`,
      12,
    ),
  );

  const UPDATE_AT_VERSION = statement(
    `auth_method_update_at_version${suffix}`,
    withEvent(
      `UPDATE auth_methods SET name = $3, enabled_login = $4, enabled_signup = $5, featured = $6, settings = $7,
         secrets = $8, updated_at = $9, version = version + 1
       WHERE id = $1 AND version = $2
       RETURNING ${RETURNING}`,
      10,
    ),
  );
  return { FIND_WITH_ISSUER, LIST_WITH_ISSUER, INSERT, UPDATE_AT_VERSION };
}

const STATEMENTS = new Map<string, ReturnType<typeof statementsFor>>();

/** Cold path (`pnpm rotate-secrets`): the next methods with secrets, by id, with what their event needs. */
const SECRETS_AFTER = statement(
  "auth_method_secrets_after",
  `SELECT a.id, a.issuer_id, a.secrets, i.account_id FROM auth_methods a JOIN issuers i ON i.id = a.issuer_id
   WHERE a.secrets IS NOT NULL AND a.id > $1 ORDER BY a.id LIMIT $2`,
);

/** New ciphertext for the same secrets, with its event; only while the ciphertext is still `$2`. */
const REPLACE_SECRETS = statement(
  "auth_method_replace_secrets",
  withEvent("UPDATE auth_methods SET secrets = $3 WHERE id = $1 AND secrets = $2 RETURNING id", 4),
);

export interface StoredSecrets {
  id: string;
  issuer_id: string;
  secrets: string;
  account_id: string;
}

export interface Written {
  id: string;
  version: number;
  json: string;
}

export interface Sibling {
  id: string;
  method: string;
  name: string;
}

/** Every query on `auth_methods`; `sql` is the pool or the caller's transaction. */
export function createAuthMethodRepository(sql: Sql, publicUrl: string) {
  let statements = STATEMENTS.get(publicUrl);
  if (!statements) {
    statements = statementsFor(publicUrl);
    STATEMENTS.set(publicUrl, statements);
  }
  const { FIND_WITH_ISSUER, LIST_WITH_ISSUER, INSERT, UPDATE_AT_VERSION } = statements;
  return {
    async findWithIssuer(
      accountId: string,
      issuerId: string,
      id: string | null,
    ): Promise<(IssuerRef & { method: AuthMethodRow | undefined }) | undefined> {
      const [row] = await sql.query<IssuerRef & Partial<AuthMethodRow>>(FIND_WITH_ISSUER, [accountId, issuerId, id]);
      if (!row) return undefined;
      const { issuer_id, issuer_name, issuer_status, ...method } = row;
      return {
        issuer_id,
        issuer_name,
        issuer_status,
        method: method.id ? ({ ...method, issuer_id } as AuthMethodRow) : undefined,
      };
    },

    async listWithIssuer(accountId: string, issuerId: string): Promise<(IssuerRef & { json: string }) | undefined> {
      return (await sql.query<IssuerRef & { json: string }>(LIST_WITH_ISSUER, [accountId, issuerId]))[0];
    },

    /** Must run in a transaction: the lock lasts until it ends. Undefined when the issuer is gone. */
    async lockIssuer(issuerId: string): Promise<string | undefined> {
      if (!sql.inTransaction) throw new Error("lockIssuer outside a transaction would lock nothing");
      return (await sql.query<{ status: string }>(LOCK_ISSUER, [issuerId]))[0]?.status;
    },

    siblings(issuerId: string): Promise<Sibling[]> {
      return sql.query<Sibling>(SIBLINGS, [issuerId]);
    },

    async insert(row: {
      id: string;
      issuerId: string;
      config: AuthMethodConfig;
      publicSettings: Record<string, unknown>;
      secrets: string | null;
      createdAt: Date;
      event: unknown[];
    }): Promise<Written> {
      const { config } = row;
      const [inserted] = await sql.query<Written>(INSERT, [
        row.id,
        row.issuerId,
        config.name,
        config.method,
        config.enabled_login,
        config.enabled_signup,
        config.featured,
        config.first_factor_only,
        JSON.stringify(row.publicSettings),
        row.secrets,
        row.createdAt,
        ...row.event,
      ]);
      if (!inserted) throw new Error("INSERT … RETURNING returned no row");
      return inserted;
    },

    /** Writes (with its event) only when the row is still at `version`; undefined when it was not. */
    async updateAtVersion(
      id: string,
      version: number,
      change: {
        config: AuthMethodConfig;
        publicSettings: Record<string, unknown>;
        secrets: string | null;
        updatedAt: Date;
      },
      event: unknown[],
    ): Promise<Written | undefined> {
      const { config } = change;
      const [updated] = await sql.query<Written>(UPDATE_AT_VERSION, [
        id,
        version,
        config.name,
        config.enabled_login,
        config.enabled_signup,
        config.featured,
        JSON.stringify(change.publicSettings),
        change.secrets,
        change.updatedAt,
        ...event,
      ]);
      return updated;
    },

    async deleteAtVersion(id: string, version: number, event: unknown[]): Promise<boolean> {
      return (await sql.query(DELETE_AT_VERSION, [id, version, ...event])).length === 1;
    },

    secretsAfter(after: string, take: number): Promise<StoredSecrets[]> {
      return sql.query<StoredSecrets>(SECRETS_AFTER, [after, take]);
    },

    /** Replaces the ciphertext (and writes its event) only if it is still `current`; whether it did. */
    async replaceSecrets(id: string, current: string, fresh: string | null, event: unknown[]): Promise<boolean> {
      return (await sql.query(REPLACE_SECRETS, [id, current, fresh, ...event])).length === 1;
    },
  };
}

export type AuthMethodRepository = ReturnType<typeof createAuthMethodRepository>;
