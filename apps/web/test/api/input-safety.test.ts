import { exampleAuthMethodBody } from "@authpi/domain";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type ApiHarness, type ApiResponse, apiHarness } from "../harness.ts";

/**
 * Issue 9 points 6 and 7 through the REST door: inputs Postgres would refuse
 * (a 500) or silently alter are a 400 naming the field, and nothing is stored.
 */

let api: ApiHarness;
let issuerId: string;
beforeAll(async () => {
  api = await apiHarness();
  const created = await api.request("POST", "/issuers", { body: { name: "Safety", metadata: { team: "core" } } });
  issuerId = created.body.id;
});
afterAll(() => api.close());

const JSON_HEADERS = { "content-type": "application/json" };
// JSON.stringify writes a lone surrogate as the escape `\ud800`, exactly what a client sends.
const LONE = "\ud800";

function expectRefused(res: ApiResponse, param: string, message: RegExp) {
  expect(res.status, res.text).toBe(400);
  expect(res.body.error).toMatchObject({ type: "invalid_request_error", code: "validation_failed", param });
  expect(res.body.error.message).toMatch(message);
  expect(res.body.error.request_id).toBe(res.headers.get("request-id"));
}

async function storedIssuer() {
  const res = await api.request("GET", `/issuers/${issuerId}`);
  expect(res.status).toBe(200);
  return res.body;
}

describe("a lone UTF-16 surrogate is a 400 naming the field, in jsonb and text columns alike", () => {
  test.each([
    ["metadata value", { metadata: { a: `x${LONE}` } }, "metadata.a"],
    ["metadata key", { metadata: { [`k${LONE}`]: "v" } }, "metadata"],
    ["branding display_name", { settings: { branding: { display_name: LONE } } }, "settings.branding.display_name"],
    ["name (text column)", { name: `Name ${LONE}` }, "name"],
    ["description (text column)", { description: `\udc00 trailing` }, "description"],
  ])("issuer %s on POST and PATCH", async (_label, fields, param) => {
    const before = await storedIssuer();
    const post = await api.request("POST", "/issuers", { body: { name: "Surrogate", ...fields } });
    expectRefused(post, param, /surrogate/);
    const patch = await api.request("PATCH", `/issuers/${issuerId}`, { body: fields });
    expectRefused(patch, param, /surrogate/);
    expect(await storedIssuer()).toEqual(before);
  });

  test("auth method settings.client_id on POST, and settings on PATCH", async () => {
    const body = exampleAuthMethodBody("oidc", "Surrogate OIDC");
    const settings = { ...(body.settings as Record<string, unknown>), client_id: `id${LONE}` };
    const post = await api.request("POST", `/issuers/${issuerId}/auth-methods`, { body: { ...body, settings } });
    expectRefused(post, "settings.client_id", /surrogate/);

    const passkey = await api.request("POST", `/issuers/${issuerId}/auth-methods`, {
      body: exampleAuthMethodBody("passkey", "Passkeys"),
    });
    expect(passkey.status).toBe(201);
    const patch = await api.request("PATCH", `/issuers/${issuerId}/auth-methods/${passkey.body.id}`, {
      body: { settings: { rp_name: LONE } },
    });
    expectRefused(patch, "settings.rp_name", /surrogate/);
    const list = await api.request("GET", `/issuers/${issuerId}/auth-methods`);
    expect(list.body.data.map((m: { name: string }) => m.name)).toEqual(["Passkeys"]);
  });

  test("a well-formed surrogate pair (an emoji) is stored and returned", async () => {
    const res = await api.request("POST", "/issuers", {
      body: { name: "Emoji 🔐", metadata: { icon: "🔐" }, settings: { branding: { display_name: "🔐 Login" } } },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: "Emoji 🔐", metadata: { icon: "🔐" } });
    expect(res.body.settings.branding.display_name).toBe("🔐 Login");
  });
});

describe("reserved keys are refused, not dropped", () => {
  test.each(["__proto__", "constructor", "prototype"])("metadata.%s on POST and PATCH", async (key) => {
    const before = await storedIssuer();
    const raw = `{"metadata":{${JSON.stringify(key)}:"x","team":"kept?"}}`;
    const post = await api.request("POST", "/issuers", {
      rawBody: `{"name":"Reserved",${raw.slice(1)}`,
      headers: JSON_HEADERS,
    });
    expectRefused(post, `metadata.${key}`, /reserved/);
    const patch = await api.request("PATCH", `/issuers/${issuerId}`, { rawBody: raw, headers: JSON_HEADERS });
    expectRefused(patch, `metadata.${key}`, /reserved/);
    expect(await storedIssuer()).toEqual(before);
  });

  test("__proto__ elsewhere in a body (a settings merge patch)", async () => {
    const patch = await api.request("PATCH", `/issuers/${issuerId}`, {
      rawBody: '{"settings":{"__proto__":{"mfa":{"policy":"off"}}}}',
      headers: JSON_HEADERS,
    });
    expectRefused(patch, "settings.__proto__", /reserved/);
  });
});

describe("non-finite numbers", () => {
  test("1e309 is a 400 naming the field", async () => {
    const res = await api.request("PATCH", `/issuers/${issuerId}`, {
      rawBody: '{"settings":{"session":{"lifetime_seconds":1e309}}}',
      headers: JSON_HEADERS,
    });
    expectRefused(res, "settings.session.lifetime_seconds", /finite/);
  });

  test("1e309 then null under one Idempotency-Key are two requests: the second is 422, not a replay of the 400", async () => {
    const headers = { ...JSON_HEADERS, "idempotency-key": `infinite-${issuerId}` };
    const path = `/issuers/${issuerId}`;
    const first = await api.request("PATCH", path, { rawBody: '{"description":1e309}', headers });
    expectRefused(first, "description", /finite/);

    const again = await api.request("PATCH", path, { rawBody: '{"description":1e309}', headers });
    expect(again.status).toBe(400);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.text).toBe(first.text);

    const other = await api.request("PATCH", path, { rawBody: '{"description":null}', headers });
    expect(other.status, other.text).toBe(422);
    expect(other.body.error.code).toBe("idempotency_key_reused");
    expect(other.headers.get("idempotent-replayed")).toBeNull();
  });
});
