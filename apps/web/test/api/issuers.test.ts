import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type ApiHarness, apiHarness } from "../harness.ts";

let api: ApiHarness;
beforeAll(async () => {
  api = await apiHarness();
});
afterAll(() => api.close());

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

async function createIssuer(body: Record<string, unknown> = { name: "Production" }) {
  const res = await api.request("POST", "/issuers", { body });
  expect(res.status).toBe(201);
  return res;
}

describe("POST /issuers", () => {
  test("creates an issuer with every default of the contract filled in", async () => {
    const res = await createIssuer({ name: "  Production  " });
    expect(res.headers.get("etag")).toMatch(/^"[^"]+"$/);
    expect(res.headers.get("request-id")).toMatch(/^req_[0-9A-Z]{26}$/);
    expect(res.body).toEqual({
      object: "issuer",
      id: expect.stringMatching(/^iss_[0-9A-Z]{26}$/),
      account_id: api.account.accountId,
      name: "Production",
      description: null,
      links: { homepage: null, privacy_policy: null, terms_of_service: null, support: null },
      available_scopes: ["openid", "profile", "email"],
      status: "active",
      settings: {
        signup: { mode: "open", allowed_email_domains: [], require_email_verification: true },
        session: {
          lifetime_seconds: 1209600,
          idle_timeout_seconds: 86400,
          refresh_token_rotation: true,
          refresh_token_reuse_detection: true,
        },
        mfa: { policy: "optional", remember_device_days: 30 },
        branding: { display_name: null, logo_url: null, primary_color: null },
      },
      metadata: {},
      created_at: expect.stringMatching(ISO_MS),
      updated_at: expect.stringMatching(ISO_MS),
      deleted_at: null,
      purge_after: null,
      issuer_url: `http://localhost:3000/oidc/${res.body.id}`,
    });
    expect(res.body.created_at).toBe(res.body.updated_at);
  });

  test("accepts every configurable field", async () => {
    const body = {
      name: "Staging",
      description: "**Staging** tenant",
      links: { homepage: "https://example.com", support: "https://example.com/help" },
      available_scopes: ["openid", "offline_access", "read:users"],
      status: "disabled",
      settings: {
        signup: { mode: "invite_only", allowed_email_domains: ["Example.com"] },
        session: { lifetime_seconds: 7200, idle_timeout_seconds: null },
        mfa: { policy: "required", remember_device_days: 0 },
        branding: { display_name: "Acme", logo_url: "https://cdn.example.com/logo.png", primary_color: "#1A2b3C" },
      },
      metadata: { env: "staging", team: "identity" },
    };
    const res = await createIssuer(body);
    expect(res.body).toMatchObject({
      name: "Staging",
      description: "**Staging** tenant",
      links: {
        homepage: "https://example.com",
        privacy_policy: null,
        terms_of_service: null,
        support: "https://example.com/help",
      },
      available_scopes: ["openid", "offline_access", "read:users"],
      status: "disabled",
      metadata: { env: "staging", team: "identity" },
    });
    expect(res.body.settings.signup).toEqual({
      mode: "invite_only",
      allowed_email_domains: ["example.com"],
      require_email_verification: true,
    });
    expect(res.body.settings.session).toEqual({
      lifetime_seconds: 7200,
      idle_timeout_seconds: null,
      refresh_token_rotation: true,
      refresh_token_reuse_detection: true,
    });
    expect(res.body.settings.branding.primary_color).toBe("#1A2b3C");
  });

  test.each(
    (
      [
        [{}, "name", "Required"],
        [{ name: "" }, "name"],
        [{ name: "   " }, "name"],
        [{ name: "x".repeat(101) }, "name"],
        [{ name: 42 }, "name"],
        [{ name: "ok", description: "x".repeat(2001) }, "description"],
        [{ name: "ok", links: { homepage: "http://example.com" } }, "links.homepage"],
        [{ name: "ok", links: { homepage: "javascript:alert(1)" } }, "links.homepage"],
        [{ name: "ok", links: { blog: "https://example.com" } }, "links.blog", "Unknown field"],
        [{ name: "ok", links: { homepage: `https://example.com/${"a".repeat(2048)}` } }, "links.homepage"],
        [{ name: "ok", available_scopes: ["openid", "openid"] }, "available_scopes"],
        [{ name: "ok", available_scopes: ["has space"] }, "available_scopes[0]"],
        [{ name: "ok", available_scopes: ['quo"te'] }, "available_scopes[0]"],
        [{ name: "ok", available_scopes: ["x".repeat(129)] }, "available_scopes[0]"],
        [{ name: "ok", available_scopes: Array.from({ length: 101 }, (_, i) => `s${i}`) }, "available_scopes"],
        [{ name: "ok", status: "paused" }, "status"],
        [{ name: "ok", metadata: { k: 1 } }, "metadata.k"],
        [{ name: "ok", metadata: { ["k".repeat(41)]: "v" } }, `metadata.${"k".repeat(41)}`],
        [{ name: "ok", metadata: { k: "v".repeat(501) } }, "metadata.k"],
        [
          { name: "ok", metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, "v"])) },
          "metadata",
        ],
        [{ name: "ok", settings: { signup: { mode: "sometimes" } } }, "settings.signup.mode"],
        [
          { name: "ok", settings: { signup: { allowed_email_domains: ["not a domain"] } } },
          "settings.signup.allowed_email_domains[0]",
        ],
        [{ name: "ok", settings: { session: { lifetime_seconds: 299 } } }, "settings.session.lifetime_seconds"],
        [{ name: "ok", settings: { session: { lifetime_seconds: 31536001 } } }, "settings.session.lifetime_seconds"],
        [{ name: "ok", settings: { session: { lifetime_seconds: 1.5 } } }, "settings.session.lifetime_seconds"],
        [{ name: "ok", settings: { session: { idle_timeout_seconds: 59 } } }, "settings.session.idle_timeout_seconds"],
        [
          { name: "ok", settings: { session: { lifetime_seconds: 600, idle_timeout_seconds: 601 } } },
          "settings.session.idle_timeout_seconds",
        ],
        [{ name: "ok", settings: { mfa: { policy: "always" } } }, "settings.mfa.policy"],
        [{ name: "ok", settings: { mfa: { remember_device_days: 366 } } }, "settings.mfa.remember_device_days"],
        [{ name: "ok", settings: { branding: { primary_color: "red" } } }, "settings.branding.primary_color"],
        [{ name: "ok", settings: { branding: { logo_url: "ftp://x.example" } } }, "settings.branding.logo_url"],
        [{ name: "ok", settings: { branding: { display_name: "x".repeat(101) } } }, "settings.branding.display_name"],
        [{ name: "ok", settings: { theme: {} } }, "settings.theme", "Unknown field"],
        [{ name: "ok", settings: { session: { lifetime: 600 } } }, "settings.session.lifetime", "Unknown field"],
        [{ name: "ok", id: "iss_01ABC" }, "id", "Unknown field"],
      ] as [Record<string, unknown>, string, string?][]
    ).map(([body, param, message]) => ({ body, param, message })),
  )("400 validation_failed naming $param", async ({ body, param, message }) => {
    const res = await api.request("POST", "/issuers", { body });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      type: "invalid_request_error",
      code: "validation_failed",
      param,
      request_id: res.headers.get("request-id"),
    });
    expect(res.body.error.message).toContain(param);
    expect(res.body.error.details[0].param).toBe(param);
    if (message) expect(res.body.error.details[0].message).toBe(message);
  });

  test("422 use_delete_endpoint when status: deleted is sent", async () => {
    const res = await api.request("POST", "/issuers", { body: { name: "x", status: "deleted" } });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({
      type: "invalid_request_error",
      code: "use_delete_endpoint",
      param: "status",
    });
  });

  test("400 invalid_json, 415 for other media types, 413 over 100 KB", async () => {
    const bad = await api.request("POST", "/issuers", {
      rawBody: '{"name": ',
      headers: { "content-type": "application/json" },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("invalid_json");

    const array = await api.request("POST", "/issuers", {
      rawBody: "[]",
      headers: { "content-type": "application/json" },
    });
    expect(array.status).toBe(400);
    expect(array.body.error.code).toBe("invalid_json");

    const form = await api.request("POST", "/issuers", {
      rawBody: "name=x",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(415);
    expect(form.body.error).toMatchObject({ type: "invalid_request_error", code: "unsupported_media_type" });

    const none = await api.request("POST", "/issuers", { rawBody: '{"name":"x"}' });
    expect(none.status).toBe(415);

    const charset = await api.request("POST", "/issuers", {
      rawBody: '{"name":"charset"}',
      headers: { "content-type": "application/json; charset=utf-8" },
    });
    expect(charset.status).toBe(201);

    const big = await api.request("POST", "/issuers", { body: { name: "x", description: "y".repeat(101 * 1024) } });
    expect(big.status).toBe(413);
    expect(big.body.error).toMatchObject({ type: "invalid_request_error", code: "body_too_large" });
  });
});

describe("GET /issuers/{id}", () => {
  test("returns the issuer with its ETag, and 304 for a matching If-None-Match", async () => {
    const created = await createIssuer();
    const res = await api.request("GET", `/issuers/${created.body.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(created.body);
    const etag = res.headers.get("etag") as string;
    expect(etag).toBe(created.headers.get("etag"));

    const notModified = await api.request("GET", `/issuers/${created.body.id}`, { headers: { "if-none-match": etag } });
    expect(notModified.status).toBe(304);
    expect(notModified.text).toBe("");
    expect(notModified.headers.get("etag")).toBe(etag);

    const modified = await api.request("GET", `/issuers/${created.body.id}`, {
      headers: { "if-none-match": '"other"' },
    });
    expect(modified.status).toBe(200);
  });

  test.each([
    "iss_nope",
    "iss_01M8FNXRDG6PFQ1QYSHA3R8PXW",
    "acct_01M8FNXRDG6PFQ1QYSHA3R8PXW",
    "%E0%A4%A",
    "' OR 1=1 --",
  ])("404 resource_missing for %s", async (id) => {
    const res = await api.request("GET", `/issuers/${encodeURIComponent(id)}`);
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ type: "not_found_error", code: "resource_missing" });
  });
});

describe("PATCH /issuers/{id}", () => {
  test("replaces plain fields and merge-patches settings, links and metadata", async () => {
    const created = await createIssuer({
      name: "Before",
      links: { homepage: "https://a.example" },
      metadata: { keep: "1", drop: "2" },
      settings: { mfa: { policy: "required" }, session: { lifetime_seconds: 86400, idle_timeout_seconds: 3600 } },
    });
    const res = await api.request("PATCH", `/issuers/${created.body.id}`, {
      body: {
        name: "After",
        description: "now described",
        available_scopes: ["openid"],
        links: { support: "https://a.example/support" },
        metadata: { drop: null, add: "3" },
        settings: {
          // RFC 7396: null removes the key, so idle_timeout_seconds goes back to its default (86400).
          session: { lifetime_seconds: 172800, idle_timeout_seconds: null },
          branding: { primary_color: "#000000" },
        },
      },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      name: "After",
      description: "now described",
      available_scopes: ["openid"],
      links: { homepage: "https://a.example", support: "https://a.example/support", privacy_policy: null },
      metadata: { keep: "1", add: "3" },
    });
    expect(res.body.settings.mfa.policy).toBe("required");
    expect(res.body.settings.session.lifetime_seconds).toBe(172800);
    expect(res.body.settings.session.idle_timeout_seconds).toBe(86400);
    expect(res.body.settings.branding.primary_color).toBe("#000000");
    expect(res.headers.get("etag")).not.toBe(created.headers.get("etag"));
    expect(Date.parse(res.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.body.updated_at));
    expect(res.body.created_at).toBe(created.body.created_at);

    const got = await api.request("GET", `/issuers/${created.body.id}`);
    expect(got.body).toEqual(res.body);
    expect(got.headers.get("etag")).toBe(res.headers.get("etag"));
  });

  test("null in a settings patch resets that key to its default", async () => {
    const created = await createIssuer({
      name: "Reset",
      settings: { mfa: { policy: "off", remember_device_days: 7 } },
    });
    const res = await api.request("PATCH", `/issuers/${created.body.id}`, {
      body: { settings: { mfa: { policy: null }, branding: null } },
    });
    expect(res.status).toBe(200);
    expect(res.body.settings.mfa).toEqual({ policy: "optional", remember_device_days: 7 });
    expect(res.body.settings.branding).toEqual({ display_name: null, logo_url: null, primary_color: null });
  });

  test("validates the merged result and names the failing field", async () => {
    const created = await createIssuer({
      name: "Merged",
      settings: { session: { lifetime_seconds: 7200, idle_timeout_seconds: 3600 } },
    });
    const res = await api.request("PATCH", `/issuers/${created.body.id}`, {
      body: { settings: { session: { lifetime_seconds: 1800 } } },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.param).toBe("settings.session.idle_timeout_seconds");

    for (const [body, param] of [
      [{ name: "" }, "name"],
      [{ settings: { signup: { unknown: true } } }, "settings.signup.unknown"],
      [{ links: { homepage: "http://insecure.example" } }, "links.homepage"],
      [{ metadata: { k: 5 } }, "metadata.k"],
      [{ object: "issuer" }, "object"],
      [{ settings: "nope" }, "settings"],
    ] as const) {
      const bad = await api.request("PATCH", `/issuers/${created.body.id}`, { body });
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(bad.body.error.param).toBe(param);
    }
    const unchanged = await api.request("GET", `/issuers/${created.body.id}`);
    expect(unchanged.headers.get("etag")).toBe(created.headers.get("etag"));
  });

  test("422 use_delete_endpoint for status: deleted", async () => {
    const created = await createIssuer();
    const res = await api.request("PATCH", `/issuers/${created.body.id}`, { body: { status: "deleted" } });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("use_delete_endpoint");
  });

  test("can move between active, disabled and suspended", async () => {
    const created = await createIssuer();
    for (const status of ["disabled", "suspended", "active"]) {
      const res = await api.request("PATCH", `/issuers/${created.body.id}`, { body: { status } });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe(status);
    }
  });

  test("If-Match: a stale ETag is 412 with current_etag and changes nothing; the current one and * succeed", async () => {
    const created = await createIssuer();
    const path = `/issuers/${created.body.id}`;
    const first = await api.request("PATCH", path, {
      body: { name: "v2" },
      headers: { "if-match": created.headers.get("etag") as string },
    });
    expect(first.status).toBe(200);

    const stale = await api.request("PATCH", path, {
      body: { name: "v3" },
      headers: { "if-match": created.headers.get("etag") as string },
    });
    expect(stale.status).toBe(412);
    expect(stale.body.error).toMatchObject({
      type: "precondition_failed_error",
      code: "precondition_failed",
      current_etag: first.headers.get("etag"),
    });
    expect((await api.request("GET", path)).body.name).toBe("v2");

    const star = await api.request("PATCH", path, { body: { name: "v4" }, headers: { "if-match": "*" } });
    expect(star.status).toBe(200);
    expect(star.body.name).toBe("v4");
  });

  test("404 for an unknown or malformed id", async () => {
    for (const id of ["iss_01M8FNXRDG6PFQ1QYSHA3R8PXW", "nope"]) {
      const res = await api.request("PATCH", `/issuers/${id}`, { body: { name: "x" } });
      expect(res.status).toBe(404);
    }
  });
});

describe("concurrency", () => {
  test("10 concurrent PATCHes with the same If-Match: exactly one 200, nine 412", async () => {
    const created = await createIssuer();
    const etag = created.headers.get("etag") as string;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        api.request("PATCH", `/issuers/${created.body.id}`, {
          body: { name: `writer ${i}` },
          headers: { "if-match": etag },
        }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 412, 412, 412, 412, 412, 412, 412, 412, 412]);
    const winner = results.find((r) => r.status === 200);
    for (const loser of results.filter((r) => r.status === 412)) {
      expect(loser.body.error.current_etag).toBe(winner?.headers.get("etag"));
    }
    const final = await api.request("GET", `/issuers/${created.body.id}`);
    expect(final.body.name).toBe(winner?.body.name);
  });

  test("concurrent PATCHes without If-Match to different metadata keys all land", async () => {
    const created = await createIssuer();
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        api.request("PATCH", `/issuers/${created.body.id}`, { body: { metadata: { [`k${i}`]: String(i) } } }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const final = await api.request("GET", `/issuers/${created.body.id}`);
    expect(final.body.metadata).toEqual({ k0: "0", k1: "1", k2: "2", k3: "3", k4: "4" });
  });
});

describe("routing", () => {
  test("405 with Allow for a known path and another verb; 404 for an unknown path", async () => {
    const res = await api.request("PUT", "/issuers", { body: {} });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, POST");
    expect(res.body.error.code).toBe("method_not_allowed");

    const missing = await api.request("GET", "/widgets");
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ type: "not_found_error", code: "route_not_found" });
  });
});
