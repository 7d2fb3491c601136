import { describe, expect, test } from "vitest";
import { DomainError } from "../errors.ts";
import { applyIssuerPatch, issuerConfigForCreate, purgeAfter } from "./rules.ts";
import type { Issuer } from "./schema.ts";

function issuer(overrides: Partial<Issuer> = {}): Issuer {
  const config = issuerConfigForCreate({ name: "Base" });
  return {
    object: "issuer",
    id: "iss_01M8FNXRDG6PFQ1QYSHA3R8PXW",
    account_id: "acct_01M8FNXRDG6PFQ1QYSHA3R8PXW",
    ...config,
    created_at: "2026-11-27T00:00:00.000Z",
    updated_at: "2026-11-27T00:00:00.000Z",
    deleted_at: null,
    purge_after: null,
    issuer_url: "http://localhost:3000/oidc/iss_01M8FNXRDG6PFQ1QYSHA3R8PXW",
    ...overrides,
  };
}

function domainError(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error("expected a DomainError");
}

describe("issuerConfigForCreate", () => {
  test("fills every default", () => {
    const config = issuerConfigForCreate({ name: "x" });
    expect(config.settings.session.lifetime_seconds).toBe(1_209_600);
    expect(config.settings.mfa).toEqual({ policy: "optional", remember_device_days: 30 });
    expect(config.available_scopes).toEqual(["openid", "profile", "email"]);
    expect(config.status).toBe("active");
  });

  test("status deleted is 422 use_delete_endpoint", () => {
    expect(domainError(() => issuerConfigForCreate({ name: "x", status: "deleted" })).code).toBe("use_delete_endpoint");
  });

  test("names the first failing field with its full path", () => {
    const error = domainError(() => issuerConfigForCreate({ name: "x", settings: { mfa: { policy: 1 } } }));
    expect(error.code).toBe("validation_failed");
    expect(error.param).toBe("settings.mfa.policy");
  });

  test("refuses NUL characters and absurd nesting before validating", () => {
    expect(domainError(() => issuerConfigForCreate({ name: "a\u0000" })).param).toBe("name");
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = { a: deep };
    expect(domainError(() => issuerConfigForCreate({ name: "x", metadata: deep })).code).toBe("invalid_json");
  });
});

describe("applyIssuerPatch", () => {
  test("merges settings and keeps what the patch does not name", () => {
    const next = applyIssuerPatch(issuer(), { settings: { mfa: { policy: "required" } } });
    expect(next.settings.mfa).toEqual({ policy: "required", remember_device_days: 30 });
    expect(next.settings.session.lifetime_seconds).toBe(1_209_600);
    expect(next.name).toBe("Base");
  });

  test("a deleted issuer accepts only a restoring patch", () => {
    const deleted = issuer({ status: "deleted", deleted_at: "2026-11-27T00:00:00.000Z" });
    expect(domainError(() => applyIssuerPatch(deleted, { name: "x" })).code).toBe("issuer_deleted");
    expect(domainError(() => applyIssuerPatch(deleted, { status: "disabled" })).code).toBe("issuer_deleted");
    expect(applyIssuerPatch(deleted, { status: "active", name: "Back" })).toMatchObject({
      status: "active",
      name: "Back",
    });
  });

  test("description null clears it; undefined keeps it", () => {
    const described = issuer({ description: "text" });
    expect(applyIssuerPatch(described, {}).description).toBe("text");
    expect(applyIssuerPatch(described, { description: null }).description).toBeNull();
  });
});

test("purgeAfter adds the grace period in days", () => {
  expect(purgeAfter(new Date("2026-01-01T00:00:00.000Z"), 30).toISOString()).toBe("2026-01-31T00:00:00.000Z");
});
