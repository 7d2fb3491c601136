import { cp, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createDb, type Db, MIGRATIONS_DIR, migrate, readMigrations } from "@authpi/db";
import { createServices } from "@authpi/server";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { createHealthHandler } from "../../src/health.ts";

// A database of its own, migrated step by step, on the run's server.
const name = `authpi_health_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;
let url: string;
let admin: Db;

beforeAll(async () => {
  const base = new URL(inject("databaseUrl"));
  admin = createDb(base.toString(), { max: 1 });
  await admin.$executeRawUnsafe(`CREATE DATABASE "${name}"`);
  base.pathname = `/${name}`;
  url = base.toString();
});

afterAll(async () => {
  await admin.$executeRawUnsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.$disconnect();
});

test("/healthz answers; /readyz is 503 until every migration is applied, then 200", async () => {
  const all = await readMigrations();
  const partial = await mkdtemp(path.join(os.tmpdir(), "authpi-migrations-"));
  const first = all[0]?.name as string;
  await cp(path.join(MIGRATIONS_DIR, first), path.join(partial, first), { recursive: true });
  await migrate(url, partial);
  await rm(partial, { recursive: true, force: true });

  const db = createDb(url, { max: 2 });
  try {
    let draining = false;
    const health = createHealthHandler(createServices(db), { draining: () => draining });
    const live = await health(new Request("http://x/healthz"));
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: "ok" });

    const pending = await health(new Request("http://x/readyz"));
    expect(pending.status).toBe(503);
    expect(pending.headers.get("retry-after")).toBe("2");
    expect(await pending.json()).toEqual({
      status: "unavailable",
      checks: { database: "ok", migrations: "pending" },
    });

    await migrate(url);
    const ready = await health(new Request("http://x/readyz"));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", checks: { database: "ok", migrations: "ok" } });

    draining = true;
    expect((await health(new Request("http://x/readyz"))).status).toBe(503);
  } finally {
    await db.$disconnect();
  }
});
