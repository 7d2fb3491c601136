import { readFile } from "node:fs/promises";
import { BREACHED_PASSWORDS_FILE } from "@authpi/server";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type ApiHarness, apiHarness } from "../harness.ts";

let now = new Date("2026-12-01T12:00:00.000Z");
let api: ApiHarness;
let other: ApiHarness;
let issuer: string;

const PASSWORD = "correct horse battery staple";

async function newIssuer(
  h: ApiHarness,
  name: string,
  methods: { password?: Record<string, unknown>; temporary?: Record<string, unknown> } = { password: {} },
): Promise<string> {
  const res = await h.request("POST", "/issuers", { body: { name } });
  expect(res.status).toBe(201);
  const id = res.body.id as string;
  if (methods.password) {
    const m = await h.request("POST", `/issuers/${id}/auth-methods`, {
      body: { name: "Password", method: "password", first_factor_only: true, settings: methods.password },
    });
    expect(m.status, m.text).toBe(201);
  }
  if (methods.temporary) {
    const m = await h.request("POST", `/issuers/${id}/auth-methods`, {
      body: { name: "Temporary", method: "temporary_password", first_factor_only: true, settings: methods.temporary },
    });
    expect(m.status, m.text).toBe(201);
  }
  return id;
}

async function createUser(h: ApiHarness, issuerId: string, body: Record<string, unknown>) {
  const res = await h.request("POST", `/issuers/${issuerId}/users`, { body });
  expect(res.status, res.text).toBe(201);
  return res;
}

beforeAll(async () => {
  [api, other] = await Promise.all([apiHarness({ clock: () => now }), apiHarness()]);
  issuer = await newIssuer(api, "Pool");
});
afterAll(async () => {
  const leaked = [...api.logLines, ...other.logLines].filter((line) => line.includes(PASSWORD));
  expect(leaked).toEqual([]);
  await Promise.all([api.close(), other.close()]);
});

describe("create, read, update, delete", () => {
  test("POST 201: the user, an ETag, never the password", async () => {
    const res = await createUser(api, issuer, {
      email: "ada@example.com",
      name: "Ada Lovelace",
      given_name: "Ada",
      family_name: "Lovelace",
      password: PASSWORD,
      metadata: { plan: "pro" },
    });
    expect(res.headers.get("etag")).toMatch(/^"/);
    expect(res.text).not.toContain(PASSWORD);
    expect(res.body).toEqual({
      object: "user",
      id: expect.stringMatching(/^usr_[0-9A-HJKMNP-TV-Z]{26}$/),
      issuer_id: issuer,
      email: "ada@example.com",
      email_verified: false,
      phone_number: null,
      phone_verified: false,
      name: "Ada Lovelace",
      given_name: "Ada",
      family_name: "Lovelace",
      picture: null,
      status: "active",
      password_set: true,
      temporary_password_expires_at: null,
      factors: [],
      identities: [],
      metadata: { plan: "pro" },
      created_at: "2026-12-01T12:00:00.000Z",
      updated_at: "2026-12-01T12:00:00.000Z",
      last_sign_in_at: null,
    });
    const row = await api.db.user.findUniqueOrThrow({ where: { id: res.body.id } });
    expect(row.passwordHash).toMatch(/^\$argon2id\$/);
  });

  test("GET, PATCH (ETag, merge), DELETE (permanent)", async () => {
    const created = await createUser(api, issuer, { email: "crud@example.com" });
    const path = `/issuers/${issuer}/users/${created.body.id}`;
    const got = await api.request("GET", path);
    expect(got.body).toEqual(created.body);
    expect(got.headers.get("etag")).toBe(created.headers.get("etag"));
    const patched = await api.request("PATCH", path, {
      body: { name: "Crud", phone_number: "+14155550123", password: PASSWORD, metadata: { a: "1" } },
      headers: { "if-match": got.headers.get("etag") ?? "" },
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({ name: "Crud", phone_number: "+14155550123", password_set: true });
    expect(patched.text).not.toContain(PASSWORD);
    const stale = await api.request("PATCH", path, {
      body: { name: "Lost" },
      headers: { "if-match": got.headers.get("etag") ?? "" },
    });
    expect(stale.status).toBe(412);
    const cleared = await api.request("PATCH", path, { body: { metadata: { a: null }, phone_number: null } });
    expect(cleared.body).toMatchObject({ metadata: {}, phone_number: null });
    expect((await api.request("PATCH", path, { body: { email: null } })).body.error).toMatchObject({
      code: "validation_failed",
      param: "email",
    });
    expect((await api.request("DELETE", path)).status).toBe(204);
    expect((await api.request("GET", path)).status).toBe(404);
    expect((await api.request("DELETE", path)).status).toBe(404);
  });

  test.each([
    [{}, "email"],
    [{ email: "not-an-email" }, "email"],
    [{ phone_number: "555-0123" }, "phone_number"],
    [{ email: "p@example.com", picture: "http://example.com/p.png" }, "picture"],
    [{ email: "p@example.com", status: "deleted" }, "status"],
    [{ email: "p@example.com", password_hash: "$argon2id$" }, "password_hash"],
    [{ email: "p@example.com", factors: [] }, "factors"],
  ])("POST %j → 400 naming %s", async (body, param) => {
    const res = await api.request("POST", `/issuers/${issuer}/users`, { body });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "validation_failed", param });
  });
});

describe("one pool per issuer", () => {
  test("the same email in two issuers is two users; in one issuer case does not matter (409 email_taken)", async () => {
    const second = await newIssuer(api, "Second pool");
    const a = await createUser(api, issuer, { email: "Grace@Example.com" });
    const b = await createUser(api, second, { email: "Grace@Example.com" });
    expect(a.body.id).not.toBe(b.body.id);
    const dup = await api.request("POST", `/issuers/${issuer}/users`, { body: { email: "grace@example.com" } });
    expect(dup.status).toBe(409);
    expect(dup.body.error).toMatchObject({ type: "conflict_error", code: "email_taken", param: "email" });
    const other = await createUser(api, issuer, { email: "other@example.com" });
    const renamed = await api.request("PATCH", `/issuers/${issuer}/users/${other.body.id}`, {
      body: { email: "GRACE@example.com" },
    });
    expect(renamed.status).toBe(409);
    expect(renamed.body.error.code).toBe("email_taken");
    await createUser(api, issuer, { phone_number: "+442071838750" });
    const phone = await api.request("POST", `/issuers/${issuer}/users`, { body: { phone_number: "+442071838750" } });
    expect(phone.status).toBe(409);
    expect(phone.body.error).toMatchObject({ code: "phone_taken", param: "phone_number" });
  });

  test("50 concurrent creates of one email give exactly one 201", async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        api.request("POST", `/issuers/${issuer}/users`, {
          body: { email: i % 2 ? "Race@Example.com" : "race@example.com", password: PASSWORD },
        }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    const list = await api.request("GET", `/issuers/${issuer}/users?email=RACE@example.com`);
    expect(list.body.data).toHaveLength(1);
  });
});

describe("passwords", () => {
  test("each rule of the issuer's password method: 400 weak_password naming the rule", async () => {
    const strict = await newIssuer(api, "Strict", {
      password: {
        min_length: 12,
        require_uppercase: true,
        require_lowercase: true,
        require_digit: true,
        require_symbol: true,
      },
    });
    for (const [password, rule] of [
      ["Sh0rt!pass", "min_length"],
      ["all lower case 1!", "require_uppercase"],
      ["ALL UPPER CASE 1!", "require_lowercase"],
      ["No Digits Here!!", "require_digit"],
      ["No Symbols Here 1", "require_symbol"],
    ]) {
      const res = await api.request("POST", `/issuers/${strict}/users`, { body: { email: "s@example.com", password } });
      expect(res.status, rule).toBe(400);
      expect(res.body.error).toMatchObject({
        type: "invalid_request_error",
        code: "weak_password",
        param: "password",
        rule,
      });
      expect(res.body.error.message).toContain(rule);
      expect(res.text).not.toContain(password);
    }
    await createUser(api, strict, { email: "s@example.com", password: "Good Password 1!" });
  });

  test("a password from the shipped breached list is refused when check_breached is on", async () => {
    const list = (await readFile(BREACHED_PASSWORDS_FILE, "utf8")).split("\n").filter((p) => p.length >= 12);
    const breached = list[Math.floor(list.length / 2)] as string;
    const checking = await newIssuer(api, "Checks breaches", { password: { min_length: 12 } });
    const res = await api.request("POST", `/issuers/${checking}/users`, {
      body: { email: "b@example.com", password: breached },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "weak_password", rule: "check_breached" });
    const off = await newIssuer(api, "Trusts users", { password: { min_length: 12, check_breached: false } });
    await createUser(api, off, { email: "b@example.com", password: breached });
  });

  test("password history on change", async () => {
    const keeping = await newIssuer(api, "History", { password: { min_length: 12, history_count: 1 } });
    const { body } = await createUser(api, keeping, { email: "h@example.com", password: PASSWORD });
    const res = await api.request("PATCH", `/issuers/${keeping}/users/${body.id}`, { body: { password: PASSWORD } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "weak_password", rule: "history_count" });
  });

  test("password or temporary_password without its auth method: 400 auth_method_disabled", async () => {
    const bare = await newIssuer(api, "No methods", {});
    for (const [field, value] of [
      ["password", PASSWORD],
      ["temporary_password", true],
    ] as const) {
      const res = await api.request("POST", `/issuers/${bare}/users`, {
        body: { email: "x@example.com", [field]: value },
      });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: "auth_method_disabled", param: field });
    }
    await createUser(api, bare, { email: "x@example.com" });
  });

  test("temporary_password: true is generated with the method's length and returned once (not on replay)", async () => {
    const temp = await newIssuer(api, "Temporary", { temporary: { length: 24, ttl_seconds: 3600 } });
    const headers = { "idempotency-key": `temp-${Date.now()}` };
    const body = { email: "t@example.com", temporary_password: true };
    const res = await api.request("POST", `/issuers/${temp}/users`, { body, headers });
    expect(res.status).toBe(201);
    const generated = res.body.temporary_password as string;
    expect(generated).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(res.body.temporary_password_expires_at).toBe("2026-12-01T13:00:00.000Z");
    const got = await api.request("GET", `/issuers/${temp}/users/${res.body.id}`);
    expect(got.text).not.toContain(generated);
    expect(got.body).not.toHaveProperty("temporary_password");
    const replay = await api.request("POST", `/issuers/${temp}/users`, { body, headers });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body).toEqual({ ...res.body, temporary_password: null });
    expect(await api.services.users.verifyTemporaryPassword(temp, "t@example.com", generated)).not.toBeNull();
  });
});

describe("lists", () => {
  test("newest first, keyset; email (case-insensitive) and status filters", async () => {
    const pool = await newIssuer(api, "Listing", {});
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      now = new Date(now.getTime() + 1000);
      ids.push(
        (await createUser(api, pool, { email: `u${i}@example.com`, status: i % 2 ? "blocked" : "active" })).body.id,
      );
    }
    const page = await api.request("GET", `/issuers/${pool}/users?limit=2`);
    expect(page.body.data.map((u: { id: string }) => u.id)).toEqual([ids[4], ids[3]]);
    expect(page.body).toMatchObject({ has_more: true, next_cursor: ids[3] });
    const next = await api.request("GET", `/issuers/${pool}/users?limit=2&cursor=${ids[3]}`);
    expect(next.body.data.map((u: { id: string }) => u.id)).toEqual([ids[2], ids[1]]);
    const blocked = await api.request("GET", `/issuers/${pool}/users?status=blocked`);
    expect(blocked.body.data.map((u: { id: string }) => u.id)).toEqual([ids[3], ids[1]]);
    const byEmail = await api.request("GET", `/issuers/${pool}/users?email=U2@EXAMPLE.com`);
    expect(byEmail.body.data.map((u: { id: string }) => u.id)).toEqual([ids[2]]);
    const none = await api.request("GET", `/issuers/${pool}/users?email=u2@example.com&status=blocked`);
    expect(none.body.data).toEqual([]);
    const bad = await api.request("GET", `/issuers/${pool}/users?cursor=usr_01JDQ3S6A1B2C3D4E5F6G7H8J9`);
    expect(bad.body.error).toMatchObject({ code: "invalid_cursor", param: "cursor" });
    expect((await api.request("GET", `/issuers/${pool}/users?status=deleted`)).status).toBe(400);
  });
});

describe("blocking, factors, sessions", () => {
  test("block and unblock; remove a factor (204, ETag moves); sign out everywhere (204)", async () => {
    const { body, headers } = await createUser(api, issuer, { email: "ops@example.com" });
    const path = `/issuers/${issuer}/users/${body.id}`;
    const blocked = await api.request("PATCH", path, { body: { status: "blocked" } });
    expect(blocked.body.status).toBe("blocked");
    expect((await api.request("PATCH", path, { body: { status: "active" } })).body.status).toBe("active");

    const factorId = "fac_01JDQ3S6A1B2C3D4E5F6G7H8J9";
    await api.db.userFactor.create({
      data: { id: factorId, userId: body.id, type: "totp", name: "Phone", createdAt: now },
    });
    const before = await api.request("GET", path);
    expect(before.body.factors).toEqual([
      { id: factorId, type: "totp", name: "Phone", created_at: now.toISOString(), last_used_at: null },
    ]);
    const stale = await api.request("DELETE", `${path}/factors/${factorId}`, {
      headers: { "if-match": headers.get("etag") ?? "" },
    });
    expect(stale.status).toBe(412);
    expect((await api.request("DELETE", `${path}/factors/${factorId}`)).status).toBe(204);
    const after = await api.request("GET", path);
    expect(after.body.factors).toEqual([]);
    expect(after.headers.get("etag")).not.toBe(before.headers.get("etag"));
    for (const missing of [factorId, "fac_malformed"]) {
      const res = await api.request("DELETE", `${path}/factors/${missing}`);
      expect(res.status).toBe(404);
      expect(res.body.error).toMatchObject({ code: "resource_missing", param: "factor_id" });
    }
    expect((await api.request("DELETE", `${path}/sessions`)).status).toBe(204);
  });
});

describe("security", () => {
  let user: string;
  let theirIssuer: string;
  let theirUser: string;
  let sibling: string;

  beforeAll(async () => {
    user = (await createUser(api, issuer, { email: "sec@example.com" })).body.id;
    theirIssuer = await newIssuer(other, "Theirs", {});
    theirUser = (await createUser(other, theirIssuer, { email: "sec@example.com" })).body.id;
    sibling = await newIssuer(api, "Sibling", {});
  });

  const endpoints = (i: string, u: string) =>
    [
      ["GET", `/issuers/${i}/users`, undefined],
      ["POST", `/issuers/${i}/users`, { email: "probe@example.com" }],
      ["GET", `/issuers/${i}/users/${u}`, undefined],
      ["PATCH", `/issuers/${i}/users/${u}`, { name: "x" }],
      ["DELETE", `/issuers/${i}/users/${u}/factors/fac_01JDQ3S6A1B2C3D4E5F6G7H8J9`, undefined],
      ["DELETE", `/issuers/${i}/users/${u}/sessions`, undefined],
      ["DELETE", `/issuers/${i}/users/${u}`, undefined],
    ] as const;

  test("no API key: 401", async () => {
    for (const [method, path, body] of endpoints(issuer, user)) {
      const res = await api.request(method, path, { apiKey: null, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${path}`).toBe(401);
    }
  });

  test("another account's path: 403, and nothing changes", async () => {
    for (const [method, path, body] of endpoints(theirIssuer, theirUser)) {
      const res = await api.request(method, `/v1/accounts/${other.account.accountId}${path}`, body ? { body } : {});
      expect(res.status, `${method} ${path}`).toBe(403);
    }
    expect((await other.request("GET", `/issuers/${theirIssuer}/users/${theirUser}`)).status).toBe(200);
  });

  test("another account's or another issuer's user under my path: 404", async () => {
    for (const [i, u] of [
      [theirIssuer, theirUser],
      [issuer, theirUser],
      [sibling, user],
      [issuer, "usr_malformed"],
    ] as const) {
      for (const [method, path, body] of endpoints(i, u)) {
        if (i !== theirIssuer && path.endsWith("/users")) continue; // my own issuers' collections
        const res = await api.request(method, path, body ? { body } : {});
        expect(res.status, `${method} ${path}`).toBe(404);
      }
    }
    expect((await api.request("GET", `/issuers/${issuer}/users/${user}`)).status).toBe(200);
  });

  test("a deleted issuer's users answer 404 issuer_deleted", async () => {
    const doomed = await newIssuer(api, "Doomed", {});
    const u = (await createUser(api, doomed, { email: "d@example.com" })).body.id;
    await api.request("DELETE", `/issuers/${doomed}`);
    for (const [method, path, body] of endpoints(doomed, u)) {
      const res = await api.request(method, path, body ? { body } : {});
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe("issuer_deleted");
    }
  });
});

describe("hostile input", () => {
  test("odd bodies and queries get a 4xx in the contract's shape, never a 500", async () => {
    const cases: [string, string, unknown][] = [
      ["POST", `/issuers/${issuer}/users`, { email: "nul\u0000@example.com" }],
      ["POST", `/issuers/${issuer}/users`, { email: "a@example.com", metadata: { k: { nested: true } } }],
      ["POST", `/issuers/${issuer}/users`, { email: "a@example.com", password: "x".repeat(5000) }],
      ["POST", `/issuers/${issuer}/users`, { email: "a@example.com", temporary_password: false }],
      ["POST", `/issuers/${issuer}/users`, { email: ["a@example.com"] }],
      ["POST", `/issuers/${issuer}/users`, { email: "ünïcødé@exämple.com" }],
      ["GET", `/issuers/${issuer}/users?email=a@example.com&email=b@example.com`, undefined],
      ["GET", `/issuers/${issuer}/users?limit=1e2`, undefined],
      ["GET", `/issuers/${issuer}/users?email=${"a".repeat(300)}`, undefined],
      ["GET", `/issuers/${issuer}/users?cursor=${"usr_".padEnd(80, "Z")}`, undefined],
      ["PATCH", `/issuers/${issuer}/users/usr_${"0".repeat(26)}`, { name: "x" }],
      ["DELETE", `/issuers/${issuer}/users/usr_${"0".repeat(26)}/factors/${"%00"}`, undefined],
    ];
    for (const [method, path, body] of cases) {
      const res = await api.request(method, path, body === undefined ? {} : { body });
      expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${method} ${path}`).toBeLessThan(500);
      expect(res.body.error.request_id).toMatch(/^req_/);
    }
  });
});
