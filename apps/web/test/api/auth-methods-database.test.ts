import { exampleAuthMethodBody, newId } from "@authpi/domain";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { uniqueViolationIndex } from "../../../../packages/server/src/unique-violation.ts";
import type { ApiHarness } from "../harness.ts";
import { authMethodHarness, newIssuer } from "./auth-method-fixtures.ts";

let api: ApiHarness;
let issuer: string;

beforeAll(async () => {
  api = await authMethodHarness();
  issuer = await newIssuer(api, "Database rules");
});
afterAll(async () => {
  await api.close();
});

/** Inserts a row directly, past the service's checks, as a concurrent or buggy writer would. */
function insertRaw(method: string, name: string) {
  const now = new Date();
  return api.db.authMethod.create({
    data: {
      id: newId("authMethod"),
      issuerId: issuer,
      name,
      method,
      enabledLogin: true,
      enabledSignup: true,
      featured: false,
      firstFactorOnly: method !== "totp",
      settings: {},
      createdAt: now,
      updatedAt: now,
    },
  });
}

async function violation(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    expect((error as { code?: string }).code).toBe("P2002");
    return uniqueViolationIndex(error);
  }
  throw new Error("expected a unique violation");
}

describe("the database enforces the rules the service checks", () => {
  test("a second singleton is refused by the partial unique index", async () => {
    const res = await api.request("POST", `/issuers/${issuer}/auth-methods`, {
      body: exampleAuthMethodBody("password"),
    });
    expect(res.status).toBe(201);
    expect(await violation(insertRaw("password", "Another password"))).toBe(
      "auth_methods_issuer_id_singleton_method_key",
    );
  });

  test("federated methods may repeat in the database too", async () => {
    await insertRaw("github", "GitHub one");
    await insertRaw("github", "GitHub two");
  });

  test("names are unique per issuer in any case", async () => {
    await insertRaw("oidc", "Corporate SSO");
    expect(await violation(insertRaw("oidc", "CORPORATE sso"))).toBe("auth_methods_issuer_id_lower_name_key");
    const elsewhere = await newIssuer(api, "Elsewhere");
    const now = new Date();
    await api.db.authMethod.create({
      data: {
        id: newId("authMethod"),
        issuerId: elsewhere,
        name: "Corporate SSO",
        method: "oidc",
        enabledLogin: true,
        enabledSignup: true,
        featured: false,
        firstFactorOnly: true,
        settings: {},
        createdAt: now,
        updatedAt: now,
      },
    });
  });

  test("other errors are not mistaken for unique violations", () => {
    expect(uniqueViolationIndex(new Error("Unique constraint failed"))).toBeUndefined();
    expect(uniqueViolationIndex({ code: "P2003", meta: {} })).toBeUndefined();
    expect(uniqueViolationIndex(null)).toBeUndefined();
  });
});
