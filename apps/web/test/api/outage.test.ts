import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { createDb, type Db, freePort, migrate, type RunningDatabase, useEmbeddedPostgres } from "@authpi/db";
import { createRateLimiter, createServices, type Services } from "@authpi/server";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createHealthHandler } from "../../src/health.ts";
import { createLogger } from "../../src/logger.ts";
import { createRestHandler } from "../../src/rest/handler.ts";

// This test stops and restarts a database, so it runs its OWN embedded PostgreSQL
// (never the run's shared database or the machine's server).
const DATABASE = "authpi_outage";
let dataDir: string;
let port: number;
let pg: RunningDatabase;
let db: Db;
let services: Services;
let server: Server;
let baseUrl: string;
let apiKey: string;
let accountId: string;
const logLines: string[] = [];

const startDatabase = () => useEmbeddedPostgres({ dataDir, port, database: DATABASE });

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "authpi-outage-"));
  port = await freePort();
  pg = await startDatabase();
  await migrate(pg.url);
  db = createDb(pg.url, { max: 10 });
  services = createServices(db);
  const account = await services.accounts.bootstrap({ password: "outage test password" });
  apiKey = account.api_key;
  accountId = account.account_id;
  const logger = createLogger({ destination: { write: (line: string) => void logLines.push(line) } });
  const rateLimiter = createRateLimiter({ perSecond: 1_000_000, burst: 1_000_000 });
  const rest = createRestHandler({ services, logger, rateLimiter });
  server = createServer((req, res) => void rest(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/accounts/${accountId}`;
}, 60_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await db?.$disconnect();
  await pg?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

interface Attempt {
  key: string;
  status: number;
  ms: number;
  code?: string;
  retryAfter: string | null;
  requestId: string;
}

function serverDuration(requestId: string): number {
  for (const line of logLines) {
    const entry = JSON.parse(line) as { msg?: string; request_id?: string; duration_ms?: number };
    if (entry.msg === "request" && entry.request_id === requestId) return entry.duration_ms ?? Number.NaN;
  }
  return Number.NaN;
}

async function createIssuer(key: string): Promise<Attempt> {
  const started = performance.now();
  const response = await fetch(`${baseUrl}/issuers`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", "idempotency-key": key },
    body: JSON.stringify({ name: key }),
  });
  const body = (await response.json()) as { error?: { code: string } };
  return {
    key,
    status: response.status,
    ms: performance.now() - started,
    code: body.error?.code,
    retryAfter: response.headers.get("retry-after"),
    requestId: response.headers.get("request-id") ?? "",
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await sleep(50);
  }
  return condition();
}

test("database down mid-traffic: fast 503s, no lost or half writes, and the same process recovers", async () => {
  const health = createHealthHandler(services);
  const attempts: Attempt[] = [];
  let running = true;
  let sequence = 0;
  const workers = Array.from({ length: 4 }, async (_, w) => {
    while (running) {
      const attempt = await createIssuer(`outage-${w}-${sequence++}`);
      attempts.push(attempt);
      if (attempt.status !== 201) await sleep(50);
    }
  });

  // Traffic is flowing and the server is ready before the database goes away.
  await until(() => attempts.some((a) => a.status === 201));
  expect((await health(new Request("http://x/readyz"))).status).toBe(200);
  await pg.stop();
  const stoppedAt = attempts.length;
  await sleep(1_500);
  const readyz = await health(new Request("http://x/readyz"));
  expect(readyz.status).toBe(503);
  expect(await readyz.json()).toMatchObject({ checks: { database: "unavailable" } });
  expect((await health(new Request("http://x/healthz"))).status).toBe(200);

  pg = await startDatabase();
  // The same server process, the same pool: it serves again without a restart.
  const recovered = await until(() => {
    const recent = attempts.slice(-4);
    return recent.length === 4 && recent.every((a) => a.status === 201);
  });
  running = false;
  await Promise.all(workers);
  expect(recovered).toBe(true);
  expect((await health(new Request("http://x/readyz"))).status).toBe(200);

  const failures = attempts.filter((a) => a.status !== 201);
  expect(failures.length).toBeGreaterThan(0);
  expect(attempts.slice(0, stoppedAt).some((a) => a.status === 201)).toBe(true);
  for (const failure of failures) {
    expect(failure).toMatchObject({ status: 503, code: "database_unavailable" });
    expect(Number(failure.retryAfter)).toBeGreaterThanOrEqual(1);
    // Fail fast: nothing waits for a database that is not there. Measured in the server (its access
    // log), so a loaded test machine's client-side scheduling does not count; the client sees it too.
    expect(serverDuration(failure.requestId)).toBeLessThanOrEqual(2_000);
    expect(failure.ms).toBeLessThanOrEqual(3_000);
  }

  // No acknowledged write is lost.
  const names = new Set(
    (await db.issuer.findMany({ where: { accountId }, select: { name: true } })).map((row) => row.name),
  );
  for (const ok of attempts.filter((a) => a.status === 201)) expect(names.has(ok.key)).toBe(true);

  // Nothing half-written: retrying every refused request with its key yields exactly one issuer each.
  for (let i = 0; i < failures.length; i += 10) {
    const retries = await Promise.all(failures.slice(i, i + 10).map((f) => createIssuer(f.key)));
    for (const retry of retries) expect(retry.status).toBe(201);
  }
  const counts = await db.issuer.groupBy({ by: ["name"], where: { accountId }, _count: { _all: true } });
  expect(counts.every((c) => c._count._all === 1)).toBe(true);
  expect(counts).toHaveLength(new Set(attempts.map((a) => a.key)).size);

  // The outage was logged without leaking the key.
  expect(logLines.join("")).not.toContain(apiKey);
}, 60_000);
