import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { freePort } from "@authpi/db";
import { type ServiceHarness, serviceHarness, type TestAccount, testEncryptionKeyEntry } from "@authpi/server/testing";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { holdIssuerRowLock } from "../row-lock.ts";

// Two real server processes (src/serve-api.ts) on the run's one database, sharing
// rate-limit buckets through the CI machine's Redis under a prefix of their own.
const WEB_DIR = path.resolve(import.meta.dirname, "../..");
const REDIS_URL = "redis://127.0.0.1:6379";

interface ServerProcess {
  child: ChildProcess;
  baseUrl: string;
  output: string[];
  exited: Promise<number | null>;
}

let harness: ServiceHarness;
let account: TestAccount;
const servers: ServerProcess[] = [];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startServer(databaseUrl: string, prefix: string): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "src/serve-api.ts"], {
    cwd: WEB_DIR,
    env: {
      ...process.env,
      NODE_ENV: "test",
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: "127.0.0.1",
      REDIS_URL,
      AUTHPI_RATE_LIMIT_PREFIX: prefix,
      AUTHPI_RATE_LIMIT_PER_SECOND: "1000",
      AUTHPI_RATE_LIMIT_BURST: "1000",
      AUTHPI_ENCRYPTION_KEYS: testEncryptionKeyEntry(databaseUrl),
      AUTHPI_SHUTDOWN_TIMEOUT_SECONDS: "20",
      DATABASE_POOL_SIZE: "5",
      LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const server = { child, baseUrl: `http://127.0.0.1:${port}`, output, exited };
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

async function call(
  server: ServerProcess,
  method: string,
  path_: string,
  init: { body?: unknown; headers?: Record<string, string>; apiKey?: string } = {},
) {
  const response = await fetch(`${server.baseUrl}/v1/accounts/${account.accountId}${path_}`, {
    method,
    headers: {
      authorization: `Bearer ${init.apiKey ?? account.apiKey}`,
      ...(init.body === undefined ? {} : { "content-type": "application/json" }),
      ...init.headers,
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  harness = serviceHarness();
  account = await harness.newAccount();
  const databaseUrl = inject("databaseUrl");
  const prefix = `authpi-test:${randomBytes(6).toString("hex")}`;
  servers.push(...(await Promise.all([startServer(databaseUrl, prefix), startServer(databaseUrl, prefix)])));
}, 90_000);

afterAll(async () => {
  for (const server of servers) {
    if (server.child.exitCode === null) server.child.kill("SIGKILL");
  }
  await harness?.close();
});

describe("two server processes on one database", () => {
  test("20 concurrent identical POSTs across both processes create exactly one issuer", async () => {
    const key = `multi-${randomBytes(8).toString("hex")}`;
    const body = { name: `Multi-process ${key}` };
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call(servers[i % 2] as ServerProcess, "POST", "/issuers", { body, headers: { "idempotency-key": key } }),
      ),
    );
    expect(await harness.db.issuer.count({ where: { accountId: account.accountId, name: body.name } })).toBe(1);
    for (const answer of answers) {
      if (answer.status === 409) expect(answer.body.error.code).toBe("idempotency_request_in_progress");
      else expect(answer.status).toBe(201);
    }
    const originals = answers.filter((a) => a.status === 201 && a.headers.get("idempotent-replayed") !== "true");
    expect(originals).toHaveLength(1);
    for (const server of servers) {
      const retry = await call(server, "POST", "/issuers", { body, headers: { "idempotency-key": key } });
      expect(retry.status).toBe(201);
      expect(retry.headers.get("idempotent-replayed")).toBe("true");
      expect(retry.text).toBe(originals[0]?.text);
    }
  });

  test("with REDIS_URL both processes draw on one rate-limit budget per key", async () => {
    const { secret } = await harness.services.apiKeys.create(account.accountId, "budget probe");
    const remaining: number[] = [];
    for (let i = 0; i < 8; i++) {
      const response = await call(servers[i % 2] as ServerProcess, "GET", "/issuers?limit=1", { apiKey: secret });
      expect(response.status).toBe(200);
      expect(response.headers.get("ratelimit-policy")).toBe('"default";q=1000;w=1');
      remaining.push(Number(/r=(\d+)/.exec(response.headers.get("ratelimit") ?? "")?.[1]));
    }
    // One budget: each answer, from either process, has one request less left (a new second
    // may refill it once). Separate budgets would repeat every value: 999, 999, 998, 998, …
    const steps = remaining.slice(1).map((r, i) => (remaining[i] as number) - r);
    expect(steps.filter((s) => s === 1).length, remaining.join(",")).toBeGreaterThanOrEqual(steps.length - 1);
    expect(steps, remaining.join(",")).not.toContain(0);
  });

  test("SIGTERM lets an in-flight request finish, then the process exits cleanly", async () => {
    const server = servers[1] as ServerProcess;
    const created = await call(server, "POST", "/issuers", { body: { name: "Drained" } });
    const id = created.body.id as string;

    // Hold the issuer's row so the PATCH is still running when SIGTERM arrives.
    const lock = await holdIssuerRowLock(harness.db, id, 20_000);
    const inFlight = call(server, "PATCH", `/issuers/${id}`, { body: { description: "finished while draining" } });
    await sleep(300);
    server.child.kill("SIGTERM");
    // Once draining it takes no new connections (the signal may take a moment on a busy machine).
    let refused = false;
    for (let i = 0; i < 100 && !refused; i++) {
      refused = await fetch(`${server.baseUrl}/healthz`).then(
        () => false,
        () => true,
      );
      if (!refused) await sleep(100);
    }
    expect(refused).toBe(true);
    expect(server.child.exitCode).toBeNull();

    await lock.release();
    const finished = await inFlight;
    expect(finished.status).toBe(200);
    expect(finished.body.description).toBe("finished while draining");
    expect(await server.exited).toBe(0);
    const row = await harness.db.issuer.findUnique({ where: { id } });
    expect(row?.description).toBe("finished while draining");
  });

  test("the servers' logs carry no API key", () => {
    const text = servers.map((s) => s.output.join("")).join("\n");
    expect(text).toContain('"msg":"request"');
    expect(text).not.toContain(account.apiKey);
    expect(text).not.toMatch(/sk_[0-9A-Za-z]{20,}/);
  });
});
