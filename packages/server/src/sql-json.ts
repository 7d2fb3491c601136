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
 * One keyset page as the API's list JSON, in one pass (the page read, its JSON,
 * `has_more` and `next_cursor`, and whether the cursor exists): `$1` account,
 * `$2` the cursor (the last id of the previous page) or null, `$3` the page
 * size. It reads `limit + 1` rows newest first; the extra one only tells that
 * more follow. `rowJson` builds one row's object from `alias`.
 */
export function keysetPageSql(options: {
  table: string;
  alias: string;
  /** Extra conditions on `alias` (`AND …`), after the account's. */
  where: string;
  cursor: boolean;
  rowJson: string;
}): string {
  const { table, alias: a, where, cursor, rowJson } = options;
  return `SELECT ${cursor ? `EXISTS (SELECT 1 FROM ${table} c WHERE c.account_id = $1 AND c.id = $2)` : "true"} AS cursor_found,
      json_build_object(
        'object', 'list',
        'data', COALESCE(json_agg(p.obj ORDER BY p.id DESC) FILTER (WHERE p.n <= $3::int), '[]'::json),
        'has_more', count(*) > $3::int,
        'next_cursor', CASE WHEN count(*) > $3::int THEN min(p.id) FILTER (WHERE p.n <= $3::int) END
      )::text AS json
    FROM (
      SELECT ${a}.id, row_number() OVER (ORDER BY ${a}.id DESC) AS n, ${rowJson} AS obj
      FROM ${table} ${a}
      WHERE ${a}.account_id = $1 ${where} ${cursor ? `AND ${a}.id < $2` : "AND $2::text IS NULL"}
      ORDER BY ${a}.id DESC LIMIT $3::int + 1
    ) p`;
}
