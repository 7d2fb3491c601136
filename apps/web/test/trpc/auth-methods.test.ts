import { exampleAuthMethodBody } from "@authpi/domain";
import { afterAll, beforeAll, expect, test } from "vitest";
import { failure, type TrpcHarness, trpcHarness } from "../trpc-harness.ts";

let h: TrpcHarness;
beforeAll(async () => {
  h = await trpcHarness();
});
afterAll(() => h.close());

test("auth methods through the router: the secret never comes back; toggles; delete", async () => {
  const client = h.client(() => ({ authorization: `Bearer ${h.account.apiKey}` }));
  const { value: issuer } = await client.issuers.create.mutate({ body: { name: "with methods" } });
  const secret = "oidc-client-secret-do-not-leak";
  const created = await client.authMethods.create.mutate({
    issuerId: issuer.id,
    body: {
      name: "Google",
      method: "oidc",
      first_factor_only: true,
      settings: { issuer_url: "https://accounts.google.com", client_id: "abc", client_secret: secret },
    },
  });
  expect(created.value).toMatchObject({ method: "oidc", secrets_set: ["client_secret"], enabled_login: true });
  expect(JSON.stringify(created)).not.toContain(secret);

  const list = await client.authMethods.list.query({ issuerId: issuer.id });
  expect(list.data).toHaveLength(1);
  expect(JSON.stringify(list)).not.toContain(secret);

  const toggled = await client.authMethods.update.mutate({
    issuerId: issuer.id,
    id: created.value.id,
    patch: { enabled_login: false },
  });
  expect(toggled.value.enabled_login).toBe(false);
  expect(JSON.stringify(toggled)).not.toContain(secret);

  const immutable = await failure(
    client.authMethods.update.mutate({
      issuerId: issuer.id,
      id: created.value.id,
      patch: { settings: { client_secret: "new" } },
    }),
  );
  expect(immutable.data.domain).toMatchObject({ code: "immutable_field", param: "settings.client_secret" });
  expect(JSON.stringify(immutable)).not.toContain('new"');

  await client.authMethods.delete.mutate({ issuerId: issuer.id, id: created.value.id });
  expect((await client.authMethods.list.query({ issuerId: issuer.id })).data).toEqual([]);
});

test("the forms follow the domain declarations: required and write-only keys per type", async () => {
  const client = h.client(() => ({ authorization: `Bearer ${h.account.apiKey}` }));
  const forms = await client.authMethods.forms.query();
  expect(forms.map((f) => f.method)).toContain("passkey");
  const oidc = forms.find((f) => f.method === "oidc");
  expect(oidc?.fields.filter((f) => f.required).map((f) => f.key)).toEqual([
    "issuer_url",
    "client_id",
    "client_secret",
  ]);
  expect(oidc?.fields.filter((f) => f.secret).map((f) => f.key)).toEqual(["client_secret"]);
  const apple = forms.find((f) => f.method === "apple");
  expect(apple?.fields.find((f) => f.key === "private_key")).toMatchObject({ secret: true, kind: "multiline" });
  const totp = forms.find((f) => f.method === "totp");
  expect(totp).toMatchObject({ first_factor_only: false });
  expect(totp?.fields.find((f) => f.key === "digits")).toMatchObject({ kind: "choice", options: [6, 8], default: 6 });

  // Every example body the domain ships is accepted as the forms describe it.
  const { value: issuer } = await client.issuers.create.mutate({ body: { name: "all types" } });
  for (const form of forms) {
    const body = exampleAuthMethodBody(form.method, `m-${form.method}`);
    const created = await client.authMethods.create.mutate({ issuerId: issuer.id, body: body as never });
    expect(created.value.method).toBe(form.method);
  }
});

test("another account's issuer and methods are errors", async () => {
  const a = h.client(() => ({ authorization: `Bearer ${h.account.apiKey}` }));
  const { value: issuer } = await a.issuers.create.mutate({ body: { name: "A only" } });
  const { value: method } = await a.authMethods.create.mutate({
    issuerId: issuer.id,
    body: exampleAuthMethodBody("github", "GitHub") as never,
  });
  const other = await h.newAccount();
  const b = h.client(() => ({ authorization: `Bearer ${other.apiKey}` }));
  for (const call of [
    () => b.authMethods.list.query({ issuerId: issuer.id }),
    () => b.authMethods.get.query({ issuerId: issuer.id, id: method.id }),
    () => b.authMethods.update.mutate({ issuerId: issuer.id, id: method.id, patch: { featured: true } }),
    () => b.authMethods.delete.mutate({ issuerId: issuer.id, id: method.id }),
  ]) {
    const error = await failure(call());
    expect(error.data.httpStatus).toBe(404);
  }
  expect((await a.authMethods.get.query({ issuerId: issuer.id, id: method.id })).value.featured).toBe(false);
});
