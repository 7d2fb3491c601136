import { generateKeyPairSync } from "node:crypto";
import { AUTH_METHOD_TYPES, AUTH_METHODS, type AuthMethodType, exampleAuthMethodBody } from "@authpi/domain";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { ApiHarness } from "../harness.ts";
import { authMethodHarness, newIssuer } from "./auth-method-fixtures.ts";

let api: ApiHarness;
let issuer: string;

beforeAll(async () => {
  api = await authMethodHarness();
  issuer = await newIssuer(api, "Production");
});
afterAll(async () => {
  await api.close();
});

const base = () => `/issuers/${issuer}/auth-methods`;

function settingsOf(body: Record<string, unknown>): Record<string, unknown> {
  return { ...(body.settings as Record<string, unknown>) };
}

/** A settings merge patch per type that changes something mutable (Apple has no mutable settings). */
const SETTINGS_PATCH: Record<AuthMethodType, Record<string, unknown>> = {
  oauth2: { scopes: ["email"] },
  oidc: { scopes: ["openid"] },
  apple: {},
  github: { enterprise_url: "https://github.example.com" },
  oauth2_manual: { pkce: false },
  password: { min_length: 16, require_symbol: true },
  temporary_password: { length: 20 },
  email_link: { ttl_seconds: 600 },
  email_otp: { code_length: 8 },
  sms_otp: { max_attempts: 3 },
  passkey: { user_verification: "required", rp_name: "Example" },
  totp: { digits: 8, algorithm: "SHA256" },
  backup_codes: { count: 12 },
};

describe("each of the 13 types over HTTP: create, get, list, patch, delete", () => {
  test.each(AUTH_METHOD_TYPES)("%s", async (method: AuthMethodType) => {
    const definition = AUTH_METHODS[method];
    const body = exampleAuthMethodBody(method, `Lifecycle ${method}`);

    const created = await api.request("POST", base(), { body });
    expect(created.status, created.text).toBe(201);
    expect(created.headers.get("etag")).toMatch(/^"[^"]+"$/);
    expect(created.body).toMatchObject({
      object: "auth_method",
      issuer_id: issuer,
      name: `Lifecycle ${method}`,
      method,
      enabled_login: true,
      enabled_signup: true,
      featured: false,
      first_factor_only: body.first_factor_only,
      secrets_set: definition.secretKeys,
    });
    expect(created.body.id).toMatch(/^am_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(created.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    for (const key of definition.secretKeys) expect(created.body.settings).not.toHaveProperty(key);
    const id = created.body.id as string;

    const got = await api.request("GET", `${base()}/${id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);
    expect(got.headers.get("etag")).toBe(created.headers.get("etag"));

    const listed = await api.request("GET", base());
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ object: "list", has_more: false, next_cursor: null });
    expect(listed.body.data).toContainEqual(created.body);

    const patched = await api.request("PATCH", `${base()}/${id}`, {
      body: { featured: true, enabled_signup: false, name: `Renamed ${method}`, settings: SETTINGS_PATCH[method] },
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({ featured: true, enabled_signup: false, name: `Renamed ${method}` });
    expect(patched.body.settings).toEqual({ ...created.body.settings, ...SETTINGS_PATCH[method] });
    expect((await api.request("GET", `${base()}/${id}`)).body).toEqual(patched.body);
    expect(patched.body.secrets_set).toEqual(definition.secretKeys);
    expect(patched.headers.get("etag")).not.toBe(created.headers.get("etag"));

    const deleted = await api.request("DELETE", `${base()}/${id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe("");
    expect((await api.request("GET", `${base()}/${id}`)).status).toBe(404);
    expect((await api.request("DELETE", `${base()}/${id}`)).status).toBe(404);
  });

  test("defaults are filled in and returned complete", async () => {
    const issuerId = await newIssuer(api, "Defaults");
    const res = await api.request("POST", `/issuers/${issuerId}/auth-methods`, {
      body: { name: "Codes", method: "email_otp", first_factor_only: true },
    });
    expect(res.status).toBe(201);
    expect(res.body.settings).toEqual({ code_length: 6, ttl_seconds: 600, max_attempts: 5 });
    const passkey = await api.request("POST", `/issuers/${issuerId}/auth-methods`, {
      body: { name: "Passkeys", method: "passkey", first_factor_only: false, settings: { rp_id: "example.com" } },
    });
    expect(passkey.status).toBe(201);
    expect(passkey.body.settings).toEqual({
      rp_id: "example.com",
      rp_name: "Defaults",
      user_verification: "preferred",
      attestation: "none",
      authenticator_attachment: null,
    });
    expect(passkey.body.first_factor_only).toBe(false);
  });

  test("the list holds all of an issuer's methods in creation order", async () => {
    const issuerId = await newIssuer(api, "Ordered");
    const ids: string[] = [];
    for (const method of ["github", "password", "oidc", "totp"] as const) {
      const res = await api.request("POST", `/issuers/${issuerId}/auth-methods`, {
        body: exampleAuthMethodBody(method),
      });
      ids.push(res.body.id);
    }
    const list = await api.request("GET", `/issuers/${issuerId}/auth-methods`);
    expect(list.body.data.map((m: { id: string }) => m.id)).toEqual(ids);
  });
});

describe("validation: 400 naming the field", () => {
  const fixed = AUTH_METHOD_TYPES.filter((m) => AUTH_METHODS[m].firstFactorOnly !== null);
  test.each(fixed)("%s: the wrong first_factor_only", async (method) => {
    const body = exampleAuthMethodBody(method);
    const res = await api.request("POST", base(), { body: { ...body, first_factor_only: !body.first_factor_only } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "validation_failed", param: "first_factor_only" });
  });

  test.each(["oauth2", "oidc", "apple", "github", "oauth2_manual", "passkey"] as const)(
    "%s: each missing required setting",
    async (method) => {
      const body = exampleAuthMethodBody(method);
      for (const key of AUTH_METHODS[method].requiredKeys) {
        const settings = settingsOf(body);
        delete settings[key];
        const res = await api.request("POST", base(), { body: { ...body, settings } });
        expect(res.status, key).toBe(400);
        expect(res.body.error).toMatchObject({ code: "validation_failed", param: `settings.${key}` });
      }
    },
  );

  test.each(AUTH_METHOD_TYPES.filter((m) => AUTH_METHODS[m].settingsRequiredOnCreate))(
    "%s: settings missing where the spec requires it",
    async (method) => {
      const { settings: _settings, ...body } = exampleAuthMethodBody(method);
      const res = await api.request("POST", base(), { body });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: "validation_failed", param: "settings" });
    },
  );

  test("first_factor_only missing, and passkey with a non-boolean", async () => {
    const { first_factor_only: _f, ...body } = exampleAuthMethodBody("totp");
    expect((await api.request("POST", base(), { body })).body.error.param).toBe("first_factor_only");
    const passkey = { ...exampleAuthMethodBody("passkey"), first_factor_only: "yes" };
    expect((await api.request("POST", base(), { body: passkey })).body.error.param).toBe("first_factor_only");
  });

  test.each([
    ["an unknown method", { name: "x", method: "saml", first_factor_only: true }, "method"],
    ["no method", { name: "x", first_factor_only: true }, "method"],
    ["a method that is not a string", { name: "x", method: 7, first_factor_only: true }, "method"],
    ["an unknown top-level key", { ...exampleAuthMethodBody("password"), colour: "red" }, "colour"],
    [
      "an unknown settings key",
      { ...exampleAuthMethodBody("password"), settings: { min_len: 10 } },
      "settings.min_len",
    ],
    [
      "an unknown settings key of a federated method",
      { ...exampleAuthMethodBody("github"), settings: { ...settingsOf(exampleAuthMethodBody("github")), org: "x" } },
      "settings.org",
    ],
    [
      "an http issuer_url",
      {
        ...exampleAuthMethodBody("oidc"),
        settings: { ...settingsOf(exampleAuthMethodBody("oidc")), issuer_url: "http://accounts.example.com" },
      },
      "settings.issuer_url",
    ],
    [
      "an http token_url",
      {
        ...exampleAuthMethodBody("oauth2_manual"),
        settings: { ...settingsOf(exampleAuthMethodBody("oauth2_manual")), token_url: "http://idp.example.com/token" },
      },
      "settings.token_url",
    ],
    [
      "an http redirect_uri not on localhost",
      {
        ...exampleAuthMethodBody("oauth2"),
        settings: { ...settingsOf(exampleAuthMethodBody("oauth2")), redirect_uri: "http://example.com/cb" },
      },
      "settings.redirect_uri",
    ],
    [
      "an http enterprise_url",
      {
        ...exampleAuthMethodBody("github"),
        settings: { ...settingsOf(exampleAuthMethodBody("github")), enterprise_url: "http://ghe.example.com" },
      },
      "settings.enterprise_url",
    ],
    [
      "a malformed Apple PEM",
      {
        ...exampleAuthMethodBody("apple"),
        settings: { ...settingsOf(exampleAuthMethodBody("apple")), private_key: "MIGTAgEAMBMGByqGSM49" },
      },
      "settings.private_key",
    ],
    [
      "an Apple PEM whose body is not a key",
      {
        ...exampleAuthMethodBody("apple"),
        settings: {
          ...settingsOf(exampleAuthMethodBody("apple")),
          private_key: "-----BEGIN PRIVATE KEY-----\nAAAAAAAA\n-----END PRIVATE KEY-----\n",
        },
      },
      "settings.private_key",
    ],
    [
      "an Apple key that is not EC P-256",
      {
        ...exampleAuthMethodBody("apple"),
        settings: {
          ...settingsOf(exampleAuthMethodBody("apple")),
          private_key: generateKeyPairSync("ec", { namedCurve: "secp384r1" })
            .privateKey.export({ type: "pkcs8", format: "pem" })
            .toString(),
        },
      },
      "settings.private_key",
    ],
    [
      "a lower-case Apple team id",
      {
        ...exampleAuthMethodBody("apple"),
        settings: { ...settingsOf(exampleAuthMethodBody("apple")), team_id: "abcde12345" },
      },
      "settings.team_id",
    ],
    [
      "an Apple key id of the wrong length",
      {
        ...exampleAuthMethodBody("apple"),
        settings: { ...settingsOf(exampleAuthMethodBody("apple")), key_id: "KEY123" },
      },
      "settings.key_id",
    ],
    [
      "an unknown oauth2 provider",
      {
        ...exampleAuthMethodBody("oauth2"),
        settings: { ...settingsOf(exampleAuthMethodBody("oauth2")), provider: "myspace" },
      },
      "settings.provider",
    ],
    [
      "a password min_length out of range",
      { ...exampleAuthMethodBody("password"), settings: { min_length: 4 } },
      "settings.min_length",
    ],
    ["totp digits 7", { ...exampleAuthMethodBody("totp"), settings: { digits: 7 } }, "settings.digits"],
    ["backup_codes count 21", { ...exampleAuthMethodBody("backup_codes"), settings: { count: 21 } }, "settings.count"],
    [
      "a passkey rp_id that is a URL",
      { ...exampleAuthMethodBody("passkey"), settings: { rp_id: "https://example.com" } },
      "settings.rp_id",
    ],
    ["an empty name", { ...exampleAuthMethodBody("password"), name: "  " }, "name"],
    ["settings that are not an object", { ...exampleAuthMethodBody("password"), settings: "strict" }, "settings"],
  ])("%s", async (_label, body, param) => {
    const res = await api.request("POST", base(), { body });
    expect(res.status, res.text).toBe(400);
    expect(res.body.error).toMatchObject({ type: "invalid_request_error", param });
  });

  test("a body that is not JSON, or not an object: 400 invalid_json", async () => {
    expect(
      (await api.request("POST", base(), { rawBody: "{", headers: { "content-type": "application/json" } })).body.error
        .code,
    ).toBe("invalid_json");
    expect((await api.request("POST", base(), { body: [1] })).body.error.code).toBe("invalid_json");
  });
});

describe("conflicts: 409", () => {
  const singletons = AUTH_METHOD_TYPES.filter((m) => AUTH_METHODS[m].singleton);
  test.each(singletons)("a second %s is auth_method_exists", async (method) => {
    const issuerId = await newIssuer(api, `Singleton ${method}`);
    const first = await api.request("POST", `/issuers/${issuerId}/auth-methods`, {
      body: exampleAuthMethodBody(method, "One"),
    });
    expect(first.status).toBe(201);
    const second = await api.request("POST", `/issuers/${issuerId}/auth-methods`, {
      body: exampleAuthMethodBody(method, "Two"),
    });
    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({ type: "conflict_error", code: "auth_method_exists" });
  });

  test("federated methods may repeat", async () => {
    const issuerId = await newIssuer(api, "Federated twice");
    for (const name of ["Google A", "Google B"]) {
      const res = await api.request("POST", `/issuers/${issuerId}/auth-methods`, {
        body: exampleAuthMethodBody("oidc", name),
      });
      expect(res.status).toBe(201);
    }
  });

  test("a duplicate name in any case is name_taken, on create and on rename", async () => {
    const issuerId = await newIssuer(api, "Names");
    const path = `/issuers/${issuerId}/auth-methods`;
    expect(
      (await api.request("POST", path, { body: exampleAuthMethodBody("github", "Sign in with GitHub") })).status,
    ).toBe(201);
    const dup = await api.request("POST", path, { body: exampleAuthMethodBody("github", "SIGN IN WITH github") });
    expect(dup.status).toBe(409);
    expect(dup.body.error).toMatchObject({ code: "name_taken", param: "name" });
    const other = await api.request("POST", path, { body: exampleAuthMethodBody("oidc", "Other") });
    const rename = await api.request("PATCH", `${path}/${other.body.id}`, { body: { name: "sign in with GITHUB" } });
    expect(rename.status).toBe(409);
    expect(rename.body.error.code).toBe("name_taken");
    // Renaming a method to a different case of its own name is fine.
    const self = await api.request("PATCH", `${path}/${other.body.id}`, { body: { name: "OTHER" } });
    expect(self.status).toBe(200);
    // The same name under another issuer is fine.
    const elsewhere = await newIssuer(api, "Names elsewhere");
    expect(
      (
        await api.request("POST", `/issuers/${elsewhere}/auth-methods`, {
          body: exampleAuthMethodBody("github", "Sign in with GitHub"),
        })
      ).status,
    ).toBe(201);
  });

  test("the 51st method is limit_reached, and deleting one makes room", async () => {
    const issuerId = await newIssuer(api, "Fifty");
    const path = `/issuers/${issuerId}/auth-methods`;
    const ids: string[] = [];
    for (let i = 0; i < 50; i += 10) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, (_, j) =>
          api.request("POST", path, { body: exampleAuthMethodBody("github", `GitHub ${i + j}`) }),
        ),
      );
      for (const res of batch) {
        expect(res.status).toBe(201);
        ids.push(res.body.id);
      }
    }
    const over = await api.request("POST", path, { body: exampleAuthMethodBody("github", "GitHub 50") });
    expect(over.status).toBe(409);
    expect(over.body.error).toMatchObject({ type: "conflict_error", code: "limit_reached" });
    expect((await api.request("GET", path)).body.data).toHaveLength(50);
    expect((await api.request("DELETE", `${path}/${ids[0]}`)).status).toBe(204);
    expect((await api.request("POST", path, { body: exampleAuthMethodBody("github", "GitHub 50") })).status).toBe(201);
  });

  test("concurrent creates never exceed 50 nor make a second singleton", async () => {
    const issuerId = await newIssuer(api, "Race");
    const path = `/issuers/${issuerId}/auth-methods`;
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        api.request("POST", path, { body: exampleAuthMethodBody("github", `Race ${i}`) }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(50);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.error.code === "limit_reached")).toBe(true);

    const other = await newIssuer(api, "Race singletons");
    const passwords = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        api.request("POST", `/issuers/${other}/auth-methods`, {
          body: exampleAuthMethodBody("password", `Password ${i}`),
        }),
      ),
    );
    expect(passwords.filter((r) => r.status === 201)).toHaveLength(1);
    expect(passwords.filter((r) => r.status === 409 && r.body.error.code === "auth_method_exists")).toHaveLength(7);
  });
});

describe("PATCH", () => {
  let id: string;
  let etag: string;
  beforeAll(async () => {
    const res = await api.request("POST", base(), { body: exampleAuthMethodBody("oauth2_manual", "Manual IdP") });
    id = res.body.id;
    etag = res.headers.get("etag") ?? "";
  });

  test("settings are merge-patched, then validated whole", async () => {
    const res = await api.request("PATCH", `${base()}/${id}`, {
      body: {
        settings: { scopes: ["openid", "email"], pkce: false, userinfo_url: "https://idp.example.com/userinfo" },
      },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.settings).toMatchObject({
      authorization_url: "https://idp.example.com/authorize",
      client_id: "client-id-manual",
      scopes: ["openid", "email"],
      pkce: false,
      userinfo_url: "https://idp.example.com/userinfo",
    });
    const reset = await api.request("PATCH", `${base()}/${id}`, {
      body: { settings: { pkce: null, userinfo_url: null } },
    });
    expect(reset.body.settings).toMatchObject({ pkce: true, userinfo_url: null });
    const bad = await api.request("PATCH", `${base()}/${id}`, {
      body: { settings: { userinfo_url: "http://x.example" } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe("settings.userinfo_url");
    const unknown = await api.request("PATCH", `${base()}/${id}`, { body: { settings: { audience: "x" } } });
    expect(unknown.body.error.param).toBe("settings.audience");
    const unknownTop = await api.request("PATCH", `${base()}/${id}`, { body: { secrets_set: [] } });
    expect(unknownTop.body.error.param).toBe("secrets_set");
  });

  test.each([
    [{ method: "oidc" }, "method"],
    [{ method: "oauth2_manual" }, "method"],
    [{ first_factor_only: true }, "first_factor_only"],
    [{ settings: { client_id: "new" } }, "settings.client_id"],
    [{ settings: { client_secret: "new-secret" } }, "settings.client_secret"],
    [{ settings: { authorization_url: "https://other.example.com/authorize" } }, "settings.authorization_url"],
    [{ settings: { token_url: null } }, "settings.token_url"],
  ])("%j: 400 immutable_field", async (patch, param) => {
    const res = await api.request("PATCH", `${base()}/${id}`, { body: patch });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ type: "invalid_request_error", code: "immutable_field", param });
    expect(res.text).not.toContain("new-secret");
  });

  test.each([
    ["oidc", "issuer_url", "https://other.example.com"],
    ["apple", "team_id", "ZZZZZ99999"],
    ["apple", "private_key", "x"],
    ["github", "client_id", "x"],
    ["oauth2", "provider", "gitlab"],
    ["oauth2", "redirect_uri", "https://other.example.com/cb"],
  ] as const)("%s settings.%s is immutable", async (method, key, value) => {
    const created = await api.request("POST", base(), {
      body: exampleAuthMethodBody(method, `Immutable ${method} ${key}`),
    });
    const res = await api.request("PATCH", `${base()}/${created.body.id}`, { body: { settings: { [key]: value } } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "immutable_field", param: `settings.${key}` });
  });

  test("If-Match: a stale ETag is 412 with current_etag and changes nothing; the current one succeeds", async () => {
    const current = await api.request("GET", `${base()}/${id}`);
    const stale = await api.request("PATCH", `${base()}/${id}`, {
      body: { featured: true },
      headers: { "if-match": etag },
    });
    expect(stale.status).toBe(412);
    expect(stale.body.error).toMatchObject({
      type: "precondition_failed_error",
      current_etag: current.headers.get("etag"),
    });
    expect((await api.request("GET", `${base()}/${id}`)).body).toEqual(current.body);
    const ok = await api.request("PATCH", `${base()}/${id}`, {
      body: { featured: true },
      headers: { "if-match": current.headers.get("etag") ?? "" },
    });
    expect(ok.status).toBe(200);
    const star = await api.request("PATCH", `${base()}/${id}`, {
      body: { featured: false },
      headers: { "if-match": "*" },
    });
    expect(star.status).toBe(200);
  });

  test("of N concurrent PATCHes with the same If-Match exactly one succeeds", async () => {
    const current = await api.request("GET", `${base()}/${id}`);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        api.request("PATCH", `${base()}/${id}`, {
          body: { name: `Concurrent ${i}` },
          headers: { "if-match": current.headers.get("etag") ?? "" },
        }),
      ),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 412)).toHaveLength(7);
  });

  test("GET honours If-None-Match with 304", async () => {
    const current = await api.request("GET", `${base()}/${id}`);
    const res = await api.request("GET", `${base()}/${id}`, {
      headers: { "if-none-match": current.headers.get("etag") ?? "" },
    });
    expect(res.status).toBe(304);
  });

  test("DELETE with a stale If-Match is 412 and keeps the method", async () => {
    const created = await api.request("POST", base(), { body: exampleAuthMethodBody("github", "Delete guarded") });
    const path = `${base()}/${created.body.id}`;
    await api.request("PATCH", path, { body: { featured: true } });
    const stale = await api.request("DELETE", path, { headers: { "if-match": created.headers.get("etag") ?? "" } });
    expect(stale.status).toBe(412);
    expect((await api.request("GET", path)).status).toBe(200);
    const current = (await api.request("GET", path)).headers.get("etag") ?? "";
    expect((await api.request("DELETE", path, { headers: { "if-match": current } })).status).toBe(204);
  });
});
