import { createDb, type Db } from "@authpi/db";
import { createServices, type Services } from "@authpi/server";
import { type TestAccount, testKeyring } from "@authpi/server/testing";
import { parsed } from "@authpi/server/testing/bodies";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";

// Round trips per use case, counted on the wire: every statement any part of the services sends
// (pg or Prisma, which share the pool) goes through a pooled connection's `query`, wrapped here.

let db: Db;
let services: Services;
let account: TestAccount;
const statements: string[] = [];

function count(client: { query: (...args: never[]) => unknown }): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (...args: unknown[]) => {
    const first = args[0] as string | { text?: string };
    statements.push(typeof first === "string" ? first : (first.text ?? ""));
    return query(...args);
  };
}

async function measure(fn: () => Promise<unknown>): Promise<string[]> {
  statements.length = 0;
  await fn();
  return [...statements];
}

beforeAll(async () => {
  db = createDb(inject("databaseUrl"), { max: 4 });
  db.pool.on("connect", count);
  services = createServices(db, { keyring: testKeyring() });
  const boot = await services.accounts.bootstrap({ password: "statement-count-123" });
  account = { accountId: boot.account_id, apiKey: boot.api_key, adminEmail: boot.admin_email, adminPassword: "" };
  for (let i = 0; i < 5; i++) await services.issuers.create(account.accountId, parsed.issuer({ name: `Issuer ${i}` }));
});
afterAll(async () => {
  await services.close();
  await db.$disconnect();
});

describe("statements per use case", () => {
  test("a list page is one statement, cursor check included", async () => {
    const first = JSON.parse((await services.issuers.list(account.accountId, { limit: 2 })).json);
    expect(await measure(() => services.issuers.list(account.accountId, { limit: 2 }))).toHaveLength(1);
    expect(
      await measure(() => services.issuers.list(account.accountId, { limit: 2, cursor: first.next_cursor })),
    ).toHaveLength(1);
    expect(
      await measure(() =>
        services.issuers.list(account.accountId, { limit: 2, cursor: first.next_cursor, status: "active" }),
      ),
    ).toHaveLength(1);
    // An unknown cursor is found out by the same one statement.
    const unknown = "iss_01ARZ3NDEKTSV4RRFFQ69G5FAV";
    const refused = await measure(() =>
      services.issuers.list(account.accountId, { limit: 2, cursor: unknown }).catch((error: unknown) => error),
    );
    expect(refused).toHaveLength(1);
  });

  // A write and its audit event commit together (api-contract §9): one statement holds both, no transaction.
  test("GET one is one statement; POST one INSERT with its event; PATCH a read and one conditional UPDATE with its event", async () => {
    const created = await services.issuers.create(account.accountId, parsed.issuer({ name: "Counted" }));
    const id = created.value.id;
    expect(await measure(() => services.issuers.get(account.accountId, id))).toHaveLength(1);
    const post = await measure(() => services.issuers.create(account.accountId, parsed.issuer({ name: "One insert" })));
    expect(post).toHaveLength(1);
    expect(post[0]).toMatch(/^WITH changed AS \(INSERT INTO issuers .* RETURNING .*INSERT INTO audit_events /);
    // Another process (here: a fresh set of services) has never seen the issuer: it reads, then writes.
    const other = createServices(db, { keyring: testKeyring(), apiKeyCache: false });
    const patch = await measure(() => other.issuers.update(account.accountId, id, { description: "x" }));
    expect(patch).toHaveLength(2);
    expect(patch[0]).toMatch(/^SELECT .* FROM issuers WHERE account_id = \$1 AND id = \$2/);
    expect(patch[1]).toMatch(
      /^WITH changed AS \(UPDATE issuers SET .* WHERE id = \$1 AND version = \$2 RETURNING .*INSERT INTO audit_events /,
    );
    await other.close();
  });

  test("a PATCH from the version this process last saw is one statement; a stale one falls back to read and write", async () => {
    const { value } = await services.issuers.create(account.accountId, parsed.issuer({ name: "Fast path" }));
    const first = await measure(() => services.issuers.update(account.accountId, value.id, { description: "one" }));
    expect(first).toHaveLength(1);
    expect(first[0]).toMatch(/^WITH changed AS \(UPDATE issuers /);
    // Chained PATCHes stay at one statement: each starts from the version the previous one wrote.
    expect(
      await measure(() => services.issuers.update(account.accountId, value.id, { description: "two" })),
    ).toHaveLength(1);
    // Another process moves the version: this one's UPDATE matches no row, it reads and writes again.
    const other = createServices(db, { keyring: testKeyring(), apiKeyCache: false });
    await other.issuers.update(account.accountId, value.id, { description: "elsewhere" });
    await other.close();
    const stale = await measure(() =>
      services.issuers.update(account.accountId, value.id, { metadata: { after: "stale" } }),
    );
    expect(stale).toHaveLength(3);
    const current = JSON.parse((await services.issuers.get(account.accountId, value.id)).value.json);
    // Nothing of the other write is lost, and exactly one event per successful PATCH.
    expect(current).toMatchObject({ description: "elsewhere", metadata: { after: "stale" } });
    const events = JSON.parse(
      (await services.events.list(account.accountId, { limit: 10, resource_id: value.id })).json,
    );
    expect(events.data.map((e: { type: string }) => e.type)).toEqual([
      "issuer.updated",
      "issuer.updated",
      "issuer.updated",
      "issuer.updated",
      "issuer.created",
    ]);
    expect(events.data[0].changes).toEqual({ "metadata.after": { from: null, to: "stale" } });
  });

  // Reads stay out of the cache of written versions: a GET that kept its row there kept it past V8's
  // young generation and pushed an older one out, so every GET left garbage in the old generation.
  test("a GET caches nothing: a PATCH of an issuer this process only read reads it again", async () => {
    const other = createServices(db, { keyring: testKeyring(), apiKeyCache: false });
    const { value } = await other.issuers.create(account.accountId, parsed.issuer({ name: "Only read here" }));
    await other.close();
    await services.issuers.get(account.accountId, value.id);
    const patch = await measure(() => services.issuers.update(account.accountId, value.id, { description: "read" }));
    expect(patch).toHaveLength(2);
    expect(patch[0]).toMatch(/^SELECT .* FROM issuers WHERE account_id = \$1 AND id = \$2/);
    // What this process wrote, it starts the next PATCH from.
    expect(
      await measure(() => services.issuers.update(account.accountId, value.id, { description: "again" })),
    ).toHaveLength(1);
  });

  test("inside a transaction, a PATCH neither uses nor leaves a cached version", async () => {
    const { value } = await services.issuers.create(account.accountId, parsed.issuer({ name: "Rolled back" }));
    // A PATCH that rolls back must not leave its version for the next PATCH to start from.
    await services
      .transaction(async (tx) => {
        const inTx = await measure(() => tx.issuers.update(account.accountId, value.id, { description: "gone" }));
        expect(inTx.filter((s) => /^(SELECT|WITH)/.test(s))).toHaveLength(2);
        throw new Error("roll back");
      })
      .catch(() => {});
    const after = await measure(() => services.issuers.update(account.accountId, value.id, { description: "kept" }));
    // The version cached by the create is still the database's: one statement, and it is right.
    expect(after).toHaveLength(1);
    const current = JSON.parse((await services.issuers.get(account.accountId, value.id)).value.json);
    expect(current.description).toBe("kept");
  });

  test("an auth method's write carries its event: lock, checks and one write in one transaction", async () => {
    const { value: issuer } = await services.issuers.create(account.accountId, parsed.issuer({ name: "With methods" }));
    let id = "";
    const create = await measure(async () => {
      id = (
        await services.authMethods.create(
          account.accountId,
          issuer.id,
          parsed.authMethod({
            method: "email_otp",
            name: "Codes",
            first_factor_only: true,
          }),
        )
      ).value.id;
    });
    expect(create).toHaveLength(6);
    expect(create[0]).toMatch(/^SELECT i.id AS issuer_id/);
    expect(create[1]).toMatch(/^BEGIN/);
    expect(create[2]).toMatch(/^SELECT status FROM issuers WHERE id = \$1 FOR UPDATE/);
    expect(create[4]).toMatch(/^WITH changed AS \(INSERT INTO auth_methods .*INSERT INTO audit_events /);
    expect(create[5]).toBe("COMMIT");
    const update = await measure(() =>
      services.authMethods.update(account.accountId, issuer.id, id, { featured: true }),
    );
    expect(update).toHaveLength(5);
    expect(update[3]).toMatch(/^WITH changed AS \(UPDATE auth_methods .*INSERT INTO audit_events /);
  });

  test("a purge writes the events of all the issuers it removed in one statement", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { value } = await services.issuers.create(account.accountId, parsed.issuer({ name: `Purged ${i}` }));
      await services.issuers.delete(account.accountId, value.id);
      ids.push(value.id);
    }
    const later = new Date(Date.now() + 31 * 86_400_000);
    const purge = await measure(() => services.issuers.purgeExpired(later, { accountId: account.accountId }));
    expect(purge.filter((s) => s.includes("INSERT INTO audit_events"))).toHaveLength(1);
    const events = await db.auditEvent.findMany({ where: { accountId: account.accountId, type: "issuer.purged" } });
    expect(events.map((e) => [e.resourceId, e.issuerId]).sort()).toEqual(ids.map((id) => [id, id]).sort());
  });

  test("a cached API key costs no statement; its revocation is seen at once", async () => {
    await services.apiKeys.authenticate(account.apiKey);
    // The listener connects in the background; once it listens, lookups are served from memory.
    await expect
      .poll(async () => (await measure(() => services.apiKeys.authenticate(account.apiKey))).length, { timeout: 5_000 })
      .toBe(0);
    const { apiKey, secret } = await services.apiKeys.create(account.accountId, "to revoke");
    await services.apiKeys.authenticate(secret);
    expect(await measure(() => services.apiKeys.authenticate(secret))).toHaveLength(0);
    await services.apiKeys.revoke(account.accountId, apiKey.id);
    await expect(services.apiKeys.authenticate(secret)).rejects.toMatchObject({ code: "invalid_api_key" });
  });
});
