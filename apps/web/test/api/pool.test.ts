import { setTimeout as sleep } from "node:timers/promises";
import { loadEnv, openDatabase } from "@authpi/server";
import { expect, inject, test } from "vitest";

// pg closes a connection idle for 10 s. The server's pool must not: reopening one under the next
// burst (a fork, then first statements planned with cold caches) stalled the requests queued
// behind it for 100-500 ms (README, Performance).
test("the server's pool keeps every connection it opened through a quiet spell past pg's idle timeout", async () => {
  const size = 4;
  const { db, close } = await openDatabase(
    loadEnv({ DATABASE_URL: inject("databaseUrl"), DATABASE_POOL_SIZE: String(size), LOG_LEVEL: "silent" }),
  );
  try {
    await Promise.all(Array.from({ length: size }, () => db.pool.query("SELECT pg_sleep(0.05)")));
    expect(db.pool.totalCount).toBe(size);
    await sleep(10_500);
    expect(db.pool.totalCount).toBe(size);
    expect(db.pool.idleCount).toBe(size);
  } finally {
    await close();
  }
}, 30_000);
