import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parsed } from "../testing/bodies.ts";
import { type ServiceHarness, serviceHarness, type TestAccount } from "../testing/index.ts";
import { BREACHED_PASSWORDS_FILE } from "./breached-passwords.ts";

let now = new Date("2026-12-01T12:00:00.000Z");
const h: ServiceHarness = serviceHarness({ clock: () => now });
let account: TestAccount;
let issuerId: string;

async function newIssuer(name: string, passwordSettings: Record<string, unknown> | null = {}) {
  const issuer = (await h.services.issuers.create(account.accountId, parsed.issuer({ name }))).value.id;
  if (passwordSettings) {
    await h.services.authMethods.create(
      account.accountId,
      issuer,
      parsed.authMethod({
        name: "Password",
        method: "password",
        first_factor_only: true,
        settings: passwordSettings,
      }),
    );
  }
  return issuer;
}

beforeAll(async () => {
  account = await h.newAccount();
  issuerId = await newIssuer("Users", { min_length: 10 });
});
afterAll(() => h.close());

const PASSWORD = "correct horse battery staple";

describe("users service", () => {
  test("create hashes the password with argon2id and never returns it", async () => {
    const { value, etag } = await h.services.users.create(
      account.accountId,
      issuerId,
      parsed.user({
        email: "Ada@Example.com",
        name: "Ada Lovelace",
        password: PASSWORD,
      }),
    );
    expect(value).toMatchObject({
      object: "user",
      email: "Ada@Example.com",
      email_verified: false,
      status: "active",
      password_set: true,
      factors: [],
      identities: [],
      temporary_password_expires_at: null,
    });
    expect(value.id).toMatch(/^usr_/);
    expect(etag).toMatch(/^"/);
    expect(JSON.stringify(value)).not.toContain(PASSWORD);
    const row = await h.db.user.findUniqueOrThrow({ where: { id: value.id } });
    expect(row.passwordHash).toMatch(/^\$argon2id\$/);
  });

  test("emails are unique per issuer case-insensitively, and per issuer only", async () => {
    await h.services.users.create(account.accountId, issuerId, parsed.user({ email: "grace@example.com" }));
    await expect(
      h.services.users.create(account.accountId, issuerId, parsed.user({ email: "GRACE@example.COM" })),
    ).rejects.toMatchObject({ code: "email_taken", param: "email" });
    const other = await newIssuer("Other pool");
    const there = await h.services.users.create(account.accountId, other, parsed.user({ email: "grace@example.com" }));
    const here = await h.services.users.findByEmail(issuerId, "Grace@Example.com");
    expect(here?.id).toBeDefined();
    expect(there.value.id).not.toBe(here?.id);
    expect((await h.services.users.findByEmail(other, "GRACE@EXAMPLE.COM"))?.id).toBe(there.value.id);
  });

  test("50 concurrent creates of one email give exactly one user", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        h.services.users.create(
          account.accountId,
          issuerId,
          parsed.user({
            email: i % 2 ? "race@example.com" : "RACE@example.com",
          }),
        ),
      ),
    );
    const created = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter((r) => r.status === "rejected").map((r) => (r.reason as { code?: string }).code);
    expect(created).toHaveLength(1);
    expect(refused).toEqual(Array(49).fill("email_taken"));
  });

  test("each rule of the password method is enforced, naming the rule", async () => {
    const strict = await newIssuer("Strict", {
      min_length: 12,
      require_uppercase: true,
      require_lowercase: true,
      require_digit: true,
      require_symbol: true,
    });
    const cases: [string, string][] = [
      ["Short1!a", "min_length"],
      ["all lower case 1!", "require_uppercase"],
      ["ALL UPPER CASE 1!", "require_lowercase"],
      ["No Digits Here!!", "require_digit"],
      ["No Symbols Here 1", "require_symbol"],
    ];
    for (const [password, rule] of cases) {
      await expect(
        h.services.users.create(account.accountId, strict, parsed.user({ email: `${rule}@example.com`, password })),
        rule,
      ).rejects.toMatchObject({ code: "weak_password", param: "password", extra: { rule } });
    }
    const ok = await h.services.users.create(
      account.accountId,
      strict,
      parsed.user({
        email: "ok@example.com",
        password: "Good Password 1!",
      }),
    );
    expect(ok.value.password_set).toBe(true);
  });

  test("a password from the shipped breached list is refused when check_breached is on", async () => {
    const list = (await readFile(BREACHED_PASSWORDS_FILE, "utf8")).split("\n").filter(Boolean);
    expect(list.length).toBeGreaterThan(40_000);
    const breached = list.find((p) => p.length >= 12) as string;
    const checking = await newIssuer("Breach check", { min_length: 12 });
    await expect(
      h.services.users.create(account.accountId, checking, parsed.user({ email: "b@example.com", password: breached })),
    ).rejects.toMatchObject({ code: "weak_password", extra: { rule: "check_breached" } });
    // Upper-casing a breached password does not make it safe.
    await expect(
      h.services.users.create(
        account.accountId,
        checking,
        parsed.user({
          email: "b@example.com",
          password: breached.toUpperCase(),
        }),
      ),
    ).rejects.toMatchObject({ code: "weak_password", extra: { rule: "check_breached" } });
    const lenient = await newIssuer("No breach check", { min_length: 12, check_breached: false });
    const user = await h.services.users.create(
      account.accountId,
      lenient,
      parsed.user({
        email: "b@example.com",
        password: breached,
      }),
    );
    expect(user.value.password_set).toBe(true);
  });

  test("password history: the last history_count passwords cannot be reused", async () => {
    const keeping = await newIssuer("History", { min_length: 10, history_count: 2 });
    const { value } = await h.services.users.create(
      account.accountId,
      keeping,
      parsed.user({
        email: "h@example.com",
        password: "first password",
      }),
    );
    await h.services.users.update(account.accountId, keeping, value.id, { password: "second password" });
    for (const reused of ["first password", "second password"]) {
      await expect(
        h.services.users.update(account.accountId, keeping, value.id, { password: reused }),
      ).rejects.toMatchObject({ code: "weak_password", extra: { rule: "history_count" } });
    }
    await h.services.users.update(account.accountId, keeping, value.id, { password: "third password" });
    // "first" is now three passwords back: allowed again with history_count 2.
    await h.services.users.update(account.accountId, keeping, value.id, { password: "first password" });
  });

  test("password and temporary_password need their auth method", async () => {
    const bare = await newIssuer("No methods", null);
    await expect(
      h.services.users.create(account.accountId, bare, parsed.user({ email: "x@example.com", password: PASSWORD })),
    ).rejects.toMatchObject({ code: "auth_method_disabled", param: "password" });
    await expect(
      h.services.users.create(
        account.accountId,
        bare,
        parsed.user({ email: "x@example.com", temporary_password: true }),
      ),
    ).rejects.toMatchObject({ code: "auth_method_disabled", param: "temporary_password" });
  });

  test("temporary password: generated with the method's length, shown once, expires after its ttl", async () => {
    const temp = await newIssuer("Temporary", null);
    await h.services.authMethods.create(
      account.accountId,
      temp,
      parsed.authMethod({
        name: "Temporary",
        method: "temporary_password",
        first_factor_only: true,
        settings: { length: 20, ttl_seconds: 600 },
      }),
    );
    const created = await h.services.users.create(
      account.accountId,
      temp,
      parsed.user({
        email: "t@example.com",
        temporary_password: true,
      }),
    );
    const generated = created.value.temporary_password as string;
    expect(generated).toHaveLength(20);
    expect(created.value.temporary_password_expires_at).toBe("2026-12-01T12:10:00.000Z");
    const got = await h.services.users.get(account.accountId, temp, created.value.id);
    expect(JSON.stringify(got)).not.toContain(generated);
    expect((await h.services.users.verifyTemporaryPassword(temp, "T@example.com", generated))?.id).toBe(
      created.value.id,
    );
    expect(await h.services.users.verifyTemporaryPassword(temp, "t@example.com", "wrong")).toBeNull();
    now = new Date(now.getTime() + 600_000);
    try {
      expect(await h.services.users.verifyTemporaryPassword(temp, "t@example.com", generated)).toBeNull();
      expect(
        (await h.services.users.get(account.accountId, temp, created.value.id)).value.temporary_password_expires_at,
      ).toBeNull();
    } finally {
      now = new Date(now.getTime() - 600_000);
    }
  });

  test("the provider interface: verifyPassword, signUp, markSignedIn, setEmailVerified", async () => {
    await h.services.users.create(
      account.accountId,
      issuerId,
      parsed.user({ email: "Sign@Example.com", password: PASSWORD }),
    );
    const user = await h.services.users.verifyPassword(issuerId, "sign@example.com", PASSWORD);
    expect(user).toMatchObject({ email: "Sign@Example.com", passwordSet: true, status: "active" });
    expect(user && "passwordHash" in user).toBe(false);
    expect(await h.services.users.verifyPassword(issuerId, "sign@example.com", "wrong password")).toBeNull();
    expect(await h.services.users.verifyPassword(issuerId, "nobody@example.com", PASSWORD)).toBeNull();

    // A blocked user is returned: the caller refuses it with its own message.
    const id = user?.id as string;
    await h.services.users.update(account.accountId, issuerId, id, { status: "blocked" });
    expect((await h.services.users.verifyPassword(issuerId, "sign@example.com", PASSWORD))?.status).toBe("blocked");

    const signedUp = await h.services.users.signUp(issuerId, {
      email: "new@example.com",
      password: PASSWORD,
      name: "New",
    });
    expect(signedUp).toMatchObject({ email: "new@example.com", name: "New", emailVerified: false, passwordSet: true });
    await expect(
      h.services.users.signUp(issuerId, { email: "NEW@example.com", password: PASSWORD }),
    ).rejects.toMatchObject({
      code: "email_taken",
    });
    await expect(
      h.services.users.signUp(issuerId, { email: "weak@example.com", password: "short" }),
    ).rejects.toMatchObject({
      code: "weak_password",
    });
    const at = new Date("2026-12-01T12:34:56.789Z");
    await h.services.users.markSignedIn(issuerId, signedUp.id, at);
    await h.services.users.setEmailVerified(issuerId, signedUp.id);
    expect(await h.services.users.findById(issuerId, signedUp.id)).toMatchObject({
      lastSignInAt: at,
      emailVerified: true,
    });
    expect(await h.services.users.findById(issuerId, "usr_bad")).toBeNull();
  });

  test("list pages by cursor, with and without the status filter", async () => {
    const pool = await newIssuer("Paged");
    const ids: string[] = [];
    for (const [i, status] of ["active", "blocked", "blocked", "active", "blocked"].entries()) {
      ids.push(
        (await h.services.users.create(account.accountId, pool, parsed.user({ email: `p${i}@example.com`, status })))
          .value.id,
      );
    }
    const newest = [...ids].reverse();
    const first = await h.services.users.list(account.accountId, pool, { limit: 2 });
    expect(first.data.map((u) => u.id)).toEqual(newest.slice(0, 2));
    const rest = await h.services.users.list(account.accountId, pool, {
      limit: 10,
      cursor: first.next_cursor as string,
    });
    expect(rest.data.map((u) => u.id)).toEqual(newest.slice(2));
    const blocked = [ids[4], ids[2], ids[1]];
    const page = await h.services.users.list(account.accountId, pool, { limit: 1, status: "blocked" });
    expect(page.data.map((u) => u.id)).toEqual(blocked.slice(0, 1));
    const after = await h.services.users.list(account.accountId, pool, {
      limit: 10,
      status: "blocked",
      cursor: page.next_cursor as string,
    });
    expect(after.data.map((u) => u.id)).toEqual(blocked.slice(1));
    expect(after.has_more).toBe(false);
  });

  test("the provider's writes record events (sign-up, a chosen password, a verified email); a sign-in does not", async () => {
    const types = async (id: string) =>
      (await h.db.auditEvent.findMany({ where: { resourceId: id }, orderBy: { id: "asc" } })).map((e) => ({
        type: e.type,
        changes: e.changes,
      }));
    const user = await h.services.users.signUp(issuerId, { email: "events@example.com", password: PASSWORD });
    const [created] = await types(user.id);
    expect(created?.type).toBe("user.created");
    expect(created?.changes).toMatchObject({ password: { from: null, to: "[set]" } });
    await h.services.users.markSignedIn(issuerId, user.id);
    await h.services.users.setPassword(issuerId, user.id, "a brand new passphrase");
    await h.services.users.setEmailVerified(issuerId, user.id);
    await h.services.users.setEmailVerified(issuerId, user.id); // already verified: no change, no event
    const events = await types(user.id);
    expect(events.slice(1)).toEqual([
      { type: "user.updated", changes: { password: { from: "[set]", to: "[set]" } } },
      { type: "user.updated", changes: { email_verified: { from: false, to: true } } },
    ]);
    const text = JSON.stringify(events);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain("a brand new passphrase");
    expect(text).not.toContain("$argon2id$");
  });

  test("delete, block and sign-out-everywhere revoke the user's provider artifacts", async () => {
    const revoked: string[] = [];
    const { createServices } = await import("../services.ts");
    const { testKeyring } = await import("../testing/index.ts");
    const services = createServices(h.db, {
      keyring: testKeyring(),
      providerArtifacts: {
        revokeClient: async () => {},
        revokeUser: async (sql, issuer, user) => {
          // On the change's transaction, so the write and the revocation commit together.
          expect(sql.inTransaction).toBe(true);
          revoked.push(`${issuer}/${user}`);
        },
      },
    });
    const { value } = await services.users.create(
      account.accountId,
      issuerId,
      parsed.user({ email: "rev@example.com" }),
    );
    const key = `${issuerId}/${value.id}`;
    await services.users.revokeSessions(account.accountId, issuerId, value.id);
    expect(revoked).toEqual([key]);
    await services.users.update(account.accountId, issuerId, value.id, { name: "Still active" });
    expect(revoked).toEqual([key]);
    await services.users.update(account.accountId, issuerId, value.id, { status: "blocked" });
    expect(revoked).toEqual([key, key]);
    await services.users.delete(account.accountId, issuerId, value.id);
    expect(revoked).toEqual([key, key, key]);
    expect(await services.users.findById(issuerId, value.id)).toBeNull();
  });

  test("a revocation that fails undoes the delete and its event", async () => {
    const { createServices } = await import("../services.ts");
    const { testKeyring } = await import("../testing/index.ts");
    const services = createServices(h.db, {
      keyring: testKeyring(),
      providerArtifacts: {
        revokeClient: async () => {},
        revokeUser: async (sql) => {
          // The artifacts' DELETE ran; then the provider fails: everything goes back.
          await sql.query({ name: "test_noop", text: "SELECT 1" }, []);
          throw new Error("provider storage down");
        },
      },
    });
    const { value } = await services.users.create(
      account.accountId,
      issuerId,
      parsed.user({ email: "undo@example.com" }),
    );
    await expect(services.users.delete(account.accountId, issuerId, value.id)).rejects.toThrow("provider storage down");
    expect(await services.users.findById(issuerId, value.id)).not.toBeNull();
    const events = await h.db.auditEvent.findMany({ where: { resourceId: value.id } });
    expect(events.map((e) => e.type)).toEqual(["user.created"]);
  });

  test("removing a factor deletes it and changes the user's ETag", async () => {
    const { value, etag } = await h.services.users.create(
      account.accountId,
      issuerId,
      parsed.user({ email: "fac@example.com" }),
    );
    const factorId = "fac_01JDQ3S6A1B2C3D4E5F6G7H8J9";
    await h.db.userFactor.create({
      data: { id: factorId, userId: value.id, type: "totp", name: "Phone", createdAt: now },
    });
    // Any write moves the ETag: the one from the create is stale now.
    await h.services.users.update(account.accountId, issuerId, value.id, { name: "Factor owner" });
    const before = await h.services.users.get(account.accountId, issuerId, value.id);
    expect(before.value.factors).toEqual([
      { id: factorId, type: "totp", name: "Phone", created_at: now.toISOString(), last_used_at: null },
    ]);
    await expect(
      h.services.users.removeFactor(account.accountId, issuerId, value.id, factorId, { ifMatch: etag }),
    ).rejects.toMatchObject({ code: "precondition_failed" });
    await h.services.users.removeFactor(account.accountId, issuerId, value.id, factorId, { ifMatch: before.etag });
    const after = await h.services.users.get(account.accountId, issuerId, value.id);
    expect(after.value.factors).toEqual([]);
    expect(after.etag).not.toBe(etag);
    await expect(h.services.users.removeFactor(account.accountId, issuerId, value.id, factorId)).rejects.toMatchObject({
      code: "resource_missing",
      param: "factor_id",
    });
  });
});
