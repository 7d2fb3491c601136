import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { freePort } from "@authpi/db";
import { type ServiceHarness, serviceHarness, type TestAccount, testEncryptionKeyEntry } from "@authpi/server/testing";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";

// API keys are cached in each server process and dropped in every process when a key is revoked
// (Postgres LISTEN/NOTIFY): a revoked key stops working on all instances within a second.
const WEB_DIR = path.resolve(import.meta.dirname, "../..");

interface ServerProcess {
  child: ChildProcess;
  baseUrl: string;
  output: string[];
}

let harness: ServiceHarness;
let account: TestAccount;
const servers: ServerProcess[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startServer(databaseUrl: string): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "src/serve-api.ts"], {
    cwd: WEB_DIR,
    env: {
      ...process.env,
      NODE_ENV: "test",
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: "127.0.0.1",
      REDIS_URL: "",
      AUTHPI_RATE_LIMIT_PER_SECOND: "100000",
      AUTHPI_RATE_LIMIT_BURST: "100000",
      AUTHPI_ENCRYPTION_KEYS: testEncryptionKeyEntry(databaseUrl),
      DATABASE_POOL_SIZE: "3",
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  const server = { child, baseUrl: `http://127.0.0.1:${port}`, output };
  const deadline = Date.now() + 45_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${output.join("")}`);
    try {
      if ((await fetch(`${server.baseUrl}/readyz`)).status === 200) return server;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server did not become ready:\n${output.join("")}`);
    await sleep(100);
  }
}

async function status(server: ServerProcess, secret: string): Promise<number> {
  const response = await fetch(`${server.baseUrl}/v1/accounts/${account.accountId}/issuers?limit=1`, {
    headers: { authorization: `Bearer ${secret}` },
  });
  await response.arrayBuffer();
  return response.status;
}

/** Uses the key on both servers for a moment, so that both have it cached (their listeners are up by then). */
async function warm(secret: string): Promise<void> {
  for (let i = 0; i < 10; i++) {
    for (const server of servers) expect(await status(server, secret)).toBe(200);
    await sleep(50);
  }
}

/** Milliseconds until every server answers 401 for `secret` (polling every 20 ms, at most 5 s). */
async function untilRefusedEverywhere(secret: string, since: number): Promise<number> {
  const refusedAt = await Promise.all(
    servers.map(async (server) => {
      while (Date.now() - since < 5_000) {
        if ((await status(server, secret)) === 401) return Date.now() - since;
        await sleep(20);
      }
      return Number.POSITIVE_INFINITY;
    }),
  );
  return Math.max(...refusedAt);
}

beforeAll(async () => {
  harness = serviceHarness();
  account = await harness.newAccount();
  const databaseUrl = inject("databaseUrl");
  servers.push(...(await Promise.all([startServer(databaseUrl), startServer(databaseUrl)])));
}, 90_000);

afterAll(async () => {
  for (const server of servers) if (server.child.exitCode === null) server.child.kill("SIGKILL");
  await harness?.close();
});

describe("API-key revocation across two server processes", () => {
  test("a key revoked through the service is refused by both processes within a second", async () => {
    const { apiKey, secret } = await harness.services.apiKeys.create(account.accountId, "revoked everywhere");
    await warm(secret);
    const since = Date.now();
    await harness.services.apiKeys.revoke(account.accountId, apiKey.id);
    expect(await untilRefusedEverywhere(secret, since)).toBeLessThan(1_000);
  });

  test("the processes serve the key from their cache, and the NOTIFY is what drops it", async () => {
    const { apiKey, secret } = await harness.services.apiKeys.create(account.accountId, "cached");
    await warm(secret);
    // Revoked behind the services' back (no NOTIFY): the cached key still works, so it is cached…
    await harness.db.apiKey.update({ where: { id: apiKey.id }, data: { revokedAt: new Date() } });
    for (const server of servers) expect(await status(server, secret)).toBe(200);
    // …until the revocation is announced.
    const since = Date.now();
    await harness.db.$executeRaw`SELECT pg_notify('api_key_revoked', ${apiKey.id})`;
    expect(await untilRefusedEverywhere(secret, since)).toBeLessThan(1_000);
  });

  test("the servers' logs carry no API key", () => {
    expect(servers.map((s) => s.output.join("")).join("\n")).not.toMatch(/sk_[0-9A-Za-z]{20,}/);
  });
});
