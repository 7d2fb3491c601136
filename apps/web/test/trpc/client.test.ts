import { TRPCClientError } from "@trpc/client";
import { afterAll, beforeAll, expect, test } from "vitest";
import { failure, type TrpcHarness, trpcHarness } from "../trpc-harness.ts";

let h: TrpcHarness;
beforeAll(async () => {
  h = await trpcHarness();
});
afterAll(() => h.close());

test("a typed @trpc/client with an API key lists and creates issuers over HTTP", async () => {
  const client = h.client(() => ({ authorization: `Bearer ${h.account.apiKey}` }));
  const created = await client.issuers.create.mutate({ body: { name: "From an internal service" } });
  expect(created.value).toMatchObject({ object: "issuer", name: "From an internal service", status: "active" });
  expect(created.value.account_id).toBe(h.account.accountId);
  expect(created.etag).toMatch(/^"/);

  const list = await client.issuers.list.query({ limit: 10 });
  expect(list.object).toBe("list");
  expect(list.data.map((i) => i.id)).toContain(created.value.id);

  // The same issuer through REST: one service behind both adapters.
  const rest = await fetch(`${h.baseUrl}/v1/accounts/${h.account.accountId}/issuers/${created.value.id}`, {
    headers: { authorization: `Bearer ${h.account.apiKey}` },
  });
  expect(await rest.json()).toEqual(created.value);
});

test("a missing, malformed or revoked API key is UNAUTHORIZED", async () => {
  const none = h.client();
  await expect(none.issuers.list.query({})).rejects.toMatchObject({ data: { code: "UNAUTHORIZED" } });
  const bad = h.client(() => ({ authorization: "Bearer sk_nope" }));
  const error = await bad.issuers.list.query({}).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(TRPCClientError);
  expect((error as TRPCClientError<any>).data).toMatchObject({
    code: "UNAUTHORIZED",
    httpStatus: 401,
    domain: { code: "invalid_api_key" },
  });

  const { secret, apiKey } = await h.services.apiKeys.create(h.account.accountId, "to revoke");
  const client = h.client(() => ({ authorization: `Bearer ${secret}` }));
  await expect(client.issuers.list.query({})).resolves.toMatchObject({ object: "list" });
  await h.services.apiKeys.revoke(h.account.accountId, apiKey.id);
  await expect(client.issuers.list.query({})).rejects.toMatchObject({ data: { code: "UNAUTHORIZED" } });
});

test("domain errors keep their code and param; Zod input errors name the field", async () => {
  const client = h.client(() => ({ authorization: `Bearer ${h.account.apiKey}` }));
  const invalid = await failure(
    client.issuers.create.mutate({ body: { name: "x", settings: { session: { lifetime_seconds: 10 } } } }),
  );
  expect(invalid.data).toMatchObject({
    code: "BAD_REQUEST",
    httpStatus: 400,
    domain: { code: "validation_failed", param: "settings.session.lifetime_seconds" },
  });
  expect(invalid.data.stack).toBeUndefined();

  const deleted = await failure(client.issuers.create.mutate({ body: { name: "x", status: "deleted" } }));
  expect(deleted.data).toMatchObject({ code: "UNPROCESSABLE_CONTENT", domain: { code: "use_delete_endpoint" } });

  const { value, etag } = await client.issuers.create.mutate({ body: { name: "versioned" } });
  await client.issuers.update.mutate({ id: value.id, patch: { name: "first" }, ifMatch: etag });
  const stale = await failure(client.issuers.update.mutate({ id: value.id, patch: { name: "second" }, ifMatch: etag }));
  expect(stale.data).toMatchObject({ code: "PRECONDITION_FAILED", httpStatus: 412 });
  expect((await client.issuers.get.query({ id: value.id })).value.name).toBe("first");
});

test("soft delete and restore through the router", async () => {
  const client = h.client(() => ({ authorization: `Bearer ${h.account.apiKey}` }));
  const { value } = await client.issuers.create.mutate({ body: { name: "to delete" } });
  await client.issuers.delete.mutate({ id: value.id });
  expect((await client.issuers.list.query({})).data.map((i) => i.id)).not.toContain(value.id);
  expect((await client.issuers.list.query({ status: "deleted" })).data.map((i) => i.id)).toContain(value.id);
  const restored = await client.issuers.restore.mutate({ id: value.id });
  expect(restored.value).toMatchObject({ status: "active", deleted_at: null, purge_after: null });
});

test("an unexpected error is logged, and the caller gets a generic message without detail", async () => {
  const client = h.client(() => ({ authorization: `Bearer ${h.account.apiKey}` }));
  const original = h.services.issuers.list;
  h.services.issuers.list = () => Promise.reject(new Error('relation "issuers" does not exist at SELECT …'));
  try {
    const error = await failure(client.issuers.list.query({}));
    expect(error.message).toBe("An unexpected error occurred; contact support with the request id");
    // The same error body as /v1: a code, no detail.
    expect(error.data).toMatchObject({
      code: "INTERNAL_SERVER_ERROR",
      httpStatus: 500,
      domain: { code: "internal_error" },
    });
    expect(JSON.stringify(error.data)).not.toContain("relation");
  } finally {
    h.services.issuers.list = original;
  }
  expect(h.logLines.some((line) => line.includes("listIssuers") && line.includes("relation"))).toBe(true);
});
