import { describe, expect, test } from "vitest";
import { SignInInput } from "./admin/schema.ts";
import { exampleAuthMethodBody } from "./auth-method/examples.ts";
import { applyAuthMethodPatch, authMethodConfigForCreate } from "./auth-method/rules.ts";
import { CreateAuthMethodInput, UpdateAuthMethodInput } from "./auth-method/schema.ts";
import { httpsUrl, Metadata, Name, safeString } from "./common.ts";
import { DomainError } from "./errors.ts";
import { assertJsonBodySafe, MAX_JSON_DEPTH, parseBody, unsafeTextReason } from "./input-safety.ts";
import { applyIssuerPatch, issuerConfigForCreate } from "./issuer/rules.ts";
import { CreateIssuerInput, ListIssuersQuery } from "./issuer/schema.ts";

function failure(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error("expected a DomainError");
}

const LONE_HIGH = "\ud800";
const LONE_LOW = "\udc00";

describe("unsafeTextReason", () => {
  test.each([
    ["", null],
    ["plain", null],
    ["Ünïcödé 身份 🔐", null],
    ["😀", null],
    ["\ud83d\ude00", null],
  ])("%j is safe", (value, expected) => {
    expect(unsafeTextReason(value)).toBe(expected);
  });

  test.each(["\u0000", "a\u0000b", LONE_HIGH, LONE_LOW, `x${LONE_HIGH}y`, `${LONE_LOW}\ud83d`, "😀".slice(0, 1)])(
    "%j is refused",
    (value) => {
      expect(unsafeTextReason(value)).toMatch(/NUL|surrogate/);
    },
  );
});

describe("assertJsonBodySafe", () => {
  test("accepts every safe JSON value", () => {
    const body = JSON.parse(
      '{"name":"ok","n":[1,-2.5,0,1e308,null,true],"metadata":{"team":"身份"},"deep":{"a":{"b":"😀"}}}',
    );
    expect(() => assertJsonBodySafe(body)).not.toThrow();
  });

  test.each([
    ['{"metadata":{"a":"\\ud800"}}', "metadata.a", /surrogate/],
    ['{"settings":{"branding":{"display_name":"x\\udc00"}}}', "settings.branding.display_name", /surrogate/],
    ['{"settings":{"client_id":"\\ud800"}}', "settings.client_id", /surrogate/],
    ['{"name":"a\\u0000b"}', "name", /NUL/],
    ['{"available_scopes":["ok","\\u0000"]}', "available_scopes[1]", /NUL/],
    ['{"metadata":{"k\\u0000":"v"}}', "metadata", /Keys must not contain NUL/],
    ['{"metadata":{"\\ud800":"v"}}', "metadata", /Keys must not contain unpaired/],
    ['{"settings":{"session":{"lifetime_seconds":1e309}}}', "settings.session.lifetime_seconds", /finite/],
    ['{"a":[-1e400]}', "a[0]", /finite/],
    ['{"metadata":{"__proto__":"x"}}', "metadata.__proto__", /reserved/],
    ['{"metadata":{"constructor":"x"}}', "metadata.constructor", /reserved/],
    ['{"settings":{"prototype":{}}}', "settings.prototype", /reserved/],
    ['{"__proto__":{"admin":true}}', "__proto__", /reserved/],
  ])("%s is a 400 naming %s", (raw, param, message) => {
    const error = failure(() => assertJsonBodySafe(JSON.parse(raw)));
    expect(error.code).toBe("validation_failed");
    expect(error.status).toBe(400);
    expect(error.param).toBe(param);
    expect(error.message).toBe(`${param}: ${error.details?.[0]?.message}`);
    expect(error.details?.[0]?.message).toMatch(message);
  });

  test("never echoes a bad key in the error", () => {
    const error = failure(() => assertJsonBodySafe(JSON.parse('{"metadata":{"secret\\u0000key":"v"}}')));
    expect(JSON.stringify(error.details)).not.toContain("secret");
    expect(error.message).not.toContain("secret");
  });

  test("a bare unsafe value has no param", () => {
    const error = failure(() => assertJsonBodySafe("\u0000"));
    expect(error.param).toBeUndefined();
    expect(error.message).toBe("body: Must not contain NUL characters");
  });

  test(`nesting deeper than ${MAX_JSON_DEPTH} is invalid_json; at the limit it is fine`, () => {
    const nest = (depth: number): unknown => (depth === 0 ? "leaf" : { a: nest(depth - 1) });
    expect(() => assertJsonBodySafe(nest(MAX_JSON_DEPTH))).not.toThrow();
    expect(failure(() => assertJsonBodySafe(nest(MAX_JSON_DEPTH + 1))).code).toBe("invalid_json");
  });
});

describe("the rules check their input whole", () => {
  test("issuer create and patch refuse surrogates, NUL, Infinity and reserved keys with the field named", () => {
    expect(failure(() => issuerConfigForCreate({ name: "x", metadata: { a: LONE_HIGH } })).param).toBe("metadata.a");
    expect(failure(() => issuerConfigForCreate(JSON.parse('{"name":"x","metadata":{"__proto__":"y"}}'))).param).toBe(
      "metadata.__proto__",
    );
    const current = { ...issuerConfigForCreate({ name: "x" }), status: "active" } as never;
    expect(
      failure(() => applyIssuerPatch(current, { settings: { session: { lifetime_seconds: Infinity } } })).param,
    ).toBe("settings.session.lifetime_seconds");
    expect(failure(() => applyIssuerPatch(current, { name: `x${LONE_LOW}` })).param).toBe("name");
  });

  test("auth method create and patch refuse a lone surrogate in settings.client_id", () => {
    const body = exampleAuthMethodBody("oidc");
    const settings = { ...(body.settings as object), client_id: LONE_HIGH };
    // What the doors do: parse the body at the boundary, then apply the rule.
    expect(failure(() => parseBody(CreateAuthMethodInput, { ...body, settings })).param).toBe("settings.client_id");
    const context = { issuerName: "P" };
    const current = authMethodConfigForCreate(
      parseBody(CreateAuthMethodInput, exampleAuthMethodBody("passkey")),
      context,
    );
    const patch = { settings: { rp_name: LONE_HIGH } };
    expect(failure(() => applyAuthMethodPatch(current, parseBody(UpdateAuthMethodInput, patch), context)).param).toBe(
      "settings.rp_name",
    );
  });
});

describe("string schemas refuse what Postgres cannot store, without the body check", () => {
  // What a door that parses with Zod alone (tRPC) would see.
  const hostile = ["\u0000", `a\u0000`, LONE_HIGH, `${LONE_LOW}z`];

  test.each(hostile)("safeString, Name, Metadata, httpsUrl refuse %j", (value) => {
    expect(safeString().safeParse(value).success).toBe(false);
    expect(Name.safeParse(`n${value}`).success).toBe(false);
    expect(Metadata.safeParse({ k: value }).success).toBe(false);
    expect(Metadata.safeParse({ [`k${value}`]: "v" }).success).toBe(false);
    expect(httpsUrl().safeParse(`https://example.com/${value}`).success).toBe(false);
  });

  test.each(hostile)("the sign-in form refuses %j in the email and the password", (value) => {
    const email = SignInInput.safeParse({ email: `a${value}@example.com`, password: "pw" });
    expect(email.error?.issues[0]?.path).toEqual(["email"]);
    const password = SignInInput.safeParse({ email: "a@example.com", password: `pw${value}` });
    expect(password.error?.issues[0]?.path).toEqual(["password"]);
  });

  test("issuer and auth method bodies name the field", () => {
    const issuer = CreateIssuerInput.safeParse({
      name: "x",
      description: LONE_HIGH,
      settings: { branding: { display_name: "\u0000" } },
    });
    expect(issuer.error?.issues.map((i) => i.path.join("."))).toEqual([
      "description",
      "settings.branding.display_name",
    ]);
    const body = exampleAuthMethodBody("oidc");
    const method = CreateAuthMethodInput.safeParse({
      ...body,
      settings: { ...(body.settings as object), client_id: LONE_HIGH, client_secret: "s\u0000" },
    });
    expect(method.error?.issues.map((i) => i.path.join("."))).toEqual(["settings.client_id", "settings.client_secret"]);
    expect(ListIssuersQuery.safeParse({ cursor: "iss_\u0000" }).success).toBe(false);
  });

  test("metadata refuses reserved keys the record would otherwise keep", () => {
    expect(Metadata.safeParse({ constructor: "x" }).success).toBe(false);
    expect(Metadata.safeParse({ prototype: "x" }).success).toBe(false);
    expect(Metadata.safeParse({ team: "x" }).success).toBe(true);
  });
});
