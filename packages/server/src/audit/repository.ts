import type { EventActor, EventChanges } from "@authpi/domain";
import { type Sql, type Statement, statement } from "../sql.ts";
import { isoTimestamp, type KeysetPage, keysetPage, keysetPageSql } from "../sql-json.ts";

/** The API object of an event (`Event` in the domain), field by field: API field → SQL over `alias`. */
function eventFields(alias: string): Record<string, string> {
  const c = (column: string) => `${alias}.${column}`;
  return {
    object: "'event'",
    id: c("id"),
    type: c("type"),
    actor: `json_build_object('type', ${c("actor_type")}, 'id', ${c("actor_id")})`,
    resource: `json_build_object('type', ${c("resource_type")}, 'id', ${c("resource_id")})`,
    request_id: c("request_id"),
    changes: c("changes"),
    created_at: isoTimestamp(c("created_at")),
  };
}

export interface EventRow {
  id: string;
  accountId: string;
  /** The issuer of the resource; null for account-level resources (the account, API keys, operators). */
  issuerId: string | null;
  type: string;
  actor: EventActor;
  resourceType: string;
  resourceId: string;
  requestId: string | null;
  changes: EventChanges;
  createdAt: Date;
}

const EVENT_COLUMNS =
  "id, account_id, issuer_id, type, actor_type, actor_id, resource_type, resource_id, request_id, changes, created_at";
/** The type of each of `EVENT_COLUMNS`, for parameters that Postgres cannot infer (`withEvent`, `unnest`). */
const COLUMN_TYPES = ["text", "text", "text", "text", "text", "text", "text", "text", "text", "jsonb", "timestamptz"];

/** Any number of events in one statement: one array parameter per column. */
const INSERT_MANY = statement(
  "audit_event_insert_many",
  `INSERT INTO audit_events (${EVENT_COLUMNS})
   SELECT * FROM unnest(${COLUMN_TYPES.map((type, i) => `$${i + 1}::${type}[]`).join(", ")})`,
);

/** An event's column values, in `EVENT_COLUMNS` order: the parameters of its insert. */
export function eventValues(row: EventRow): unknown[] {
  return [
    row.id,
    row.accountId,
    row.issuerId,
    row.type,
    row.actor.type,
    row.actor.id,
    row.resourceType,
    row.resourceId,
    row.requestId,
    JSON.stringify(row.changes),
    row.createdAt,
  ];
}

/**
 * A change and its event in one statement (api-contract §9): `change` is an
 * INSERT/UPDATE/DELETE … RETURNING; the event, whose values are the parameters
 * from `$first` on (`eventValues`), is inserted once per row it returned. No
 * row changed (a version that moved), no event; the statement fails, neither.
 * One statement is atomic: no transaction is needed around it.
 */
export function withEvent(change: string, first: number): string {
  const p = (i: number, type: string) => `$${first + i}::${type}`;
  const values = COLUMN_TYPES.map((type, i) => p(i, type)).join(", ");
  return `WITH changed AS (${change}),
    event AS (INSERT INTO audit_events (${EVENT_COLUMNS}) SELECT ${values} FROM changed)
    SELECT * FROM changed`;
}

// In batches, so a purge of many rows never holds one long transaction.
const PURGE = statement(
  "audit_event_purge",
  `DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE created_at < $1 LIMIT $2) RETURNING 1`,
);
const PURGE_BATCH = 5_000;

/** The filters of a page, each matched by its own `(account_id, <column>, id DESC)` index. */
export interface EventFilters {
  resourceId?: string | undefined;
  issuerId?: string | undefined;
  type?: string | undefined;
  actorId?: string | undefined;
}

const FILTER_COLUMNS = [
  ["resourceId", "resource_id"],
  ["issuerId", "issuer_id"],
  ["type", "type"],
  ["actorId", "actor_id"],
] as const;

/**
 * One keyset page in one statement, cursor check included (keysetPageSql):
 * `$1` account, `$2` cursor or null, `$3` page size, then one parameter per
 * filter given. One named statement per combination of filters, so that
 * each is planned once with its index.
 */
function pageStatement(filters: readonly string[], cursor: boolean): Statement {
  const where = (alias: string) => filters.map((column, i) => `AND ${alias}.${column} = $${i + 4}`).join(" ");
  return statement(
    `audit_event_page_${cursor ? "after_" : ""}${filters.join("_") || "all"}`,
    keysetPageSql({ table: "audit_events", where, cursor, fields: eventFields }),
  );
}

const pages = new Map<string, Statement>();

/** Every query on `audit_events`; `sql` is the pool or the caller's transaction. */
export function createAuditRepository(sql: Sql) {
  return {
    /** One statement whatever the number of events (a purge of many issuers). */
    async insert(rows: readonly EventRow[]): Promise<void> {
      if (rows.length === 0) return;
      const values = rows.map(eventValues);
      await sql.query(
        INSERT_MANY,
        COLUMN_TYPES.map((_, column) => values.map((row) => row[column])),
      );
    },

    /** The page as the API's list JSON; `cursorFound` is false when the cursor is no event of this account. */
    async page(
      accountId: string,
      options: { limit: number; cursor?: string | undefined } & EventFilters,
    ): Promise<KeysetPage> {
      const columns: string[] = [];
      const values: unknown[] = [accountId, options.cursor ?? null, options.limit];
      for (const [field, column] of FILTER_COLUMNS) {
        const value = options[field];
        if (value === undefined) continue;
        columns.push(column);
        values.push(value);
      }
      const cursor = options.cursor !== undefined;
      const name = `${cursor}:${columns.join(",")}`;
      let query = pages.get(name);
      if (!query) {
        query = pageStatement(columns, cursor);
        pages.set(name, query);
      }
      return keysetPage(sql, query, values);
    },

    /** Deletes events created before `before`; returns how many. */
    async purgeBefore(before: Date): Promise<number> {
      let total = 0;
      for (;;) {
        const deleted = (await sql.query(PURGE, [before, PURGE_BATCH])).length;
        total += deleted;
        if (deleted < PURGE_BATCH) return total;
      }
    },
  };
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;
