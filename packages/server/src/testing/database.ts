import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { freePort, migrate, useEmbeddedPostgres } from "@authpi/db";
import pg from "pg";

export interface TestDatabase {
  url: string;
  /** The server's maintenance URL, to stop/start or inspect it. */
  adminUrl: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * A fresh, migrated database for one test run: a new database on the server of
 * `serverUrl` (CI's PostgreSQL), or, without one, a throw-away embedded
 * PostgreSQL in a temporary folder, so the suite needs nothing but Node.
 */
export async function provisionTestDatabase(serverUrl: string | undefined): Promise<TestDatabase> {
  if (serverUrl) {
    const name = `authpi_test_${Date.now()}_${randomBytes(3).toString("hex")}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    const url = withDatabase(serverUrl, name);
    await migrate(url);
    return {
      url,
      adminUrl: serverUrl,
      async drop() {
        const client = new pg.Client({ connectionString: serverUrl });
        await client.connect();
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await client.end();
      },
    };
  }
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "authpi-test-"));
  const running = await useEmbeddedPostgres({ dataDir, port: await freePort(), database: "authpi_test" });
  await migrate(running.url);
  return {
    url: running.url,
    adminUrl: withDatabase(running.url, "postgres"),
    async drop() {
      await running.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
