import { describe, expect, it } from "vitest";
import { DomainError } from "../errors.ts";
import { parseBody } from "../input-safety.ts";
import { exampleAuthMethodBody } from "./examples.ts";
import {
  type AuthMethodContext,
  applyAuthMethodPatch as applyPatch,
  authMethodConfigForCreate as configFor,
} from "./rules.ts";
import {
  AUTH_METHOD_TYPES,
  AUTH_METHODS,
  AuthMethod,
  type AuthMethodConfig,
  type AuthMethodType,
  CreateAuthMethodInput,
  UpdateAuthMethodInput,
} from "./schema.ts";
import { secretsSet, splitSecrets, stripSecrets } from "./secrets.ts";

const context = { issuerName: "Production" };

// The doors parse each body with the operation's schema (`parseBody`) before the rules see it;
// these tests send raw bodies through both, as a request does.
function authMethodConfigForCreate(body: unknown, ctx: AuthMethodContext): AuthMethodConfig {
  return configFor(parseBody(CreateAuthMethodInput, body), ctx);
}

function applyAuthMethodPatch(current: AuthMethodConfig, body: unknown, ctx: AuthMethodContext): AuthMethodConfig {
  return applyPatch(current, parseBody(UpdateAuthMethodInput, body), ctx);
}

function failure(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error("expected a DomainError");
}

describe("authMethodConfigForCreate", () => {
  it.each(AUTH_METHOD_TYPES)("%s: the example body is valid and gets its defaults", (method) => {
    const config = authMethodConfigForCreate(exampleAuthMethodBody(method), context);
    expect(config.method).toBe(method);
    expect(config.enabled_login).toBe(true);
    expect(config.enabled_signup).toBe(true);
    expect(config.featured).toBe(false);
  });

  const fixed = AUTH_METHOD_TYPES.filter((m) => AUTH_METHODS[m].firstFactorOnly !== null);
  it.each(fixed)("%s: the wrong first_factor_only is a 400 naming the field", (method) => {
    const body = exampleAuthMethodBody(method);
    const error = failure(() =>
      authMethodConfigForCreate({ ...body, first_factor_only: !body.first_factor_only }, context),
    );
    expect(error.code).toBe("validation_failed");
    expect(error.param).toBe("first_factor_only");
  });

  it("passkey accepts either first_factor_only and defaults rp_name to the issuer name", () => {
    for (const value of [true, false]) {
      const config = authMethodConfigForCreate(
        { ...exampleAuthMethodBody("passkey"), first_factor_only: value },
        context,
      );
      expect(config.first_factor_only).toBe(value);
      expect(config.settings).toMatchObject({ rp_name: "Production", user_verification: "preferred" });
    }
  });

  const withRequired = AUTH_METHOD_TYPES.filter((m) => AUTH_METHODS[m].requiredKeys.length > 0);
  for (const method of withRequired) {
    it.each(AUTH_METHODS[method].requiredKeys)(`${method}: missing settings.%s is a 400 naming it`, (key) => {
      const body = exampleAuthMethodBody(method);
      const settings = { ...(body.settings as Record<string, unknown>) };
      delete settings[key];
      const error = failure(() => authMethodConfigForCreate({ ...body, settings }, context));
      expect(error.param).toBe(`settings.${key}`);
    });
  }

  const settingsRequired = AUTH_METHOD_TYPES.filter((m) => AUTH_METHODS[m].settingsRequiredOnCreate);
  it.each(settingsRequired)("%s: missing settings is a 400", (method) => {
    const { settings: _omitted, ...body } = exampleAuthMethodBody(method);
    expect(failure(() => authMethodConfigForCreate(body, context)).param).toBe("settings");
  });

  it("rejects unknown methods, unknown keys, http URLs and malformed Apple values", () => {
    expect(
      failure(() => authMethodConfigForCreate({ name: "x", method: "saml", first_factor_only: true }, context)).param,
    ).toBe("method");
    expect(failure(() => authMethodConfigForCreate({ name: "x", first_factor_only: true }, context)).param).toBe(
      "method",
    );
    const oidc = exampleAuthMethodBody("oidc");
    const oidcSettings = oidc.settings as Record<string, unknown>;
    expect(
      failure(() => authMethodConfigForCreate({ ...oidc, settings: { ...oidcSettings, colour: "red" } }, context))
        .param,
    ).toBe("settings.colour");
    expect(failure(() => authMethodConfigForCreate({ ...oidc, nickname: "g" }, context)).param).toBe("nickname");
    expect(
      failure(() =>
        authMethodConfigForCreate(
          { ...oidc, settings: { ...oidcSettings, issuer_url: "http://accounts.example.com" } },
          context,
        ),
      ).param,
    ).toBe("settings.issuer_url");
    const apple = exampleAuthMethodBody("apple");
    const appleSettings = apple.settings as Record<string, unknown>;
    for (const [key, value] of [
      ["team_id", "abcde12345"],
      ["key_id", "SHORT"],
      ["private_key", "not a pem"],
      ["private_key", "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"],
    ] as const) {
      expect(
        failure(() => authMethodConfigForCreate({ ...apple, settings: { ...appleSettings, [key]: value } }, context))
          .param,
      ).toBe(`settings.${key}`);
    }
  });

  it("allows http redirect URIs only for localhost", () => {
    const body = exampleAuthMethodBody("oauth2");
    const settings = body.settings as Record<string, unknown>;
    expect(() =>
      authMethodConfigForCreate(
        { ...body, settings: { ...settings, redirect_uri: "http://localhost:3000/cb" } },
        context,
      ),
    ).not.toThrow();
    expect(
      failure(() =>
        authMethodConfigForCreate(
          { ...body, settings: { ...settings, redirect_uri: "http://example.com/cb" } },
          context,
        ),
      ).param,
    ).toBe("settings.redirect_uri");
  });
});

describe("applyAuthMethodPatch", () => {
  const oidc = authMethodConfigForCreate(exampleAuthMethodBody("oidc"), context);

  it("merges settings and validates the result", () => {
    const next = applyAuthMethodPatch(oidc, { featured: true, settings: { scopes: ["openid"] } }, context);
    expect(next.featured).toBe(true);
    expect(next.settings).toMatchObject({ client_id: "client-id-oidc", scopes: ["openid"] });
    const reset = applyAuthMethodPatch(next, { settings: { scopes: null } }, context);
    expect(reset.settings).toMatchObject({ scopes: ["openid", "profile", "email"] });
    expect(failure(() => applyAuthMethodPatch(oidc, { settings: { scopes: "openid" } }, context)).param).toBe(
      "settings.scopes",
    );
  });

  it.each([
    [{ method: "oidc" }, "method"],
    [{ first_factor_only: true }, "first_factor_only"],
    [{ settings: { client_id: "other" } }, "settings.client_id"],
    [{ settings: { client_secret: "other" } }, "settings.client_secret"],
    [{ settings: { issuer_url: null } }, "settings.issuer_url"],
  ])("%j is a 400 immutable_field", (patch, param) => {
    const error = failure(() => applyAuthMethodPatch(oidc, patch, context));
    expect(error.code).toBe("immutable_field");
    expect(error.param).toBe(param);
  });

  it("lets non-federated methods change their required settings", () => {
    const passkey = authMethodConfigForCreate(exampleAuthMethodBody("passkey"), context);
    const next = applyAuthMethodPatch(passkey, { settings: { rp_id: "login.example.com", rp_name: null } }, context);
    expect(next.settings).toMatchObject({ rp_id: "login.example.com", rp_name: "Production" });
    expect(failure(() => applyAuthMethodPatch(passkey, { settings: { rp_id: null } }, context)).param).toBe(
      "settings.rp_id",
    );
  });
});

describe("secrets", () => {
  it("splits, lists and strips secret keys by declaration", () => {
    const config = authMethodConfigForCreate(exampleAuthMethodBody("oidc"), context);
    const { settings, secrets } = splitSecrets("oidc", config.settings);
    expect(secrets).toEqual({ client_secret: "oidc-secret-value" });
    expect(settings).not.toHaveProperty("client_secret");
    expect(secretsSet("oidc", Object.keys(secrets))).toEqual(["client_secret"]);
    expect(stripSecrets("apple", { private_key: "x", key_id: "y" })).toEqual({ key_id: "y" });
  });

  const response = (method: AuthMethodType, settings: Record<string, unknown>, secrets_set: readonly string[]) =>
    AuthMethod.safeParse({
      object: "auth_method",
      id: "am_x",
      issuer_id: "iss_x",
      ...authMethodConfigForCreate(exampleAuthMethodBody(method), context),
      settings,
      secrets_set,
      ...(AUTH_METHODS[method].federated ? { callback_url: "https://auth.example.com/oidc/iss_x/callback/am_x" } : {}),
      created_at: "2026-11-27T22:40:00.000Z",
      updated_at: "2026-11-27T22:40:00.000Z",
    });

  const withSecrets = AUTH_METHOD_TYPES.filter((m) => AUTH_METHODS[m].secretKeys.length > 0);
  const withoutSecrets = AUTH_METHOD_TYPES.filter((m) => AUTH_METHODS[m].secretKeys.length === 0);

  it("the federated types, and only they, have secrets", () => {
    expect(withSecrets).toEqual(AUTH_METHOD_TYPES.filter((m) => AUTH_METHODS[m].federated));
    expect(withSecrets).toHaveLength(5);
  });

  it.each(withSecrets)("%s: the response schema drops each secret a caller passes, and keeps the rest", (method) => {
    const config = authMethodConfigForCreate(exampleAuthMethodBody(method), context);
    const { secretKeys } = AUTH_METHODS[method];
    for (const key of secretKeys) expect(config.settings).toHaveProperty(key);
    const parsed = response(method, config.settings, secretKeys);
    expect(parsed.success).toBe(true);
    const publicKeys = Object.keys(config.settings).filter((key) => !secretKeys.includes(key));
    expect(Object.keys(parsed.data?.settings ?? {}).sort()).toEqual(publicKeys.sort());
    expect(JSON.stringify(parsed.data)).not.toContain(
      String(Object.values(splitSecrets(method, config.settings).secrets)[0]),
    );
    expect(parsed.data?.secrets_set).toEqual(secretKeys);
  });

  it.each(withoutSecrets)("%s: the response keeps every setting, drops unknown ones, and names no secret", (method) => {
    const config = authMethodConfigForCreate(exampleAuthMethodBody(method), context);
    const parsed = response(method, { ...config.settings, client_secret: "leak", injected: "x" }, []);
    expect(parsed.data?.settings).toEqual(config.settings);
    expect(response(method, config.settings, ["client_secret"]).success).toBe(false);
    expect(splitSecrets(method, { ...config.settings }).secrets).toEqual({});
  });
});

describe("the body schemas, as the doors parse them", () => {
  const choices = `Must be one of ${AUTH_METHOD_TYPES.map((t) => `'${t}'`).join(", ")}`;

  it.each([
    [{ name: "x", first_factor_only: true }, "Required"],
    [{ name: "x", method: "saml" }, choices],
    [{ name: "x", method: null }, choices],
  ])("create %j: 400 naming method, not a union failure", (body, message) => {
    const error = failure(() => parseBody(CreateAuthMethodInput, body));
    expect({ ...error, message: error.message }).toEqual({
      name: "DomainError",
      code: "validation_failed",
      message: `method: ${message}`,
      param: "method",
      details: [{ param: "method", message }],
      extra: undefined,
    });
  });

  it.each([
    [{ method: "oidc", name: 5 }, "method"],
    [{ first_factor_only: true, bogus: 1 }, "first_factor_only"],
    [{ first_factor_only: true, method: "oidc" }, "method"],
  ])("PATCH %j: immutable_field before any other check", (body, param) => {
    const error = failure(() => parseBody(UpdateAuthMethodInput, body));
    expect({ code: error.code, message: error.message, param: error.param, details: error.details }).toEqual({
      code: "immutable_field",
      message: `${param} cannot be changed after creation; delete the auth method and create a new one instead`,
      param,
      details: undefined,
    });
  });

  it("a parsed PATCH keeps only the keys sent, and the nulls of its settings", () => {
    const patch = parseBody(UpdateAuthMethodInput, { featured: false, settings: { scopes: null } });
    expect(patch).toEqual({ featured: false, settings: { scopes: null } });
    expect("name" in patch).toBe(false);
  });
});
