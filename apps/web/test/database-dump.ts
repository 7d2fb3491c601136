import type { Db } from "@authpi/db";

/**
 * Every row of every table of the test database as JSON text — what a data-only
 * `pg_dump` would hold, read over the tests' own connection (the suite needs no
 * PostgreSQL client tools, and a system `pg_dump` may be older than the server).
 */
export async function dumpEveryRow(db: Db): Promise<{ table: string; row: string }[]> {
  const tables = await db.$queryRaw<{ table_name: string }[]>`
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`;
  const rows: { table: string; row: string }[] = [];
  for (const { table_name: table } of tables) {
    const dump = await db.$queryRawUnsafe<{ row: string }[]>(
      `SELECT row_to_json(t)::text AS row FROM "${table.replaceAll('"', '""')}" t`,
    );
    for (const { row } of dump) rows.push({ table, row });
  }
  return rows;
}
