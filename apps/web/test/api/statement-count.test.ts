import { createDb, type Db } from "@authpi/db";
import { createServices, type Services } from "@authpi/server";
import { type TestAccount, testKeyring } from "@authpi/server/testing";
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
  for (let i = 0; i < 5; i++) await services.issuers.create(account.accountId, { name: `Issuer ${i}` });
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

  test("GET one is one statement; POST one INSERT; PATCH one read and one conditional UPDATE", async () => {
    const created = await services.issuers.create(account.accountId, { name: "Counted" });
    const id = created.value.id;
    expect(await measure(() => services.issuers.get(account.accountId, id))).toHaveLength(1);
    const post = await measure(() => services.issuers.create(account.accountId, { name: "One insert" }));
    expect(post).toHaveLength(1);
    expect(post[0]).toMatch(/^INSERT INTO issuers .* RETURNING /);
    // This process wrote and read it, so a PATCH starts from that version: one conditional UPDATE.
    const patch = await measure(() => services.issuers.update(account.accountId, id, { description: "x" }));
    expect(patch).toHaveLength(1);
    expect(patch[0]).toMatch(/^UPDATE issuers SET .* WHERE id = \$1 AND version = \$2 RETURNING /);
  });

  test("a PATCH of an issuer this process has not seen reads it first: two statements", async () => {
    const elsewhere = createServices(db, { keyring: testKeyring() });
    const { value } = await elsewhere.issuers.create(account.accountId, { name: "Made elsewhere" });
    const patch = await measure(() => services.issuers.update(account.accountId, value.id, { description: "y" }));
    expect(patch).toHaveLength(2);
    expect(patch[1]).toMatch(/^UPDATE issuers SET .* WHERE id = \$1 AND version = \$2 RETURNING /);
  });

  test("a version this process saw but another one changed since: no lost update, no false 412", async () => {
    const elsewhere = createServices(db, { keyring: testKeyring() });
    const { value } = await services.issuers.create(account.accountId, { name: "Raced", metadata: { a: "1" } });
    const moved = await elsewhere.issuers.update(account.accountId, value.id, { metadata: { b: "2" } });
    // This process still remembers version 1: its UPDATE misses, it reads again and re-applies.
    const statementsOfRetry = await measure(async () => {
      const mine = await services.issuers.update(account.accountId, value.id, { metadata: { c: "3" } });
      expect(mine.value.metadata).toEqual({ a: "1", b: "2", c: "3" });
    });
    expect(statementsOfRetry).toHaveLength(3);
    // The other process's ETag is current, so If-Match with it succeeds here too.
    const again = await elsewhere.issuers.update(account.accountId, value.id, { description: "z" });
    expect(again.etag).not.toBe(moved.etag);
    const pinned = await services.issuers.update(
      account.accountId,
      value.id,
      { name: "Pinned" },
      { ifMatch: again.etag },
    );
    expect(pinned.value).toMatchObject({ name: "Pinned", description: "z" });
    await expect(
      services.issuers.update(account.accountId, value.id, { name: "Stale" }, { ifMatch: again.etag }),
    ).rejects.toMatchObject({ code: "precondition_failed" });
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
