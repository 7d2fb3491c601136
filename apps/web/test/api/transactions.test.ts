import { type ServiceHarness, serviceHarness, type TestAccount } from "@authpi/server/testing";
import { parsed } from "@authpi/server/testing/bodies";
import { afterAll, beforeAll, expect, test } from "vitest";

// Transactions are explicit: `services.transaction(fn)` hands `fn` services bound to one
// transaction; the outer services are not, whatever the async context.

let h: ServiceHarness;
let account: TestAccount;

beforeAll(async () => {
  h = serviceHarness();
  account = await h.newAccount();
});
afterAll(() => h.close());

const count = (name: string) => h.db.issuer.count({ where: { accountId: account.accountId, name } });

test("what the transaction's services write commits together, or not at all", async () => {
  await h.services.transaction(async (tx) => {
    await tx.issuers.create(account.accountId, parsed.issuer({ name: "Committed A" }));
    await tx.issuers.create(account.accountId, parsed.issuer({ name: "Committed B" }));
  });
  expect((await count("Committed A")) + (await count("Committed B"))).toBe(2);

  const failure = new Error("after the first write");
  await expect(
    h.services.transaction(async (tx) => {
      await tx.issuers.create(account.accountId, parsed.issuer({ name: "Rolled back" }));
      throw failure;
    }),
  ).rejects.toBe(failure);
  expect(await count("Rolled back")).toBe(0);
});

test("the outer services do not join a transaction running in the same async context", async () => {
  await h.services.transaction(async (tx) => {
    const { value } = await tx.issuers.create(account.accountId, parsed.issuer({ name: "Not yet visible" }));
    // Uncommitted: the pool's services (another connection) cannot see it; the transaction's can.
    await expect(h.services.issuers.get(account.accountId, value.id)).rejects.toMatchObject({
      code: "resource_missing",
    });
    expect(JSON.parse((await tx.issuers.get(account.accountId, value.id)).value.json).name).toBe("Not yet visible");
  });
  expect(await count("Not yet visible")).toBe(1);
});

test("a transaction inside a transaction is a savepoint: it rolls back alone", async () => {
  await h.services.transaction(async (tx) => {
    await tx.issuers.create(account.accountId, parsed.issuer({ name: "Outer kept" }));
    await tx
      .transaction(async (inner) => {
        await inner.issuers.create(account.accountId, parsed.issuer({ name: "Inner undone" }));
        throw new Error("inner fails");
      })
      .catch(() => {});
  });
  expect(await count("Outer kept")).toBe(1);
  expect(await count("Inner undone")).toBe(0);
});
