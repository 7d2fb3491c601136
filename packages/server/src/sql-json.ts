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
