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
 * of the previous page) or null, `$3` the page size. Postgres builds the page's
 * array (`data`, each row a record of `fields`, the allowlist as in
 * `jsonObject`: `json_agg` over named columns costs Postgres ≈ 25 % less than
 * a json_build_object per row), says whether more rows follow the last one
 * (`has_more`, an index probe) and whether the cursor exists; `keysetPage`
 * runs it and wraps that in the list object. The array comes as the hex of
 * its UTF-8 bytes, an ASCII string: Node never holds ≈ 60 KB of JSON as a
 * UTF-16 string (which it does as soon as one name has an em dash) only to
 * encode it again, and the REST door decodes the hex straight into the
 * socket's buffer (JsonText).
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
  return `SELECT ${cursor ? `EXISTS (SELECT 1 FROM ${table} c WHERE c.account_id = $1 AND c.id = $2)` : "true"} AS cursor_found,
      encode(convert_to(json_agg(p ORDER BY p.id DESC)::text, 'UTF8'), 'hex') AS data,
      min(p.id) AS last_id,
      EXISTS (SELECT 1 FROM ${table} m WHERE m.account_id = $1 ${where("m")} AND m.id < min(p.id)) AS has_more
    FROM (
      SELECT ${columns}
      FROM ${table} r
      WHERE r.account_id = $1 ${where("r")} ${cursor ? "AND r.id < $2" : "AND $2::text IS NULL"}
      ORDER BY r.id DESC LIMIT $3::int
    ) p`;
}

/** What a `keysetPageSql` statement returns. */
interface KeysetPageRow {
  cursor_found: boolean;
  /** The hex of the page's JSON array; null for an empty page. */
  data: string | null;
  last_id: string | null;
  has_more: boolean;
}

export interface KeysetPage {
  /** False when the cursor is no row of the account. */
  cursorFound: boolean;
  /** The API's list object, `{ object, data, has_more, next_cursor }`, as the hex of its UTF-8 bytes. */
  hex: string;
}

/** Runs a `keysetPageSql` statement. */
export async function keysetPage(sql: Sql, statement: Statement, values: unknown[]): Promise<KeysetPage> {
  const [row] = await sql.query<KeysetPageRow>(statement, values);
  if (!row) throw new Error("a keyset page statement returned no row");
  return { cursorFound: row.cursor_found, hex: listHex(row) };
}

const hex = (text: string) => Buffer.from(text).toString("hex");
const LIST_HEAD = hex('{"object":"list","data":');
const EMPTY_ARRAY = hex("[]");

/** The list object around a page's rows (hex, as the rows come). */
function listHex(row: KeysetPageRow): string {
  const next = row.has_more && row.last_id !== null ? JSON.stringify(row.last_id) : "null";
  return `${LIST_HEAD}${row.data ?? EMPTY_ARRAY}${hex(`,"has_more":${row.has_more},"next_cursor":${next}}`)}`;
}
