import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { dumpEveryRow } from "../database-dump.ts";
import { type ApiHarness, apiHarness } from "../harness.ts";
import { trpcHarness } from "../trpc-harness.ts";

let now = new Date("2026-12-01T12:00:00.000Z");
let api: ApiHarness;
let other: ApiHarness;
let issuer: string;

async function newIssuer(h: ApiHarness, name: string, body: Record<string, unknown> = {}): Promise<string> {
  const res = await h.request("POST", "/issuers", { body: { name, ...body } });
  expect(res.status).toBe(201);
  return res.body.id;
}

const web = { name: "Web app", application_type: "web" as const, redirect_uris: ["https://app.example.com/callback"] };
/** Every client secret any response carried, to search logs and the database for. */
const secrets: string[] = [];

async function createClient(h: ApiHarness, issuerId: string, body: Record<string, unknown> = web) {
  const res = await h.request("POST", `/issuers/${issuerId}/clients`, { body });
  expect(res.status, res.text).toBe(201);
  if (res.body.client_secret) secrets.push(res.body.client_secret);
  return res;
}

beforeAll(async () => {
  [api, other] = await Promise.all([apiHarness({ clock: () => now }), apiHarness()]);
  issuer = await newIssuer(api, "Clients", { available_scopes: ["openid", "profile", "email", "offline_access"] });
});
afterAll(async () => {
  const leaked = [...api.logLines, ...other.logLines].filter((line) => secrets.some((s) => line.includes(s)));
  expect(leaked).toEqual([]);
  await Promise.all([api.close(), other.close()]);
});

describe("create, read, update, delete", () => {
  test("POST 201: the client with its defaults, an ETag, and the secret at the top level", async () => {
    const res = await createClient(api, issuer);
    expect(res.headers.get("etag")).toMatch(/^"/);
    expect(res.body).toEqual({
      object: "client",
      id: expect.stringMatching(/^cli_[0-9A-HJKMNP-TV-Z]{26}$/),
      issuer_id: issuer,
      name: "Web app",
      description: null,
      application_type: "web",
      redirect_uris: ["https://app.example.com/callback"],
      post_logout_redirect_uris: [],
      allowed_origins: [],
      grant_types: ["authorization_code", "refresh_token"],
      token_endpoint_auth_method: "client_secret_basic",
      scopes: ["openid", "profile", "email", "offline_access"],
      access_token_ttl_seconds: 3600,
      id_token_ttl_seconds: 3600,
      client_secret_set: true,
      previous_secret_expires_at: null,
      metadata: {},
      created_at: "2026-12-01T12:00:00.000Z",
      updated_at: "2026-12-01T12:00:00.000Z",
      client_secret: expect.stringMatching(/^cs_[0-9A-Za-z]{43}$/),
    });
  });

  test("GET, list and PATCH never carry the secret; the ETag moves with each write", async () => {
    const created = await createClient(api, issuer);
    const secret = created.body.client_secret as string;
    const path = `/issuers/${issuer}/clients/${created.body.id}`;
    const got = await api.request("GET", path);
    expect(got.status).toBe(200);
    expect(got.headers.get("etag")).toBe(created.headers.get("etag"));
    expect(got.body).not.toHaveProperty("client_secret");
    expect(got.text).not.toContain(secret);
    const { client_secret: _, ...withoutSecret } = created.body;
    expect(got.body).toEqual(withoutSecret);
    expect(
      (await api.request("GET", path, { headers: { "if-none-match": got.headers.get("etag") ?? "" } })).status,
    ).toBe(304);

    const list = await api.request("GET", `/issuers/${issuer}/clients`);
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(secret);
    expect(list.body.data.map((c: { id: string }) => c.id)).toContain(created.body.id);

    const patched = await api.request("PATCH", path, {
      body: {
        name: "Renamed",
        redirect_uris: ["https://app.example.com/cb2"],
        post_logout_redirect_uris: ["https://app.example.com/"],
        token_endpoint_auth_method: "client_secret_post",
        metadata: { team: "web" },
      },
      headers: { "if-match": got.headers.get("etag") ?? "" },
    });
    expect(patched.status).toBe(200);
    expect(patched.text).not.toContain(secret);
    expect(patched.body).not.toHaveProperty("client_secret");
    expect(patched.body).toMatchObject({
      name: "Renamed",
      redirect_uris: ["https://app.example.com/cb2"],
      post_logout_redirect_uris: ["https://app.example.com/"],
      token_endpoint_auth_method: "client_secret_post",
      client_secret_set: true,
      metadata: { team: "web" },
    });
    expect(patched.headers.get("etag")).not.toBe(got.headers.get("etag"));
    // The secret survives edits.
    expect(await api.services.clients.verifySecret(issuer, created.body.id, secret)).toBe(true);

    const stale = await api.request("PATCH", path, {
      body: { name: "Lost update" },
      headers: { "if-match": got.headers.get("etag") ?? "" },
    });
    expect(stale.status).toBe(412);
    expect(stale.body.error).toMatchObject({ code: "precondition_failed", current_etag: patched.headers.get("etag") });
  });

  test("DELETE 204 is permanent: the client is gone and its secret stops working", async () => {
    const created = await createClient(api, issuer);
    const path = `/issuers/${issuer}/clients/${created.body.id}`;
    expect((await api.request("DELETE", path, { headers: { "if-match": '"stale"' } })).status).toBe(412);
    expect((await api.request("DELETE", path)).status).toBe(204);
    const gone = await api.request("GET", path);
    expect(gone.status).toBe(404);
    expect(gone.body.error).toMatchObject({ code: "resource_missing", param: "client_id" });
    expect((await api.request("DELETE", path)).status).toBe(404);
    expect(await api.services.clients.verifySecret(issuer, created.body.id, created.body.client_secret)).toBe(false);
  });

  test("public clients (spa, native) have no secret; machine clients use client_credentials", async () => {
    const spa = await createClient(api, issuer, {
      name: "SPA",
      application_type: "spa",
      redirect_uris: ["http://localhost:5173/callback"],
      allowed_origins: ["http://localhost:5173"],
    });
    expect(spa.body).toMatchObject({
      token_endpoint_auth_method: "none",
      client_secret_set: false,
      client_secret: null,
    });
    const native = await createClient(api, issuer, {
      name: "Mobile",
      application_type: "native",
      redirect_uris: ["com.example.app:/oauth2redirect", "http://127.0.0.1/callback"],
    });
    expect(native.body).toMatchObject({ client_secret_set: false, client_secret: null });
    const rotate = await api.request("POST", `/issuers/${issuer}/clients/${native.body.id}/rotate-secret`, {
      body: {},
    });
    expect(rotate.status).toBe(400);
    expect(rotate.body.error.code).toBe("public_client");
    const machine = await createClient(api, issuer, { name: "Cron", application_type: "machine" });
    expect(machine.body).toMatchObject({
      grant_types: ["client_credentials"],
      redirect_uris: [],
      token_endpoint_auth_method: "client_secret_basic",
      client_secret_set: true,
    });
  });
});

describe("validation", () => {
  test.each([
    [{ ...web, application_type: "machine" }, "redirect_uris", "validation_failed"],
    [{ ...web, token_endpoint_auth_method: "none" }, "token_endpoint_auth_method", "validation_failed"],
    [
      { ...web, application_type: "spa", token_endpoint_auth_method: "client_secret_post" },
      "token_endpoint_auth_method",
      "validation_failed",
    ],
    [{ ...web, grant_types: ["client_credentials"] }, "grant_types[0]", "validation_failed"],
    [{ ...web, redirect_uris: [] }, "redirect_uris", "validation_failed"],
    [{ ...web, redirect_uris: ["http://app.example.com/cb"] }, "redirect_uris[0]", "validation_failed"],
    [{ ...web, redirect_uris: ["https://app.example.com/cb#x"] }, "redirect_uris[0]", "validation_failed"],
    [
      { ...web, application_type: "native", redirect_uris: ["https://app.example.com/cb"] },
      "redirect_uris[0]",
      "validation_failed",
    ],
    [{ ...web, scopes: ["openid", "admin"] }, "scopes[1]", "validation_failed"],
    [{ ...web, access_token_ttl_seconds: 30 }, "access_token_ttl_seconds", "validation_failed"],
    [{ ...web, id_token_ttl_seconds: 100_000 }, "id_token_ttl_seconds", "validation_failed"],
    [{ ...web, client_secret: "cs_chosen_by_me" }, "client_secret", "validation_failed"],
    [{ ...web, name: "" }, "name", "validation_failed"],
    [{ name: "No type" }, "application_type", "validation_failed"],
  ])("POST %j → 400 %s", async (body, param, code) => {
    const res = await api.request("POST", `/issuers/${issuer}/clients`, { body });
    expect(res.status, res.text).toBe(400);
    expect(res.body.error).toMatchObject({ type: "invalid_request_error", code, param });
  });

  test("application_type cannot change (400 immutable_field), and a PATCH is checked whole", async () => {
    const { body } = await createClient(api, issuer);
    const path = `/issuers/${issuer}/clients/${body.id}`;
    for (const application_type of ["spa", "web"]) {
      const res = await api.request("PATCH", path, { body: { application_type } });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: "immutable_field", param: "application_type" });
    }
    const empty = await api.request("PATCH", path, { body: { redirect_uris: [] } });
    expect(empty.body.error).toMatchObject({ code: "validation_failed", param: "redirect_uris" });
    const unknown = await api.request("PATCH", path, { body: { client_secret_set: false } });
    expect(unknown.body.error).toMatchObject({ code: "validation_failed", param: "client_secret_set" });
  });

  test("rotate-secret validates its grace period", async () => {
    const { body } = await createClient(api, issuer);
    for (const value of [-1, 604_801, 1.5, "60"]) {
      const res = await api.request("POST", `/issuers/${issuer}/clients/${body.id}/rotate-secret`, {
        body: { previous_secret_expires_in_seconds: value },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.param).toBe("previous_secret_expires_in_seconds");
    }
  });
});

describe("the secret", () => {
  test("rotation: the new secret once; both work during the grace period, only the new one after", async () => {
    const created = await createClient(api, issuer);
    const old = created.body.client_secret as string;
    const res = await api.request("POST", `/issuers/${issuer}/clients/${created.body.id}/rotate-secret`, {
      body: { previous_secret_expires_in_seconds: 600 },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).not.toBe(created.headers.get("etag"));
    const fresh = res.body.client_secret as string;
    secrets.push(fresh);
    expect(fresh).toMatch(/^cs_/);
    expect(fresh).not.toBe(old);
    expect(res.body.previous_secret_expires_at).toBe("2026-12-01T12:10:00.000Z");
    const got = await api.request("GET", `/issuers/${issuer}/clients/${created.body.id}`);
    expect(got.text).not.toContain(fresh);
    expect(got.body.previous_secret_expires_at).toBe("2026-12-01T12:10:00.000Z");

    const check = (secret: string) => api.services.clients.verifySecret(issuer, created.body.id, secret);
    expect([await check(old), await check(fresh)]).toEqual([true, true]);
    const start = now;
    now = new Date(start.getTime() + 600_000);
    try {
      expect([await check(old), await check(fresh)]).toEqual([false, true]);
    } finally {
      now = start;
    }
  });

  test("an idempotent replay of the 201 answers the same body with client_secret null", async () => {
    const headers = { "idempotency-key": `create-client-${Date.now()}` };
    const first = await api.request("POST", `/issuers/${issuer}/clients`, { body: web, headers });
    expect(first.status).toBe(201);
    secrets.push(first.body.client_secret);
    const replay = await api.request("POST", `/issuers/${issuer}/clients`, { body: web, headers });
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.headers.get("etag")).toBe(first.headers.get("etag"));
    expect(replay.body).toEqual({ ...first.body, client_secret: null });
    expect(replay.text).not.toContain(first.body.client_secret);

    const rotateHeaders = { "idempotency-key": `rotate-${Date.now()}` };
    const rotatePath = `/issuers/${issuer}/clients/${first.body.id}/rotate-secret`;
    const rotated = await api.request("POST", rotatePath, { body: {}, headers: rotateHeaders });
    secrets.push(rotated.body.client_secret);
    const again = await api.request("POST", rotatePath, { body: {}, headers: rotateHeaders });
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual({ ...rotated.body, client_secret: null });
    // A replay rotates nothing: the secret of the first answer still works.
    expect(await api.services.clients.verifySecret(issuer, first.body.id, rotated.body.client_secret)).toBe(true);
  });

  test("tRPC: the create answer carries the secret, get and list never do", async () => {
    const t = await trpcHarness();
    try {
      const client = t.client(() => ({ authorization: `Bearer ${t.account.apiKey}` }));
      const issuerId = (await client.issuers.create.mutate({ body: { name: "tRPC" } })).value.id;
      const created = await client.clients.create.mutate({ issuerId, body: web });
      const secret = created.value.client_secret as string;
      secrets.push(secret);
      expect(secret).toMatch(/^cs_/);
      const got = await client.clients.get.query({ issuerId, id: created.value.id });
      expect(JSON.stringify(got)).not.toContain(secret);
      const list = await client.clients.list.query({ issuerId });
      expect(JSON.stringify(list)).not.toContain(secret);
      const updated = await client.clients.update.mutate({ issuerId, id: created.value.id, patch: { name: "N" } });
      expect(JSON.stringify(updated)).not.toContain(secret);
    } finally {
      await t.close();
    }
  });

  test("no database column holds a secret in clear (every row of every table, as a data-only dump has them)", async () => {
    expect(secrets.length).toBeGreaterThan(3);
    const dump = (await dumpEveryRow(api.db)).map(({ row }) => row).join("\n");
    expect(dump).toContain(issuer);
    for (const secret of secrets) expect(dump).not.toContain(secret);
    // Not even the random part (a column could have dropped the prefix).
    for (const secret of secrets) expect(dump).not.toContain(secret.slice(3));
  });
});

describe("lists", () => {
  test("newest first with keyset pagination; a cursor from elsewhere is 400 invalid_cursor", async () => {
    const own = await newIssuer(api, "Paging");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      now = new Date(now.getTime() + 1000);
      ids.push((await createClient(api, own, { ...web, name: `C${i}` })).body.id);
    }
    const first = await api.request("GET", `/issuers/${own}/clients?limit=2`);
    expect(first.body).toMatchObject({ object: "list", has_more: true, next_cursor: ids[3] });
    expect(first.body.data.map((c: { id: string }) => c.id)).toEqual([ids[4], ids[3]]);
    const second = await api.request("GET", `/issuers/${own}/clients?limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body.data.map((c: { id: string }) => c.id)).toEqual([ids[2], ids[1]]);
    const last = await api.request("GET", `/issuers/${own}/clients?limit=2&cursor=${second.body.next_cursor}`);
    expect(last.body).toMatchObject({ has_more: false, next_cursor: null });
    expect(last.body.data.map((c: { id: string }) => c.id)).toEqual([ids[0]]);
    const elsewhere = (await createClient(api, issuer)).body.id;
    for (const cursor of [elsewhere, "cli_nope", "iss_01JDQ3S6A1B2C3D4E5F6G7H8J9"]) {
      const bad = await api.request("GET", `/issuers/${own}/clients?cursor=${cursor}`);
      expect(bad.status).toBe(400);
      expect(bad.body.error).toMatchObject({ code: "invalid_cursor", param: "cursor" });
    }
    for (const limit of ["0", "101", "x"]) {
      expect((await api.request("GET", `/issuers/${own}/clients?limit=${limit}`)).status).toBe(400);
    }
  });
});

describe("security", () => {
  let client: string;
  let theirIssuer: string;
  let theirClient: string;
  let otherIssuer: string;

  beforeAll(async () => {
    client = (await createClient(api, issuer)).body.id;
    theirIssuer = await newIssuer(other, "Theirs");
    theirClient = (await createClient(other, theirIssuer)).body.id;
    otherIssuer = await newIssuer(api, "Sibling");
  });

  const endpoints = (i: string, c: string) =>
    [
      ["GET", `/issuers/${i}/clients`, undefined],
      ["POST", `/issuers/${i}/clients`, web],
      ["GET", `/issuers/${i}/clients/${c}`, undefined],
      ["PATCH", `/issuers/${i}/clients/${c}`, { name: "x" }],
      ["DELETE", `/issuers/${i}/clients/${c}`, undefined],
      ["POST", `/issuers/${i}/clients/${c}/rotate-secret`, {}],
    ] as const;

  test("no API key: 401; a revoked or unknown key: 401", async () => {
    for (const [method, path, body] of endpoints(issuer, client)) {
      for (const apiKey of [null, "sk_unknown0000000000000000000000000000000000000"]) {
        const res = await api.request(method, path, { apiKey, ...(body ? { body } : {}) });
        expect(res.status, `${method} ${path}`).toBe(401);
      }
    }
  });

  test("another account's path: 403 on every endpoint, and nothing changes", async () => {
    for (const [method, path, body] of endpoints(theirIssuer, theirClient)) {
      const res = await api.request(method, `/v1/accounts/${other.account.accountId}${path}`, body ? { body } : {});
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.error.code).toBe("account_mismatch");
    }
    expect((await other.request("GET", `/issuers/${theirIssuer}/clients/${theirClient}`)).body.name).toBe("Web app");
  });

  test("another account's issuer or client, or another issuer's client, under my path: 404", async () => {
    for (const [i, c] of [
      [theirIssuer, theirClient],
      [issuer, theirClient],
      [otherIssuer, client],
      [issuer, "cli_malformed"],
      ["iss_malformed", client],
    ] as const) {
      for (const [method, path, body] of endpoints(i, c)) {
        if (i === issuer && path.endsWith("/clients")) continue; // my own issuer's collection
        if (i === otherIssuer && path.endsWith("/clients")) continue;
        const res = await api.request(method, path, body ? { body } : {});
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(res.body.error.type).toBe("not_found_error");
      }
    }
    expect((await api.request("GET", `/issuers/${issuer}/clients/${client}`)).status).toBe(200);
  });

  test("a deleted issuer's clients answer 404 issuer_deleted until it is restored", async () => {
    const doomed = await newIssuer(api, "Doomed");
    const c = (await createClient(api, doomed)).body.id;
    expect((await api.request("DELETE", `/issuers/${doomed}`)).status).toBe(204);
    for (const [method, path, body] of endpoints(doomed, c)) {
      const res = await api.request(method, path, body ? { body } : {});
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error).toMatchObject({ code: "issuer_deleted", param: "issuer_id" });
    }
    expect(await api.services.clients.findForProvider(doomed, c)).not.toBeNull();
    await api.request("PATCH", `/issuers/${doomed}`, { body: { status: "active" } });
    expect((await api.request("GET", `/issuers/${doomed}/clients/${c}`)).status).toBe(200);
  });
});

describe("hostile input", () => {
  test("odd bodies get a 4xx in the contract's shape, never a 500", async () => {
    const cases: unknown[] = [
      { ...web, name: "nul\u0000" },
      { ...web, redirect_uris: ["https://a.example.com/\u0000"] },
      { ...web, redirect_uris: "https://a.example.com/cb" },
      { ...web, redirect_uris: [42] },
      { ...web, redirect_uris: ["https://"] },
      { ...web, redirect_uris: ["javascript:alert(1)"] },
      { ...web, application_type: "native", redirect_uris: ["data:text/html,x"] },
      { ...web, grant_types: ["implicit"] },
      { ...web, grant_types: ["authorization_code", "authorization_code"] },
      { ...web, metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, "v"])) },
      { ...web, scopes: ["open id"] },
      { ...web, access_token_ttl_seconds: "3600" },
    ];
    for (const body of cases) {
      const res = await api.request("POST", `/issuers/${issuer}/clients`, { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.request_id).toMatch(/^req_/);
    }
  });
});
