import { createDb, type Db, migrate, useEmbeddedPostgres } from "@authpi/db";
import type { Env } from "./env.ts";

export interface Database {
  db: Db;
  url: string;
  /** True when the embedded PostgreSQL is in use (whether this process started it or not). */
  embedded: boolean;
  close(): Promise<void>;
}

/**
 * Connects to `DATABASE_URL`, or to the embedded PostgreSQL in the data folder
 * (starting it when no other process runs it), and applies pending migrations.
 */
export async function openDatabase(env: Env, options: { log?: (line: string) => void } = {}): Promise<Database> {
  const running = env.DATABASE_URL
    ? { url: env.DATABASE_URL, owned: false, stop: async () => {} }
    : await useEmbeddedPostgres({ dataDir: env.AUTHPI_DATA_DIR, port: env.AUTHPI_EMBEDDED_PG_PORT });
  try {
    const { applied } = await migrate(running.url);
    for (const name of applied) options.log?.(`applied migration ${name}`);
  } catch (error) {
    await running.stop();
    throw error;
  }
  // A fixed-size pool: a connection, once opened, stays open. With pg's default (idle ones closed
  // after 10 s), a steady 500 GET/s needed 2 of the 10 and let the rest go; the next burst opened
  // them again, and a new backend's first statements (a fork, then planning with cold catalog
  // caches, ≈ 4 ms each) stalled every request queued behind them for 100–500 ms, every 10–15 s
  // (open-loop p99 15–57 ms where it was 1.5 ms at the median). Postgres's share is capped by
  // DATABASE_POOL_SIZE either way.
  const db = createDb(running.url, { max: env.DATABASE_POOL_SIZE, min: env.DATABASE_POOL_SIZE });
  return {
    db,
    url: running.url,
    embedded: !env.DATABASE_URL,
    async close() {
      await db.$disconnect();
      await running.stop();
    },
  };
}
