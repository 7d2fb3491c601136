import type { Db } from "@authpi/db";
import type { Pool, PoolClient, QueryResultRow } from "pg";

/**
 * A named SQL statement: Postgres parses and plans it once per connection
 * (`PREPARE`), then only binds and executes it. Names must be unique per text.
 */
export interface Statement {
  name: string;
  text: string;
}

export function statement(name: string, text: string): Statement {
  return { name, text: text.replace(/\s+/g, " ").trim() };
}

/**
 * Where repositories run their queries: the pool (each statement on its own,
 * autocommitted) or one transaction. Repositories take it explicitly; nothing
 * joins a transaction behind their back.
 */
export interface Sql {
  readonly inTransaction: boolean;
  query<R extends QueryResultRow>(statement: Statement, values: unknown[]): Promise<R[]>;
  /** Runs `fn` in a transaction: a new one on the pool, a savepoint inside one. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
}

function clientSql(client: PoolClient): Sql {
  let savepoints = 0;
  const sql: Sql = {
    inTransaction: true,
    async query(s, values) {
      return (await client.query({ name: s.name, text: s.text, values })).rows;
    },
    async transaction(fn) {
      const name = `sp_${++savepoints}`;
      await client.query(`SAVEPOINT ${name}`);
      try {
        const result = await fn(sql);
        await client.query(`RELEASE SAVEPOINT ${name}`);
        return result;
      } catch (error) {
        await client.query(`ROLLBACK TO SAVEPOINT ${name}`).catch(() => {});
        throw error;
      }
    },
  };
  return sql;
}

function ignore(): void {}

// One round trip: a process that stalls mid-transaction must not hold its row locks for good.
const BEGIN = `BEGIN; SET LOCAL idle_in_transaction_session_timeout = ${10_000}`;

export function poolSql(pool: Pool): Sql {
  return {
    inTransaction: false,
    async query(s, values) {
      return (await pool.query({ name: s.name, text: s.text, values })).rows;
    },
    async transaction(fn) {
      const client = await pool.connect();
      // A connection lost mid-transaction also emits "error"; the failing query reports it.
      client.on("error", ignore);
      let broken: unknown;
      try {
        await client.query(BEGIN);
        const result = await fn(clientSql(client));
        await client.query("COMMIT");
        return result;
      } catch (error) {
        try {
          await client.query("ROLLBACK");
        } catch (rollbackError) {
          broken = rollbackError;
        }
        throw error;
      } finally {
        // A connection whose ROLLBACK failed is in an unknown state: drop it rather than reuse it.
        client.off("error", ignore);
        client.release(broken instanceof Error ? broken : undefined);
      }
    },
  };
}

export function sqlOf(db: Db): Sql {
  return poolSql(db.pool);
}
