import { randomUUID } from "node:crypto";
import { type AdminAuthOptions, createServices } from "@authpi/server";
import { afterEach, expect, test } from "vitest";
import { type TrpcHarness, trpcHarness } from "../trpc-harness.ts";

const REDIS_URL = "redis://127.0.0.1:6379";

// Each test gets its own server: the per-IP count (127.0.0.1 here) is per service instance.
let h: TrpcHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function server(): Promise<TrpcHarness> {
  h = await trpcHarness();
  return h;
}

/** One unbatched `auth.signIn` over HTTP: the status and the domain code of its error. */
async function attempt(harness: TrpcHarness, email: string, password: string) {
  const response = await fetch(`${harness.baseUrl}/api/trpc/auth.signIn`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  const body = await response.json();
  return { status: response.status, code: body.error?.data?.domain?.code as string | undefined };
}

function tally(results: { status: number }[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const { status } of results) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

test("40 parallel sign-ins for one email get exactly 5 password checks; the rest are 429 before any check", async () => {
  const harness = await server();
  const account = await harness.newAccount();
  const results = await Promise.all(
    Array.from({ length: 40 }, (_, i) => attempt(harness, account.adminEmail, `wrong-${i}`)),
  );
  expect(tally(results)).toEqual({ 401: 5, 429: 35 });
  expect(results.filter((r) => r.status === 429).every((r) => r.code === "too_many_attempts")).toBe(true);
  // The email stays locked, even for the right password.
  expect(await attempt(harness, account.adminEmail, account.adminPassword)).toMatchObject({ status: 429 });
});

test("the per-IP limit counts unknown emails too: 100 parallel attempts from one IP get exactly 30 checks", async () => {
  const harness = await server();
  const results = await Promise.all(
    Array.from({ length: 100 }, (_, i) => attempt(harness, `spray-${i}-${randomUUID()}@example.com`, "wrong")),
  );
  expect(tally(results)).toEqual({ 401: 30, 429: 70 });
});

test("a batch of 40 sign-ins for one email checks at most 5 passwords and never reaches the right one", async () => {
  const harness = await server();
  const account = await harness.newAccount();
  const inputs = Array.from({ length: 40 }, (_, i) =>
    i === 39
      ? { email: account.adminEmail, password: account.adminPassword }
      : { email: account.adminEmail, password: `wrong-${i}` },
  );
  const body = Object.fromEntries(inputs.map((input, i) => [String(i), input]));
  const response = await fetch(
    `${harness.baseUrl}/api/trpc/${Array.from({ length: 40 }, () => "auth.signIn").join(",")}?batch=1`,
    { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) },
  );
  // Sign-in may refuse batches altogether; either way no session comes out of it.
  expect(response.headers.get("set-cookie")).toBeNull();
  const text = await response.text();
  expect(text.split('"invalid_credentials"').length - 1).toBeLessThanOrEqual(5);
  expect(text).not.toContain('"operator"');
});

test("a successful sign-in gives its IP slot back: 35 good sign-ins in a row from one IP all pass", async () => {
  const harness = await server();
  const account = await harness.newAccount();
  for (let i = 0; i < 35; i++) {
    expect((await attempt(harness, account.adminEmail, account.adminPassword)).status).toBe(200);
  }
});

test("a success clears the email's failures: 4 wrong, right, then 5 more wrong are checked before the lock", async () => {
  const harness = await server();
  const account = await harness.newAccount();
  for (let i = 0; i < 4; i++) expect((await attempt(harness, account.adminEmail, "wrong")).status).toBe(401);
  expect((await attempt(harness, account.adminEmail, account.adminPassword)).status).toBe(200);
  for (let i = 0; i < 5; i++) expect((await attempt(harness, account.adminEmail, "wrong")).status).toBe(401);
  expect((await attempt(harness, account.adminEmail, account.adminPassword)).status).toBe(429);
});

// The service itself, as two server processes would run it.
async function parallelAttempts(options: AdminAuthOptions, instances: number, attempts: number) {
  const harness = await server();
  const account = await harness.newAccount();
  const services = Array.from(
    { length: instances },
    () => createServices(harness.db, { adminAuth: options }).adminAuth,
  );
  try {
    const connected = await Promise.all(services.map((service) => service.ready(2_000)));
    expect(connected).toEqual(services.map(() => !options.redisUrl?.endsWith(":1")));
    const outcomes = await Promise.all(
      Array.from({ length: attempts }, (_, i) =>
        (services[i % instances] ?? services[0])
          ?.signIn({ email: account.adminEmail, password: `wrong-${i}` }, { ip: `198.51.100.${i % 200}` })
          .then(
            () => "signed_in",
            (error: { code?: string }) => error.code ?? "other",
          ),
      ),
    );
    const counts: Record<string, number> = {};
    for (const outcome of outcomes) counts[String(outcome)] = (counts[String(outcome)] ?? 0) + 1;
    return counts;
  } finally {
    await Promise.all(services.map((service) => service.close()));
  }
}

test("service: in memory, 40 parallel attempts on one instance get exactly 5 checks", async () => {
  expect(await parallelAttempts({}, 1, 40)).toEqual({ invalid_credentials: 5, too_many_attempts: 35 });
});

test("service: with Redis, two instances share one count — 40 parallel attempts across both get exactly 5 checks", async () => {
  const options = { redisUrl: REDIS_URL, keyPrefix: `test:${randomUUID()}` };
  expect(await parallelAttempts(options, 2, 40)).toEqual({ invalid_credentials: 5, too_many_attempts: 35 });
});

test("service: with Redis down, each instance still limits in its own memory (fails open to memory)", async () => {
  const storeErrors: unknown[] = [];
  const options = {
    redisUrl: "redis://127.0.0.1:1",
    keyPrefix: `test:${randomUUID()}`,
    onStoreError: (error: unknown) => storeErrors.push(error),
  };
  expect(await parallelAttempts(options, 1, 40)).toEqual({ invalid_credentials: 5, too_many_attempts: 35 });
});

test("service: the per-IP limit applies across emails, known or not, on one instance", async () => {
  const harness = await server();
  const service = createServices(harness.db, { adminAuth: { maxFailuresPerIp: 30 } }).adminAuth;
  const outcomes = await Promise.all(
    Array.from({ length: 60 }, (_, i) =>
      service
        .signIn({ email: `nobody-${i}-${randomUUID()}@example.com`, password: "wrong" }, { ip: "203.0.113.9" })
        .then(
          () => "signed_in",
          (error: { code?: string }) => error.code ?? "other",
        ),
    ),
  );
  expect(outcomes.filter((o) => o === "invalid_credentials")).toHaveLength(30);
  expect(outcomes.filter((o) => o === "too_many_attempts")).toHaveLength(30);
  await service.close();
});
