import { exampleAuthMethodBody } from "@authpi/domain";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { ApiHarness } from "../harness.ts";
import { authMethodHarness, newIssuer } from "./auth-method-fixtures.ts";

let api: ApiHarness;
let other: ApiHarness;
let issuerA: string;
let issuerB: string;
let theirIssuer: string;
let methodA: string;
let theirMethod: string;

beforeAll(async () => {
  [api, other] = await Promise.all([authMethodHarness(), authMethodHarness()]);
  issuerA = await newIssuer(api, "A");
  issuerB = await newIssuer(api, "B");
  theirIssuer = await newIssuer(other, "Theirs");
  methodA = (await api.request("POST", `/issuers/${issuerA}/auth-methods`, { body: exampleAuthMethodBody("github") }))
    .body.id;
  theirMethod = (
    await other.request("POST", `/issuers/${theirIssuer}/auth-methods`, { body: exampleAuthMethodBody("github") })
  ).body.id;
});
afterAll(async () => {
  await Promise.all([api.close(), other.close()]);
});

const endpoints = (issuer: string, method: string) =>
  [
    ["GET", `/issuers/${issuer}/auth-methods`, undefined],
    ["POST", `/issuers/${issuer}/auth-methods`, exampleAuthMethodBody("oidc", "Probe")],
    ["GET", `/issuers/${issuer}/auth-methods/${method}`, undefined],
    ["PATCH", `/issuers/${issuer}/auth-methods/${method}`, { featured: true }],
    ["DELETE", `/issuers/${issuer}/auth-methods/${method}`, undefined],
  ] as const;

describe("authentication and tenancy", () => {
  test("no API key: 401 on every auth method endpoint", async () => {
    for (const [method, path, body] of endpoints(issuerA, methodA)) {
      const res = await api.request(method, path, { apiKey: null, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    }
  });

  test("another account's path (its issuer and method): 403 on every endpoint, and nothing changes", async () => {
    const before = await other.request("GET", `/issuers/${theirIssuer}/auth-methods/${theirMethod}`);
    for (const [method, path, body] of endpoints(theirIssuer, theirMethod)) {
      const url = `/v1/accounts/${other.account.accountId}${path}`;
      const res = await api.request(method, url, body ? { body } : {});
      expect(res.status, `${method} ${url}`).toBe(403);
      expect(res.body.error).toMatchObject({ type: "permission_error", code: "account_mismatch" });
    }
    const after = await other.request("GET", `/issuers/${theirIssuer}/auth-methods/${theirMethod}`);
    expect(after.body).toEqual(before.body);
    expect((await other.request("GET", `/issuers/${theirIssuer}/auth-methods`)).body.data).toHaveLength(1);
  });

  test("another account's issuer under my own account path: 404, as if it did not exist", async () => {
    for (const [method, path, body] of endpoints(theirIssuer, theirMethod)) {
      const res = await api.request(method, path, body ? { body } : {});
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error).toMatchObject({ code: "resource_missing", param: "issuer_id" });
    }
  });

  test("a method of another issuer (same account) is 404 under this issuer's path", async () => {
    for (const [method, path, body] of endpoints(issuerB, methodA).slice(2)) {
      const res = await api.request(method, path, body ? { body } : {});
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error).toMatchObject({ code: "resource_missing", param: "method_id" });
    }
    expect((await api.request("GET", `/issuers/${issuerA}/auth-methods/${methodA}`)).status).toBe(200);
  });

  test.each([
    "am_nope",
    "am_01JD0000000000000000000000",
    "iss_01JD0000000000000000000000",
    "%27%20OR%201%3D1",
    "A".repeat(300),
  ])("a malformed or unknown method id %s is 404", async (id) => {
    const res = await api.request("GET", `/issuers/${issuerA}/auth-methods/${id}`);
    expect(res.status).toBe(404);
    expect(res.body.error.type).toBe("not_found_error");
  });

  test("an unknown or malformed issuer id is 404", async () => {
    for (const id of ["iss_01JD0000000000000000000000", "nope"]) {
      const res = await api.request("GET", `/issuers/${id}/auth-methods`);
      expect(res.status).toBe(404);
      expect(res.body.error).toMatchObject({ code: "resource_missing", param: "issuer_id" });
    }
  });
});

describe("a soft-deleted issuer", () => {
  test("its auth method endpoints answer 404 issuer_deleted, and the methods come back on restore", async () => {
    const issuer = await newIssuer(api, "Soon deleted");
    const base = `/issuers/${issuer}/auth-methods`;
    const created = await api.request("POST", base, { body: exampleAuthMethodBody("password") });
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    expect((await api.request("DELETE", `/issuers/${issuer}`)).status).toBe(204);
    for (const [method, path, body] of endpoints(issuer, id)) {
      const res = await api.request(method, path, body ? { body } : {});
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error).toMatchObject({ type: "not_found_error", code: "issuer_deleted", param: "issuer_id" });
    }

    const restored = await api.request("PATCH", `/issuers/${issuer}`, { body: { status: "active" } });
    expect(restored.status).toBe(200);
    const got = await api.request("GET", `${base}/${id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);
    const list = await api.request("GET", base);
    expect(list.body.data).toEqual([created.body]);
    // Nothing was created or deleted while the issuer was deleted.
    expect((await api.request("DELETE", `${base}/${id}`)).status).toBe(204);
  });

  test("purging the issuer removes its auth methods with it", async () => {
    const issuer = await newIssuer(api, "Purged");
    const created = await api.request("POST", `/issuers/${issuer}/auth-methods`, {
      body: exampleAuthMethodBody("totp"),
    });
    expect((await api.request("DELETE", `/issuers/${issuer}`)).status).toBe(204);
    const purged = await api.services.issuers.purgeExpired(new Date(Date.now() + 400 * 86_400_000), {
      accountId: api.account.accountId,
    });
    // The account's only deleted issuer: the one of the test above was restored.
    expect(purged).toBe(1);
    expect(await api.db.issuer.findUnique({ where: { id: issuer } })).toBeNull();
    expect(await api.db.authMethod.findUnique({ where: { id: created.body.id } })).toBeNull();
    expect((await api.request("GET", `/issuers/${issuer}/auth-methods`)).status).toBe(404);
  });
});
