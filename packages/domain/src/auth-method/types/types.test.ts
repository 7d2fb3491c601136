import { describe, expect, it } from "vitest";
import {
  AUTH_METHOD_TYPES,
  AUTH_METHODS,
  AuthMethod,
  CreateAuthMethodInput,
  SINGLETON_AUTH_METHODS,
} from "../schema.ts";
import { AUTH_METHOD_TYPE_LIST } from "./index.ts";

/**
 * api-contract §1 "Auth method", row by row: what each type file must declare.
 * A new type adds its file, its entry in index.ts and its row here.
 */
const CONTRACT = {
  //                   first_factor_only  settings on create  required settings keys                                         secret keys        singleton
  oauth2: row(true, "required", ["provider", "client_id", "client_secret", "redirect_uri"], ["client_secret"], false),
  oidc: row(true, "required", ["issuer_url", "client_id", "client_secret"], ["client_secret"], false),
  apple: row(true, "required", ["client_id", "team_id", "key_id", "private_key"], ["private_key"], false),
  github: row(true, "required", ["client_id", "client_secret"], ["client_secret"], false),
  oauth2_manual: row(
    true,
    "required",
    ["authorization_url", "token_url", "client_id", "client_secret"],
    ["client_secret"],
    false,
  ),
  password: row(true, "required", [], [], true),
  temporary_password: row(true, "optional", [], [], true),
  email_link: row(true, "required", [], [], true),
  email_otp: row(true, "optional", [], [], true),
  sms_otp: row(true, "optional", [], [], true),
  passkey: row(null, "required", ["rp_id"], [], true),
  totp: row(false, "optional", [], [], true),
  backup_codes: row(false, "optional", [], [], true),
} as const;

function row(
  firstFactorOnly: boolean | null,
  settings: "required" | "optional",
  requiredKeys: string[],
  secretKeys: string[],
  singleton: boolean,
) {
  return { firstFactorOnly, settingsRequiredOnCreate: settings === "required", requiredKeys, secretKeys, singleton };
}

describe("the type files declare the contract's table", () => {
  it("lists exactly the contract's 13 types, in its order", () => {
    expect(AUTH_METHOD_TYPES).toEqual(Object.keys(CONTRACT));
    expect(Object.keys(AUTH_METHODS)).toEqual(Object.keys(CONTRACT));
  });

  it.each(AUTH_METHOD_TYPES)("%s", (method) => {
    const definition = AUTH_METHODS[method];
    const expected = CONTRACT[method];
    expect(definition.method).toBe(method);
    expect({
      firstFactorOnly: definition.firstFactorOnly,
      settingsRequiredOnCreate: definition.settingsRequiredOnCreate,
      requiredKeys: definition.requiredKeys,
      secretKeys: definition.secretKeys,
      singleton: definition.singleton,
    }).toEqual(expected);
    // Federated = may repeat; its credentials and endpoints (required + secret keys) are immutable.
    expect(definition.federated).toBe(!expected.singleton);
    expect(definition.immutableKeys).toEqual(
      definition.federated ? [...new Set([...expected.requiredKeys, ...expected.secretKeys])] : [],
    );
    for (const key of definition.secretKeys) expect(Object.keys(definition.settings.shape)).toContain(key);
  });

  it("derives the singletons, both unions and distinct OpenAPI ids from the one list", () => {
    expect(SINGLETON_AUTH_METHODS).toEqual(AUTH_METHOD_TYPES.filter((m) => CONTRACT[m].singleton));
    expect(CreateAuthMethodInput.options.map((o) => o.shape.method.value)).toEqual([...AUTH_METHOD_TYPES]);
    expect(AuthMethod.options.map((o) => o.shape.method.value)).toEqual([...AUTH_METHOD_TYPES]);
    const ids = AUTH_METHOD_TYPE_LIST.flatMap((t) => [t.create.meta()?.id, t.response.meta()?.id]);
    expect(new Set(ids).size).toBe(2 * AUTH_METHOD_TYPES.length);
    expect(ids.every((id) => typeof id === "string" && id.endsWith("AuthMethod"))).toBe(true);
  });
});
