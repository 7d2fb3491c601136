import { randomBytes } from "node:crypto";
import { APPLE_TEST_PRIVATE_KEY, exampleAuthMethodBody } from "@authpi/domain";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createLogger } from "../../src/logger.ts";
import { type ApiHarness, apiHarness } from "../harness.ts";

let api: ApiHarness;
beforeAll(async () => {
  api = await apiHarness();
});
afterAll(() => api.close());

const marker = () => `secret-${randomBytes(12).toString("hex")}`;

describe("access log", () => {
  test("one JSON line per request with request id, account id, route, status and duration; no secret anywhere", async () => {
    const clientSecret = marker();
    const wrongKey = `sk_${randomBytes(32).toString("hex").slice(0, 43)}`;
    const before = api.logLines.length;

    const issuer = await api.request("POST", "/issuers", { body: { name: "Logged" } });
    const issuerId = issuer.body.id as string;
    const oidc = exampleAuthMethodBody("oidc", "Logged OIDC");
    (oidc.settings as Record<string, unknown>).client_secret = clientSecret;
    const created = await api.request("POST", `/issuers/${issuerId}/auth-methods`, {
      body: oidc,
      headers: { "idempotency-key": `log-${clientSecret}` },
    });
    expect(created.status).toBe(201);
    const replay = await api.request("POST", `/issuers/${issuerId}/auth-methods`, {
      body: oidc,
      headers: { "idempotency-key": `log-${clientSecret}` },
    });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    const apple = await api.request("POST", `/issuers/${issuerId}/auth-methods`, {
      body: exampleAuthMethodBody("apple", "Logged Apple"),
    });
    expect(apple.status).toBe(201);
    // A PATCH that tries to change a secret, a wrong key, a malformed header, an unknown route.
    await api.request("PATCH", `/issuers/${issuerId}/auth-methods/${created.body.id}`, {
      body: { settings: { client_secret: marker() } },
    });
    await api.request("GET", "/issuers", { apiKey: wrongKey });
    await api.request("GET", "/issuers", { headers: { authorization: `Basic ${clientSecret}` }, apiKey: null });
    await api.request("GET", "/nowhere");

    const lines = api.logLines.slice(before);
    const access = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "request");
    expect(access).toHaveLength(8);
    for (const line of access) {
      expect(line.request_id).toMatch(/^req_/);
      expect(typeof line.route).toBe("string");
      expect(typeof line.status).toBe("number");
      expect(typeof line.duration_ms).toBe("number");
      expect(line.level).toBe(30);
    }
    expect(access[0]).toMatchObject({
      account_id: api.account.accountId,
      route: "createIssuer",
      status: 201,
      request_id: issuer.headers.get("request-id"),
    });
    expect(access[2]).toMatchObject({ status: 201, idempotent_replayed: true });
    expect(access[5]).toMatchObject({ status: 401 });

    const text = lines.join("\n");
    for (const secret of [clientSecret, wrongKey, api.account.apiKey, api.account.adminPassword]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toContain("BEGIN PRIVATE KEY");
    expect(text).not.toContain(APPLE_TEST_PRIVATE_KEY.split("\n")[1]);
    expect(text).not.toMatch(/sk_[0-9A-Za-z]{20,}/);
  });

  test("the idempotency record keeps the secret-free response only", async () => {
    const clientSecret = marker();
    const issuer = await api.request("POST", "/issuers", { body: { name: "Stored response" } });
    const body = exampleAuthMethodBody("github", "Stored GitHub");
    (body.settings as Record<string, unknown>).client_secret = clientSecret;
    const key = `stored-${clientSecret.slice(-8)}`;
    const created = await api.request("POST", `/issuers/${issuer.body.id}/auth-methods`, {
      body,
      headers: { "idempotency-key": key },
    });
    expect(created.status).toBe(201);
    expect(created.text).not.toContain(clientSecret);
    const rows = await api.db.idempotencyKey.findMany({ where: { accountId: api.account.accountId, key } });
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(clientSecret);
    expect(rows[0]?.responseBody).toBe(created.text);
  });
});

describe("the logger's redaction", () => {
  function capture() {
    const lines: string[] = [];
    const logger = createLogger({ destination: { write: (line: string) => void lines.push(line) } });
    return { logger, text: () => lines.join("") };
  }

  test("censors sensitive fields at any depth and secret-shaped values anywhere", () => {
    const { logger, text } = capture();
    const key = `sk_${"A1b2C3d4".repeat(6)}`;
    logger.info(
      {
        req: { headers: { authorization: `Bearer ${key}`, cookie: "session=abc123cookie" } },
        password: "hunter2-password",
        body: { settings: { client_secret: "deep-client-secret", nested: { private_key: "deep-private-key" } } },
        api_key: "raw-api-key-value",
        admin_password: "admin-password-value",
        note: `the key ${key} leaked into a string`,
        pem: APPLE_TEST_PRIVATE_KEY,
      },
      `message with ${key}`,
    );
    logger.error({ err: { message: `failed for Bearer ${key}` } }, "boom");
    const out = text();
    for (const secret of [
      key,
      "abc123cookie",
      "hunter2-password",
      "deep-client-secret",
      "deep-private-key",
      "raw-api-key-value",
      "admin-password-value",
      "BEGIN PRIVATE KEY",
    ]) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain("[redacted]");
    expect(out).toContain("the key [redacted] leaked");
  });
});
