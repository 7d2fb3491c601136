import { createHash } from "node:crypto";
import type { IssuerConfig, IssuerStatus } from "@authpi/domain";
import { withEvent } from "../audit/repository.ts";
import { type Sql, statement } from "../sql.ts";
import { isoTimestamp, jsonObject, type KeysetPage, keysetPage, keysetPageSql, literal } from "../sql-json.ts";

/** The API object of an issuer (`Issuer` in the domain), field by field: API field → SQL over `alias`. */
function issuerFields(alias: string, publicUrl: string): Record<string, string> {
  const c = (column: string) => `${alias}.${column}`;
  return {
    object: "'issuer'",
    id: c("id"),
    account_id: c("account_id"),
    name: c("name"),
    description: c("description"),
    links: c("links"),
    available_scopes: c("available_scopes"),
    status: c("status"),
    settings: c("settings"),
    metadata: c("metadata"),
    created_at: isoTimestamp(c("created_at")),
    updated_at: isoTimestamp(c("updated_at")),
    deleted_at: isoTimestamp(c("deleted_at")),
    purge_after: isoTimestamp(c("purge_after")),
    // Read-only: the issuer's OpenID Provider, `{AUTHPI_PUBLIC_URL}/oidc/{id}` (api-contract §7).
    issuer_url: `${literal(`${publicUrl}/oidc/`)} || ${c("id")}`,
  };
}

/** The API object of an issuer as Postgres builds it (one object: GET, RETURNING). */
function issuerJson(alias: string, publicUrl: string): string {
  return jsonObject(issuerFields(alias, publicUrl));
}

/** One issuer as its API JSON text, with the version its ETag is derived from. */
export interface IssuerJsonRow {
  id: string;
  version: number;
  status: IssuerStatus;
  json: string;
}

/**
 * The statements of one public URL (the issuer URL is part of the API JSON
 * Postgres builds). Named per URL: a connection prepares each name once.
 */
function statementsFor(publicUrl: string) {
  const suffix = `_${createHash("sha256").update(publicUrl).digest("hex").slice(0, 8)}`;
  const RETURNING = `id, version, status, ${issuerJson("issuers", publicUrl)}::text AS json`;

  const FIND = statement(`issuer_find${suffix}`, `SELECT ${RETURNING} FROM issuers WHERE account_id = $1 AND id = $2`);

  /** One keyset page in one statement (keysetPageSql); four variants (cursor or not, status or not), each planned with its index. */
  const pageStatement = (name: string, where: (alias: string) => string, cursor: boolean) =>
    statement(
      name,
      keysetPageSql({ table: "issuers", where, cursor, fields: (alias) => issuerFields(alias, publicUrl) }),
    );

  const PAGES = {
    live: pageStatement(`issuer_page${suffix}`, (a) => `AND ${a}.status <> 'deleted'`, false),
    liveAfter: pageStatement(`issuer_page_after${suffix}`, (a) => `AND ${a}.status <> 'deleted'`, true),
    status: pageStatement(`issuer_page_status${suffix}`, (a) => `AND ${a}.status = $4`, false),
    statusAfter: pageStatement(`issuer_page_status_after${suffix}`, (a) => `AND ${a}.status = $4`, true),
  };

  // Each write carries its audit event: parameters after the change's are the event's (`withEvent`).
  const INSERT = statement(
    `issuer_insert${suffix}`,
    withEvent(
      `INSERT INTO issuers (id, account_id, name, description, links, available_scopes, status, settings, metadata,
       version, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10)
     RETURNING ${RETURNING}`,
      11,
    ),
  );

  // A PATCH cannot set `deleted` (use_delete_endpoint), so a successful one always leaves (or restores to) a live issuer.
  const UPDATE_AT_VERSION = statement(
    `issuer_update_at_version${suffix}`,
    withEvent(
      `UPDATE issuers SET name = $3, description = $4, links = $5, available_scopes = $6, status = $7, settings = $8,
       metadata = $9, updated_at = $10, deleted_at = NULL, purge_after = NULL, version = version + 1
     WHERE id = $1 AND version = $2
     RETURNING ${RETURNING}`,
      11,
    ),
  );

  const DELETE_AT_VERSION = statement(
    `issuer_delete_at_version${suffix}`,
    withEvent(
      `UPDATE issuers SET status = 'deleted', deleted_at = $3, updated_at = $3, purge_after = $4, version = version + 1
     WHERE id = $1 AND version = $2 AND status <> 'deleted'
     RETURNING id`,
      5,
    ),
  );

  const PURGE_EXPIRED = statement(
    `issuer_purge_expired${suffix}`,
    `DELETE FROM issuers WHERE status = 'deleted' AND purge_after <= $1 AND ($2::text IS NULL OR account_id = $2)
     RETURNING id, account_id`,
  );
  return { FIND, PAGES, INSERT, UPDATE_AT_VERSION, DELETE_AT_VERSION, PURGE_EXPIRED };
}

const STATEMENTS = new Map<string, ReturnType<typeof statementsFor>>();

function configValues(config: IssuerConfig): unknown[] {
  return [
    config.name,
    config.description,
    JSON.stringify(config.links),
    config.available_scopes,
    config.status,
    JSON.stringify(config.settings),
    JSON.stringify(config.metadata),
  ];
}

/** Every query on `issuers`; `sql` is the pool or the caller's transaction. */
export function createIssuerRepository(sql: Sql, publicUrl: string) {
  let statements = STATEMENTS.get(publicUrl);
  if (!statements) {
    statements = statementsFor(publicUrl);
    STATEMENTS.set(publicUrl, statements);
  }
  const { FIND, PAGES, INSERT, UPDATE_AT_VERSION, DELETE_AT_VERSION, PURGE_EXPIRED } = statements;
  return {
    async find(accountId: string, id: string): Promise<IssuerJsonRow | undefined> {
      return (await sql.query<IssuerJsonRow>(FIND, [accountId, id]))[0];
    },

    /** The page as the API's list JSON; `cursorFound` is false when the cursor is no issuer of this account. */
    async page(
      accountId: string,
      options: { limit: number; cursor?: string | undefined; status?: IssuerStatus | undefined },
    ): Promise<KeysetPage> {
      const { limit, cursor, status } = options;
      const values: unknown[] = [accountId, cursor ?? null, limit];
      let query = cursor === undefined ? PAGES.live : PAGES.liveAfter;
      if (status !== undefined) {
        query = cursor === undefined ? PAGES.status : PAGES.statusAfter;
        values.push(status);
      }
      return keysetPage(sql, query, values);
    },

    async insert(row: {
      id: string;
      accountId: string;
      config: IssuerConfig;
      createdAt: Date;
      event: unknown[];
    }): Promise<IssuerJsonRow> {
      const values = [row.id, row.accountId, ...configValues(row.config), row.createdAt, ...row.event];
      const [inserted] = await sql.query<IssuerJsonRow>(INSERT, values);
      if (!inserted) throw new Error("INSERT … RETURNING returned no row");
      return inserted;
    },

    /** Writes `config` and its event only when the row is still at `version`; undefined when it was not. */
    async updateAtVersion(
      id: string,
      version: number,
      config: IssuerConfig,
      updatedAt: Date,
      event: unknown[],
    ): Promise<IssuerJsonRow | undefined> {
      const values = [id, version, ...configValues(config), updatedAt, ...event];
      return (await sql.query<IssuerJsonRow>(UPDATE_AT_VERSION, values))[0];
    },

    /** Soft-deletes (with its event) only when the row is still at `version`; false when it was not. */
    async deleteAtVersion(
      id: string,
      version: number,
      now: Date,
      purgeAfter: Date,
      event: unknown[],
    ): Promise<boolean> {
      return (await sql.query(DELETE_AT_VERSION, [id, version, now, purgeAfter, ...event])).length === 1;
    },

    /** Hard-deletes issuers past their grace period (their auth methods cascade); which ones. */
    async purgeExpired(now: Date, accountId?: string): Promise<{ id: string; account_id: string }[]> {
      return sql.query<{ id: string; account_id: string }>(PURGE_EXPIRED, [now, accountId ?? null]);
    },
  };
}

export type IssuerRepository = ReturnType<typeof createIssuerRepository>;
