import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createDb } from "@authpi/db";
import { createRateLimiter, createServices } from "@authpi/server";
import { getRequestListener } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTrpcHandler } from "../../src/trpc-server.ts";
import { failure, type TrpcHarness, trpcHarness } from "../trpc-harness.ts";

// A burst of 200 and a trickle of one token a second: a 400-call burst gets ~200 answers, ~200 429s.
let h: TrpcHarness;
beforeAll(async () => {
  h = await trpcHarness({ rateLimiter: createRateLimiter({ perSecond: 1, burst: 200 }) });
});
afterAll(() => h.close());

const trpcUrl = (path: string) => `${h.baseUrl}/api/trpc/${path}`;

async function newKey(): Promise<string> {
  return (await h.newAccount()).apiKey;
}

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(trpcUrl(path), {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

describe("door parity: one pipeline for /v1 and tRPC", () => {
  test("the same 400-call burst with one API key gets the same 429s through /v1 and tRPC, from one bucket", async () => {
    // 400 calls per door in waves of 20, both doors at once: they see the same clock, so the
    // same refill, and the test database's pool (20) is not what answers.
    const burst = async (call: () => Promise<Response>) => {
      const statuses: number[] = [];
      for (let wave = 0; wave < 20; wave++) {
        statuses.push(...(await Promise.all(Array.from({ length: 20 }, () => call().then((r) => r.status)))));
      }
      return { ok: statuses.filter((s) => s === 200).length, limited: statuses.filter((s) => s === 429).length };
    };
    const restKey = await newKey();
    const restAccount = (await h.services.apiKeys.authenticate(restKey)).accountId;
    const trpcKey = await newKey();
    const trpcAccount = (await h.services.apiKeys.authenticate(trpcKey)).accountId;
    // Right after the tRPC burst, five /v1 calls at once with the same key: a fresh bucket would answer
    // all of them; the one tRPC drained refuses most (a new second may grant its one token, and the
    // reserve refills a little meanwhile).
    const afterTrpc = () =>
      Promise.all(
        Array.from({ length: 5 }, () =>
          fetch(`${h.baseUrl}/v1/accounts/${trpcAccount}/issuers`, { headers: { authorization: `Bearer ${trpcKey}` } }),
        ),
      );
    const [rest, [trpc, after]] = await Promise.all([
      burst(() =>
        fetch(`${h.baseUrl}/v1/accounts/${restAccount}/issuers?limit=1`, {
          headers: { authorization: `Bearer ${restKey}` },
        }),
      ),
      burst(() =>
        fetch(trpcUrl(`issuers.list?input=${encodeURIComponent(JSON.stringify({ limit: 1 }))}`), {
          headers: { authorization: `Bearer ${trpcKey}` },
        }),
      ).then(async (result) => [result, await afterTrpc()] as const),
    ]);
    expect(rest.ok + rest.limited).toBe(400);
    expect(trpc.ok + trpc.limited).toBe(400);
    // The burst of 200, plus what refilled while the calls ran (the same for both doors).
    expect(rest.ok).toBeGreaterThanOrEqual(200);
    expect(trpc.ok).toBeGreaterThanOrEqual(200);
    expect(rest.limited).toBeGreaterThan(0);
    expect(Math.abs(rest.limited - trpc.limited)).toBeLessThanOrEqual(Math.max(10, rest.limited * 0.1));
    // tRPC drew on the key's one bucket: /v1 with the same key is limited too.
    const refused = after.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(2);
    expect(refused[0]?.headers.get("retry-after")).toMatch(/^\d+$/);
  });

  test("a 429 through tRPC carries TOO_MANY_REQUESTS, rate_limited and Retry-After", async () => {
    const key = await newKey();
    const calls = await Promise.all(
      Array.from({ length: 230 }, () =>
        fetch(trpcUrl("issuers.list?input=%7B%7D"), { headers: { authorization: `Bearer ${key}` } }),
      ),
    );
    const limited = calls.find((r) => r.status === 429);
    expect(limited).toBeDefined();
    expect(limited?.headers.get("retry-after")).toMatch(/^\d+$/);
    const body = (await limited?.json()) as { error: { data: { code: string; domain: { code: string } } } };
    expect(body.error.data).toMatchObject({ code: "TOO_MANY_REQUESTS", domain: { code: "rate_limited" } });
  });

  test("an idempotent tRPC mutation retried with the same Idempotency-Key replays; another body is a 422", async () => {
    const key = await newKey();
    const headers = { authorization: `Bearer ${key}`, "idempotency-key": "trpc-retry-1" };
    const first = await post("issuers.create", { body: { name: "Once" } }, headers);
    const again = await post("issuers.create", { body: { name: "Once" } }, headers);
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    const a = (await first.json()) as { result: { data: { value: { id: string }; etag: string } } };
    const b = (await again.json()) as { result: { data: { value: { id: string }; etag: string } } };
    expect(b.result.data).toEqual(a.result.data);
    const other = await post("issuers.create", { body: { name: "Other" } }, headers);
    expect(other.status).toBe(422);
    const account = (await h.services.apiKeys.authenticate(key)).accountId;
    const list = await h.services.issuers.list(account, { limit: 100 } as never);
    expect(JSON.parse(list.json).data.filter((i: { name: string }) => i.name === "Once")).toHaveLength(1);
  });

  test("a validation error names the same field, with the same message, through both doors", async () => {
    const rest = await fetch(`${h.baseUrl}/v1/accounts/${h.account.accountId}/issuers`, {
      method: "POST",
      headers: { authorization: `Bearer ${h.account.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ name: 5 }),
    });
    const restError = ((await rest.json()) as { error: { message: string; param: string } }).error;
    const client = h.client(() => ({ authorization: `Bearer ${h.account.apiKey}` }));
    const trpcError = await failure(client.issuers.create.mutate({ body: { name: 5 as never } }));
    expect(restError.param).toBe("name");
    expect(trpcError.data.domain.param).toBe("name");
    expect(trpcError.message).toBe(restError.message);
    expect(trpcError.message).not.toContain("Required");
  });
});

test("a bad path parameter is named as the tRPC caller sent it; unknown input fields are refused", async () => {
  const client = h.client(() => ({ authorization: `Bearer ${h.account.apiKey}` }));
  const wrongType = await failure(client.issuers.get.query({ id: 5 as never }));
  expect(wrongType.data.domain).toMatchObject({ code: "validation_failed", param: "id" });
  const missing = await failure(client.authMethods.list.query({ issuerId: "iss_01JDQ3S5M2N3P4Q5R6S7T8V9W0" }));
  expect(missing.data.domain).toMatchObject({ code: "resource_missing", param: "issuerId" });
  const extra = await failure(client.issuers.get.query({ id: "iss_x", issuer_id: "iss_y" } as never));
  expect(extra.data.domain).toMatchObject({ code: "validation_failed", param: "issuer_id" });
});

describe("tRPC door limits", () => {
  test("sign-in cannot be batched: 40 passwords in one batch are 40 refusals and no session", async () => {
    const account = await h.newAccount();
    const paths = Array.from({ length: 40 }, () => "auth.signIn").join(",");
    const input = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [
        String(i),
        { email: account.adminEmail, password: i === 39 ? account.adminPassword : `wrong-${i}` },
      ]),
    );
    const response = await post(`${paths}?batch=1`, input);
    expect(response.headers.get("set-cookie")).toBeNull();
    expect(response.status).toBe(400);
    // A batch of 2 is refused per call as well, with the contract's code.
    const two = await post("auth.signIn,auth.signIn?batch=1", {
      0: { email: account.adminEmail, password: account.adminPassword },
      1: { email: account.adminEmail, password: account.adminPassword },
    });
    const results = (await two.json()) as { error: { data: { domain: { code: string } } } }[];
    expect(results.map((r) => r.error.data.domain.code)).toEqual(["batch_not_allowed", "batch_not_allowed"]);
    expect(two.headers.get("set-cookie")).toBeNull();
    // Alone, it works.
    expect((await h.signIn(account.adminEmail, account.adminPassword)).status).toBe(200);
  });

  test("a batch is capped at 10 calls", async () => {
    const key = { authorization: `Bearer ${h.account.apiKey}` };
    const calls = (n: number) => Array.from({ length: n }, () => "issuers.list").join(",");
    const input = (n: number) =>
      encodeURIComponent(JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [i, {}]))));
    const ten = await fetch(trpcUrl(`${calls(10)}?batch=1&input=${input(10)}`), { headers: key });
    expect(ten.status).toBe(200);
    const eleven = await fetch(trpcUrl(`${calls(11)}?batch=1&input=${input(11)}`), { headers: key });
    expect(eleven.status).toBe(400);
  });

  test("the body is capped at 100 KB before anything is parsed, even before sign-in", async () => {
    const big = JSON.stringify({ email: "a@example.com", password: "x".repeat(200 * 1024) });
    const response = await post("auth.signIn", big);
    expect(response.status).toBe(413);
    const body = (await response.json()) as { error: { code: string } };
    expect(body.error.code).toBe("body_too_large");
  });

  test("NUL characters in tRPC-only inputs are a 400 naming the field, never a database error", async () => {
    const signIn = await post("auth.signIn", { email: "a\u0000@example.com", password: "whatever it is" });
    expect(signIn.status).toBe(400);
    expect(((await signIn.json()) as any).error.data.domain).toMatchObject({
      code: "validation_failed",
      param: "email",
    });
    const { cookie } = await h.signIn(h.account.adminEmail, h.account.adminPassword);
    const revoke = await post("apiKeys.revoke", { id: "key_\u0000" }, { cookie });
    expect(revoke.status).toBe(400);
    expect(((await revoke.json()) as any).error.data.domain).toMatchObject({ code: "validation_failed", param: "id" });
  });

  test("a lost database is a 503 SERVICE_UNAVAILABLE with Retry-After through tRPC, as on /v1", async () => {
    // Services on a port nothing listens on: every query fails to connect.
    const db = createDb("postgresql://postgres@127.0.0.1:9/none", { max: 1 });
    const handler = createTrpcHandler({
      services: createServices(db),
      production: false,
      rateLimiter: createRateLimiter({ perSecond: 1000, burst: 1000 }),
    });
    const server = createServer(getRequestListener(handler));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const response = await fetch(`http://127.0.0.1:${port}/api/trpc/issuers.list?input=%7B%7D`, {
        headers: { authorization: `Bearer ${h.account.apiKey}` },
      });
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("2");
      const body = (await response.json()) as any;
      expect(body.error.data).toMatchObject({ code: "SERVICE_UNAVAILABLE", domain: { code: "database_unavailable" } });
    } finally {
      server.close();
      await db.$disconnect();
    }
  });
});
