import type { Sql, Statement } from "./sql.ts";

/** A timestamptz as the API writes it (`Date.prototype.toISOString`: UTC, milliseconds, `Z`). */
export function isoTimestamp(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/**
 * `json_build_object` over an explicit list of API field → SQL expression: the
 * projection is the response allowlist, so a column not named here (a secret,
 * the version) cannot reach a response. The object is cast to text so `pg`
 * hands it over as the string Postgres wrote, never decoded.
 */
export function jsonObject(fields: Record<string, string>): string {
  const pairs = Object.entries(fields).map(([key, expression]) => `'${key}', ${expression}`);
  return `json_build_object(${pairs.join(", ")})`;
}

/** A SQL string literal (for constants generated from the domain's declarations, never input). */
export function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * One keyset page in one statement: `$1` account, `$2` the cursor (the last id
 * of the previous page) or null, `$3` the page size. One row per item, each
 * its API object as JSON text that Postgres wrote (`row_to_json` over named
 * columns: the projection is the allowlist, as in `jsonObject`) and that
 * text's length in the bytes this connection receives, newest first, one more
 * than the page so that `has_more` needs no second probe. With a cursor the
 * rows hang off the cursor's own row (a LEFT JOIN, sorted again: a join
 * promises no order): no row at all when the cursor is no row of the
 * account, one row of nulls when it is but nothing follows it. `keysetPage`
 * runs it and writes the list object.
 *
 * Rows, not one `json_agg` value: aggregating a page into one ≈ 60 KB value
 * (and its hex, for a byte-exact write) made Postgres allocate and copy
 * buffers past malloc's mmap threshold on every page, and on a VM each of
 * their page faults is dear. Measured on the bench's seed, Postgres's CPU per
 * 50-issuer page: 3.2 ms for json_agg + hex, 1.8 ms for json_agg alone,
 * 0.44 ms for these rows; the yardstick's plain SELECT takes 0.30 ms.
 *
 * The byte length is `convert_to(…, pg_client_encoding())`: the text in the
 * encoding it is sent in, whatever the database's (a no-op plus a check when
 * both are UTF-8; ≈ 25 µs of Postgres CPU a page). It gives the page's
 * Content-Length without Node measuring every row again (≈ 35 µs a page
 * with an em dash). (`OFFSET 0` keeps the JSON one expression, built once.)
 *
 * These statements need custom plans (Postgres's default picks them here),
 * never a generic one: a generic plan does not know the account, and on the
 * bench's seed (one account of 1,000,000 issuers beside one of 1,000) it
 * walks the primary key backwards, filtering by account: 6–7 ms of Postgres
 * CPU for the small account's page against 0.6 ms, 20 ms after a cursor. So
 * no `plan_cache_mode = force_generic_plan` on this pool; planning costs
 * ≈ 0.11 ms a page (0.17 ms after a cursor).
 */
export function keysetPageSql(options: {
  table: string;
  /** Extra conditions (`AND …`) on the rows of `alias`, after the account's. */
  where: (alias: string) => string;
  cursor: boolean;
  /** API field → SQL expression over the alias `r`; `id` must be one of them. */
  fields: (alias: string) => Record<string, string>;
}): string {
  const { table, where, cursor, fields } = options;
  const columns = Object.entries(fields("r"))
    .map(([key, expression]) => `${expression} AS "${key}"`)
    .join(", ");
  const items = (after: string) => `SELECT x.id, j.json, octet_length(convert_to(j.json, pg_client_encoding())) AS bytes
    FROM (
      SELECT ${columns}
      FROM ${table} r
      WHERE r.account_id = $1 ${where("r")} ${after}
      ORDER BY r.id DESC LIMIT $3::int + 1
    ) x,
    LATERAL (SELECT row_to_json(x)::text AS json OFFSET 0) j
    ORDER BY x.id DESC`;
  if (!cursor) return items("AND $2::text IS NULL");
  return `SELECT p.id, p.json, p.bytes
    FROM ${table} c
    LEFT JOIN (${items("AND r.id < $2")}) p ON true
    WHERE c.account_id = $1 AND c.id = $2
    ORDER BY p.id DESC`;
}

/** What a `keysetPageSql` statement returns: one item a row (nulls for an empty page after a cursor). */
interface KeysetPageRow {
  id: string | null;
  json: string | null;
  /** `json`'s length in the bytes the connection received it in (UTF-8). */
  bytes: number | null;
}

export interface KeysetPage {
  /** False when the cursor is no row of the account. */
  cursorFound: boolean;
  /** The API's list object, `{ object, data, has_more, next_cursor }`, as JSON text in pieces, in order. */
  parts: string[];
  /** The UTF-8 length of all the pieces together (from Postgres's byte counts). */
  bytes: number;
}

const LIST_HEAD = '{"object":"list","data":[';

/** A piece of a page: under V8's large-object size (≈ 128 KB) even at two bytes a character, unless one row is larger. */
const PART_CHARS = 30_000;

/**
 * Runs a `keysetPageSql` statement; `values` are its parameters, `$3` (values[2]) the page size.
 *
 * The page stays a few pieces, each joined from whole rows, with its byte
 * length summed from the counts Postgres sent. Measured on the bench (list
 * page 1, 50 connections, 8 s): the page as one joined string (≈ 63 K
 * characters, two bytes each once a name has an em dash) written with
 * `res.end` cost ≈ 1.2 MB of allocation a page as V8 counts it, promoted
 * 1,466 MB and ran 45 mark-compacts; these pieces, written corked: 0.34 MB,
 * 109 MB, 5. The page as one `Buffer` is memory outside V8's heap that
 * counts toward its next major GC, which then came every second at only 150
 * pages/s (open-loop p99 7 → 18 ms).
 */
export async function keysetPage(sql: Sql, statement: Statement, values: unknown[]): Promise<KeysetPage> {
  const rows = await sql.query<KeysetPageRow>(statement, values);
  const cursor = values[1] !== null;
  if (cursor && rows.length === 0) return { cursorFound: false, parts: [], bytes: 0 };
  const limit = values[2] as number;
  const parts: string[] = [];
  let part = LIST_HEAD;
  let bytes = LIST_HEAD.length;
  let count = 0;
  for (; count < rows.length && count < limit; count++) {
    const row = rows[count] as KeysetPageRow;
    if (row.json === null) break;
    if (count > 0) {
      part += ",";
      bytes += 1;
    }
    if (part.length + row.json.length > PART_CHARS) {
      parts.push(part);
      part = "";
    }
    part += row.json;
    bytes += row.bytes as number;
  }
  const hasMore = rows.length > limit;
  const lastId = count > 0 ? (rows[count - 1] as KeysetPageRow).id : null;
  const tail = `],"has_more":${hasMore},"next_cursor":${hasMore && lastId !== null ? JSON.stringify(lastId) : "null"}}`;
  parts.push(part + tail);
  return { cursorFound: true, parts, bytes: bytes + Buffer.byteLength(tail) };
}
