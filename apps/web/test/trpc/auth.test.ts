import { afterAll, beforeAll, expect, test } from "vitest";
import { type TrpcHarness, trpcHarness } from "../trpc-harness.ts";

let now = Date.now();
let h: TrpcHarness;
beforeAll(async () => {
  h = await trpcHarness({ clock: () => new Date(now) });
});
afterAll(() => h.close());

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${h.baseUrl}/api/trpc/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

test("the bootstrap operator signs in: HttpOnly, SameSite=Lax session cookie; me; sign out ends the session", async () => {
  const { setCookie, cookie, status } = await h.signIn(h.account.adminEmail, h.account.adminPassword);
  expect(status).toBe(200);
  expect(setCookie).toMatch(/^authpi_session=[A-Za-z0-9_-]{43}; /);
  expect(setCookie).toContain("HttpOnly");
  expect(setCookie).toContain("SameSite=Lax");
  expect(setCookie).toContain("Path=/");
  // Plain http (also in production): a Secure cookie would never come back.
  expect(setCookie).not.toContain("Secure");

  const client = h.client(() => ({ cookie }));
  const me = await client.auth.me.query();
  expect(me).toMatchObject({ object: "operator", account_id: h.account.accountId, email: h.account.adminEmail });
  expect(JSON.stringify(me)).not.toMatch(/argon2|password/i);
  await expect(client.issuers.list.query({})).resolves.toMatchObject({ object: "list" });

  // Only a hash of the token is stored.
  const token = cookie.split("=")[1] ?? "";
  const rows = await h.db.adminSession.findMany({ where: { adminUser: { accountId: h.account.accountId } } });
  expect(rows.length).toBeGreaterThan(0);
  expect(JSON.stringify(rows)).not.toContain(token);

  const signOut = await post("auth.signOut", {}, { cookie });
  expect(signOut.status).toBe(200);
  expect(signOut.headers.get("set-cookie")).toMatch(/^authpi_session=; .*Max-Age=0/);
  await expect(client.auth.me.query()).rejects.toMatchObject({ data: { code: "UNAUTHORIZED" } });
  await expect(client.issuers.list.query({})).rejects.toMatchObject({ data: { code: "UNAUTHORIZED" } });
});

test("a wrong password and an unknown email get the same error", async () => {
  const wrong = await post("auth.signIn", { email: h.account.adminEmail, password: "not the password" });
  const unknown = await post("auth.signIn", { email: "nobody@example.com", password: "not the password" });
  expect(wrong.status).toBe(401);
  expect(unknown.status).toBe(401);
  const [a, b] = [await wrong.json(), await unknown.json()];
  expect(a.error.message).toBe(b.error.message);
  expect(a.error.data.domain.code).toBe("invalid_credentials");
  expect(wrong.headers.get("set-cookie")).toBeNull();
});

test("sessions expire", async () => {
  const { cookie } = await h.signIn(h.account.adminEmail, h.account.adminPassword);
  const client = h.client(() => ({ cookie }));
  await expect(client.auth.me.query()).resolves.toMatchObject({ object: "operator" });
  now += 13 * 3600 * 1000;
  try {
    await expect(client.auth.me.query()).rejects.toMatchObject({ data: { code: "UNAUTHORIZED" } });
  } finally {
    now = Date.now();
  }
});

test("failed sign-ins are limited per email, even with the right password afterwards", async () => {
  const account = await h.newAccount();
  for (let i = 0; i < 5; i++) {
    expect((await post("auth.signIn", { email: account.adminEmail, password: `wrong-${i}` })).status).toBe(401);
  }
  const limited = await post("auth.signIn", { email: account.adminEmail, password: account.adminPassword });
  expect(limited.status).toBe(429);
  expect((await limited.json()).error.data.domain.code).toBe("too_many_attempts");
  // Another operator is not affected by this email's lock.
  expect((await h.signIn(h.account.adminEmail, h.account.adminPassword)).status).toBe(200);
});

test("failed sign-ins are limited per client IP across emails", async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 31; i++) {
    statuses.push((await post("auth.signIn", { email: `spray-${i}@example.com`, password: "wrong" })).status);
  }
  // Earlier tests of this file already failed a few times from 127.0.0.1; the limit is 30 per window.
  const firstLimited = statuses.indexOf(429);
  expect(firstLimited).toBeGreaterThan(15);
  expect(statuses.slice(0, firstLimited).every((s) => s === 401)).toBe(true);
  expect(statuses.slice(firstLimited).every((s) => s === 429)).toBe(true);
});

test("cookie-authenticated mutations must be JSON (CSRF)", async () => {
  const form = await fetch(`${h.baseUrl}/api/trpc/auth.signOut`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "a=b",
  });
  expect(form.status).toBeGreaterThanOrEqual(400);
  const multipart = new FormData();
  multipart.set("name", "csrf");
  const created = await fetch(`${h.baseUrl}/api/trpc/issuers.create`, { method: "POST", body: multipart });
  expect(created.status).toBeGreaterThanOrEqual(400);
  expect(await h.db.issuer.count({ where: { name: "csrf" } })).toBe(0);
});
