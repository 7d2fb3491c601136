import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type ApiHarness, apiHarness } from "../harness.ts";

let api: ApiHarness;
let other: ApiHarness;
let mine: string;
let theirs: string;

beforeAll(async () => {
  [api, other] = await Promise.all([apiHarness(), apiHarness()]);
  mine = (await api.request("POST", "/issuers", { body: { name: "Mine" } })).body.id;
  theirs = (await other.request("POST", "/issuers", { body: { name: "Theirs" } })).body.id;
});
afterAll(async () => {
  await Promise.all([api.close(), other.close()]);
});

const endpoints = (id: () => string) =>
  [
    ["GET", "/issuers", undefined],
    ["POST", "/issuers", { name: "x" }],
    ["GET", `/issuers/${id()}`, undefined],
    ["PATCH", `/issuers/${id()}`, { name: "x" }],
    ["DELETE", `/issuers/${id()}`, undefined],
  ] as const;

describe("authentication", () => {
  test("no key: 401 authentication_error with WWW-Authenticate: Bearer on every endpoint", async () => {
    for (const [method, path, body] of endpoints(() => mine)) {
      const res = await api.request(method, path, { apiKey: null, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(res.body.error).toMatchObject({ type: "authentication_error", code: "missing_api_key" });
      expect(res.body.error.request_id).toBe(res.headers.get("request-id"));
    }
  });

  test.each([
    ["an unknown key", `sk_${"A".repeat(43)}`],
    ["a malformed key", "not-a-key"],
    ["a key with SQL in it", "sk_' OR '1'='1"],
  ])("%s: 401 invalid_api_key", async (_label, key) => {
    const res = await api.request("GET", "/issuers", { apiKey: key });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(res.body.error).toMatchObject({ type: "authentication_error", code: "invalid_api_key" });
    expect(res.text).not.toContain(key);
  });

  test.each(["Basic dXNlcjpwYXNz", "Bearer", "Token sk_abc", "Bearer a b"])(
    "Authorization: %s is 401",
    async (header) => {
      const res = await api.request("GET", "/issuers", { apiKey: null, headers: { authorization: header } });
      expect(res.status).toBe(401);
      expect(res.body.error.type).toBe("authentication_error");
    },
  );

  test("the Bearer scheme is case-insensitive", async () => {
    const res = await api.request("GET", "/issuers", {
      apiKey: null,
      headers: { authorization: `bearer ${api.account.apiKey}` },
    });
    expect(res.status).toBe(200);
  });

  test("a revoked key is 401 at once", async () => {
    const { apiKey, secret } = await api.services.apiKeys.create(api.account.accountId, "to revoke");
    expect((await api.request("GET", "/issuers", { apiKey: secret })).status).toBe(200);
    await api.services.apiKeys.revoke(api.account.accountId, apiKey.id);
    const res = await api.request("GET", "/issuers", { apiKey: secret });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("invalid_api_key");
  });

  test("records when a key was last used", async () => {
    const { apiKey, secret } = await api.services.apiKeys.create(api.account.accountId, "usage");
    expect(apiKey.last_used_at).toBeNull();
    await api.request("GET", "/issuers", { apiKey: secret });
    await expect
      .poll(
        async () =>
          (await api.services.apiKeys.list(api.account.accountId)).find((k) => k.id === apiKey.id)?.last_used_at,
      )
      .not.toBeNull();
  });
});

describe("authorization", () => {
  test("my key on another account's path is 403 on every endpoint, whether that account exists or not", async () => {
    for (const account of [other.account.accountId, "acct_01M8FNXRDG6PFQ1QYSHA3R8PXW", "acct_garbage"]) {
      for (const [method, path, body] of endpoints(() => theirs)) {
        const res = await api.request(method, `/v1/accounts/${account}${path}`, body ? { body } : {});
        expect(res.status, `${method} ${account}${path}`).toBe(403);
        expect(res.body.error).toMatchObject({ type: "permission_error", code: "account_mismatch" });
      }
    }
    expect((await other.request("GET", `/issuers/${theirs}`)).body.name).toBe("Theirs");
  });

  test("another account's issuer id under my path is 404 and untouched", async () => {
    for (const [method, path, body] of endpoints(() => theirs).slice(2)) {
      const res = await api.request(method, path, body ? { body } : {});
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.type).toBe("not_found_error");
    }
    const still = await other.request("GET", `/issuers/${theirs}`);
    expect(still.body).toMatchObject({ name: "Theirs", status: "active" });
  });

  test("error responses never echo the API key", async () => {
    const res = await api.request("POST", "/issuers", { body: { name: 1 } });
    expect(res.text).not.toContain(api.account.apiKey);
    expect(res.headers.get("request-id")).toBeTruthy();
  });
});
