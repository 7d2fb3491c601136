import { afterAll, beforeAll, expect, test } from "vitest";
import { failure, type TrpcHarness, trpcHarness } from "../trpc-harness.ts";

let h: TrpcHarness;
beforeAll(async () => {
  h = await trpcHarness();
});
afterAll(() => h.close());

test("create shows the secret once; the list has prefix and last use; revoke makes /v1 answer 401", async () => {
  const { cookie } = await h.signIn(h.account.adminEmail, h.account.adminPassword);
  const client = h.client(() => ({ cookie }));
  const { api_key, secret } = await client.apiKeys.create.mutate({ name: "CI" });
  expect(secret).toMatch(/^sk_/);
  expect(api_key.prefix).toBe(secret.slice(0, 11));

  const v1 = () =>
    fetch(`${h.baseUrl}/v1/accounts/${h.account.accountId}/issuers`, {
      headers: { authorization: `Bearer ${secret}` },
    });
  expect((await v1()).status).toBe(200);

  const listed = await client.apiKeys.list.query();
  const raw = JSON.stringify(listed);
  expect(raw).not.toContain(secret);
  expect(raw).not.toMatch(/secret/i);
  await expect
    .poll(async () => (await client.apiKeys.list.query()).find((k) => k.id === api_key.id)?.last_used_at)
    .not.toBeNull();

  const revoked = await client.apiKeys.revoke.mutate({ id: api_key.id });
  expect(revoked.revoked_at).not.toBeNull();
  expect((await v1()).status).toBe(401);
});

test("an empty name is a field error", async () => {
  const { cookie } = await h.signIn(h.account.adminEmail, h.account.adminPassword);
  const client = h.client(() => ({ cookie }));
  const error = await failure(client.apiKeys.create.mutate({ name: "  " }));
  expect(error.data).toMatchObject({ code: "BAD_REQUEST", domain: { code: "validation_failed", param: "name" } });
});

test("an API key can neither mint, list nor revoke API keys: only a signed-in operator manages them", async () => {
  const withKey = h.client(() => ({ authorization: `Bearer ${h.account.apiKey}` }));
  const calls = [
    () => withKey.apiKeys.create.mutate({ name: "minted by a key" }),
    () => withKey.apiKeys.list.query(),
    () => withKey.apiKeys.revoke.mutate({ id: "key_01JDQ3S4V6W8X9Y0Z1A2B3C4D5" }),
  ];
  for (const call of calls) {
    const error = await failure(call());
    expect(error.data).toMatchObject({ code: "FORBIDDEN", httpStatus: 403, domain: { code: "operator_only" } });
  }
  // Nothing was minted.
  const { cookie } = await h.signIn(h.account.adminEmail, h.account.adminPassword);
  const keys = await h.client(() => ({ cookie })).apiKeys.list.query();
  expect(keys.map((k) => k.name)).not.toContain("minted by a key");
});
