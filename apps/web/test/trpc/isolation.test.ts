import { afterAll, beforeAll, expect, test } from "vitest";
import { type TrpcHarness, trpcHarness } from "../trpc-harness.ts";

let h: TrpcHarness;
beforeAll(async () => {
  h = await trpcHarness();
});
afterAll(() => h.close());

test("an operator of account B gets errors, never data, for account A's ids", async () => {
  const a = h.client(() => ({ authorization: `Bearer ${h.account.apiKey}` }));
  const { value: issuer } = await a.issuers.create.mutate({ body: { name: "A's issuer" } });
  const { cookie: cookieA } = await h.signIn(h.account.adminEmail, h.account.adminPassword);
  const operatorA = h.client(() => ({ cookie: cookieA }));
  const { api_key: key } = await operatorA.apiKeys.create.mutate({ name: "A's key" });

  const accountB = await h.newAccount();
  const { cookie } = await h.signIn(accountB.adminEmail, accountB.adminPassword);
  const b = h.client(() => ({ cookie }));

  expect((await b.issuers.list.query({})).data).toEqual([]);
  expect((await b.apiKeys.list.query()).map((k) => k.id)).not.toContain(key.id);
  const attempts = [
    () => b.issuers.get.query({ id: issuer.id }),
    () => b.issuers.update.mutate({ id: issuer.id, patch: { name: "taken over" } }),
    () => b.issuers.delete.mutate({ id: issuer.id }),
    () => b.issuers.restore.mutate({ id: issuer.id }),
    () => b.issuers.list.query({ cursor: issuer.id }),
    () => b.apiKeys.revoke.mutate({ id: key.id }),
  ];
  for (const attempt of attempts) {
    const error = await attempt().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ data: { httpStatus: expect.any(Number) } });
    expect(JSON.stringify(error)).not.toContain("A's issuer");
  }
  const after = await a.issuers.get.query({ id: issuer.id });
  expect(after.value).toMatchObject({ name: "A's issuer", status: "active" });
  expect((await operatorA.apiKeys.list.query()).find((k) => k.id === key.id)?.revoked_at).toBeNull();
});
