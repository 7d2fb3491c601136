import { randomBytes } from "node:crypto";
import { createRateLimiter, loadEnv, type RateLimiter } from "@authpi/server";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type ApiHarness, type ApiResponse, apiHarness } from "../harness.ts";

const REDIS_URL = "redis://127.0.0.1:6379";
const POLICY = /^"default";q=(\d+);w=(\d+)$/;
const STATE = /^"default";r=(\d+);t=(\d+)$/;

function state(response: ApiResponse): { r: number; t: number } {
  const match = STATE.exec(response.headers.get("ratelimit") ?? "");
  expect(match, `RateLimit header of a ${response.status}`).not.toBeNull();
  return { r: Number(match?.[1]), t: Number(match?.[2]) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("rate limits through the API (in memory)", () => {
  let api: ApiHarness;
  beforeAll(async () => {
    // A slow refill and a deep bucket: a loaded machine may spread a burst over seconds.
    api = await apiHarness({ rateLimiter: createRateLimiter({ perSecond: 1, burst: 20 }) });
  });
  afterAll(() => api.close());

  test("a burst beyond the bucket gets 429 with Retry-After, and the budget refills", async () => {
    const answers = await Promise.all(Array.from({ length: 30 }, () => api.request("GET", "/issuers")));
    const ok = answers.filter((a) => a.status === 200);
    const limited = answers.filter((a) => a.status === 429);
    expect(ok.length).toBeGreaterThanOrEqual(20);
    expect(limited.length).toBeGreaterThanOrEqual(1);
    expect(ok.length + limited.length).toBe(30);
    for (const a of answers) {
      expect(a.headers.get("ratelimit-policy")).toBe('"default";q=20;w=1');
      state(a);
    }
    // Remaining counts down from the full bucket to empty.
    expect(Math.max(...ok.map((a) => state(a).r))).toBe(19);
    expect(Math.min(...ok.map((a) => state(a).r))).toBe(0);
    for (const a of limited) expect(state(a).r).toBe(0);

    const refused = limited[0] as ApiResponse;
    expect(refused.body.error).toMatchObject({ type: "rate_limit_error", code: "rate_limited" });
    expect(refused.body.error.request_id).toBe(refused.headers.get("request-id"));
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeGreaterThanOrEqual(state(refused).t);

    await sleep(retryAfter * 1000 + 50);
    const again = await api.request("GET", "/issuers");
    expect(again.status).toBe(200);
  });

  test("every /v1 answer carries the headers, errors included", async () => {
    await sleep(1100);
    for (const response of [
      await api.request("GET", "/issuers/iss_nope"),
      await api.request("GET", "/issuers", { apiKey: null }),
      await api.request("GET", "/v1/nowhere"),
    ]) {
      expect(response.headers.get("ratelimit-policy")).toMatch(POLICY);
      state(response);
    }
  });

  test("budgets are per API key", async () => {
    await sleep(1100);
    const second = await api.services.apiKeys.create(api.account.accountId, "second");
    const burst = await Promise.all(Array.from({ length: 30 }, () => api.request("GET", "/issuers")));
    expect(burst.some((a) => a.status === 429)).toBe(true);
    const other = await api.request("GET", "/issuers", { apiKey: second.secret });
    expect(other.status).toBe(200);
    expect(state(other).r).toBe(19);
  });
});

describe("shared buckets in Redis", () => {
  const limiters: RateLimiter[] = [];
  const make = (config: Parameters<typeof createRateLimiter>[0]) => {
    const limiter = createRateLimiter(config);
    limiters.push(limiter);
    return limiter;
  };
  afterAll(async () => {
    await Promise.all(limiters.map((l) => l.close()));
  });

  test("two limiters on one Redis (two processes) share one budget", async () => {
    const keyPrefix = `authpi-test:${randomBytes(6).toString("hex")}`;
    const a = make({ perSecond: 1, burst: 10, redisUrl: REDIS_URL, keyPrefix });
    const b = make({ perSecond: 1, burst: 10, redisUrl: REDIS_URL, keyPrefix });
    // Until connected, each would count in its own memory.
    expect(await a.ready()).toBe(true);
    expect(await b.ready()).toBe(true);
    const decisions = [];
    for (let i = 0; i < 16; i++) decisions.push(await (i % 2 ? b : a).consume("key:shared"));
    const allowed = decisions.filter((d) => d.allowed).length;
    // Alone, each would allow all 8 of its requests (16). Shared: the bucket's 10, plus a refill or two.
    expect(allowed).toBeGreaterThanOrEqual(10);
    expect(allowed).toBeLessThanOrEqual(12);
    expect(decisions[0]?.remaining).toBe(9);
    expect(decisions[1]?.remaining).toBe(8);
  });

  test("when Redis cannot be reached the limiter fails open to in-process counting, quickly", async () => {
    const errors: unknown[] = [];
    const limiter = make({
      perSecond: 2,
      burst: 4,
      redisUrl: "redis://127.0.0.1:1",
      keyPrefix: "authpi-test:down",
      onStoreError: (e) => errors.push(e),
    });
    const started = performance.now();
    const first = await limiter.consume("key:x");
    expect(performance.now() - started).toBeLessThan(500);
    expect(first.allowed).toBe(true);
    // Still a limit, kept in this process.
    const more = [];
    for (let i = 0; i < 5; i++) more.push(await limiter.consume("key:x"));
    expect(more.some((d) => !d.allowed)).toBe(true);
    await sleep(300);
    expect(errors.length).toBeGreaterThanOrEqual(1);
  });
});

test("the environment sets the limits; defaults are the contract's 100/s, burst 200", () => {
  const defaults = loadEnv({});
  expect(defaults.AUTHPI_RATE_LIMIT_PER_SECOND).toBe(100);
  expect(defaults.AUTHPI_RATE_LIMIT_BURST).toBe(200);
  const custom = loadEnv({ AUTHPI_RATE_LIMIT_PER_SECOND: "7", AUTHPI_RATE_LIMIT_BURST: "9", REDIS_URL: REDIS_URL });
  expect(custom).toMatchObject({ AUTHPI_RATE_LIMIT_PER_SECOND: 7, AUTHPI_RATE_LIMIT_BURST: 9, REDIS_URL });
});
