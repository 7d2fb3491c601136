import { describe, expect, it } from "vitest";
import { diffChanges, touchedSecrets } from "./diff.ts";
import { EVENT_TYPES, ListEventsQuery } from "./schema.ts";

describe("diffChanges", () => {
  it("names each changed leaf by its dotted path, with before and after", () => {
    const before = { name: "Prod", settings: { session: { lifetime_seconds: 1209600, idle_timeout_seconds: 86400 } } };
    const after = { name: "Prod", settings: { session: { lifetime_seconds: 86400, idle_timeout_seconds: 86400 } } };
    expect(diffChanges(before, after)).toEqual({
      "settings.session.lifetime_seconds": { from: 1209600, to: 86400 },
    });
  });

  it("is empty when nothing changed, whatever the key order", () => {
    expect(diffChanges({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toEqual({});
  });

  it("treats arrays as one value and a missing field as null", () => {
    expect(diffChanges({ scopes: ["openid"], d: null }, { scopes: ["openid", "email"] })).toEqual({
      scopes: { from: ["openid"], to: ["openid", "email"] },
    });
    expect(diffChanges({ metadata: { team: "a" } }, { metadata: {} })).toEqual({
      "metadata.team": { from: "a", to: null },
    });
  });

  it("lists every field of a creation from null and of a deletion to null", () => {
    expect(diffChanges(undefined, { name: "x", settings: { mfa: { policy: "off" } } })).toEqual({
      name: { from: null, to: "x" },
      "settings.mfa.policy": { from: null, to: "off" },
    });
    expect(diffChanges({ name: "x" }, null)).toEqual({ name: { from: "x", to: null } });
  });

  it("skips ignored top-level fields", () => {
    expect(
      diffChanges({ updated_at: "a", name: "x" }, { updated_at: "b", name: "y" }, { ignore: ["updated_at"] }),
    ).toEqual({ name: { from: "x", to: "y" } });
  });

  it("writes a secret only as [set], never its value", () => {
    const secretPaths = ["settings.client_secret"];
    const created = diffChanges(
      undefined,
      { settings: { client_id: "id", client_secret: "hunter2" } },
      { secretPaths },
    );
    expect(created).toEqual({
      "settings.client_id": { from: null, to: "id" },
      "settings.client_secret": { from: null, to: "[set]" },
    });
    const changed = diffChanges(
      { settings: { client_secret: "old-value" } },
      { settings: { client_secret: "new-value" } },
      { secretPaths },
    );
    expect(changed).toEqual({ "settings.client_secret": { from: "[set]", to: "[set]" } });
    const removed = diffChanges({ settings: { client_secret: "old-value" } }, undefined, { secretPaths });
    expect(removed).toEqual({ "settings.client_secret": { from: "[set]", to: null } });
    for (const diff of [created, changed, removed]) {
      expect(JSON.stringify(diff)).not.toMatch(/hunter2|old-value|new-value/);
    }
  });

  it("does not report an unchanged secret, and masks a secret that is an object", () => {
    const secretPaths = ["settings.key"];
    expect(diffChanges({ settings: { key: "s" } }, { settings: { key: "s" } }, { secretPaths })).toEqual({});
    expect(diffChanges(undefined, { settings: { key: { pem: "p" } } }, { secretPaths })).toEqual({
      "settings.key": { from: null, to: "[set]" },
    });
  });

  it("reports a scalar replaced by an object", () => {
    expect(diffChanges({ a: 1 }, { a: { b: 2 } })).toEqual({ a: { from: 1, to: null }, "a.b": { from: null, to: 2 } });
  });

  it("touchedSecrets marks re-encrypted secrets [set] → [set]", () => {
    expect(touchedSecrets(["settings.private_key"])).toEqual({
      "settings.private_key": { from: "[set]", to: "[set]" },
    });
  });
});

describe("event schema", () => {
  it("declares the contract's types", () => {
    for (const type of [
      "issuer.created",
      "issuer.updated",
      "issuer.deleted",
      "issuer.restored",
      "issuer.purged",
      "auth_method.created",
      "client.secret_rotated",
      "issuer.signing_key_rotated",
      "user.sessions_revoked",
      "user.factor_removed",
      "api_key.created",
      "api_key.revoked",
      "operator.signed_in",
    ]) {
      expect(EVENT_TYPES).toContain(type);
    }
  });

  it("list query: filters are optional, an unknown type or field is refused", () => {
    expect(ListEventsQuery.parse({ limit: "10", type: "issuer.updated" })).toEqual({
      limit: 10,
      type: "issuer.updated",
    });
    expect(ListEventsQuery.safeParse({ type: "issuer.exploded" }).success).toBe(false);
    expect(ListEventsQuery.safeParse({ account: "x" }).success).toBe(false);
    expect(ListEventsQuery.safeParse({ limit: "0" }).success).toBe(false);
  });
});
