import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parsed } from "../testing/bodies.ts";
import { type ServiceHarness, serviceHarness, type TestAccount } from "../testing/index.ts";

let now = new Date("2026-12-01T12:00:00.000Z");
const h: ServiceHarness = serviceHarness({ clock: () => now });
let account: TestAccount;
let issuerId: string;

beforeAll(async () => {
  account = await h.newAccount();
  issuerId = (await h.services.issuers.create(account.accountId, parsed.issuer({ name: "Clients" }))).value.id;
});
afterAll(() => h.close());

const web = { name: "Web app", application_type: "web", redirect_uris: ["https://app.example.com/callback"] };

describe("clients service", () => {
  test("create returns the secret once; get, list and the provider view never do", async () => {
    const created = await h.services.clients.create(account.accountId, issuerId, parsed.client(web));
    const secret = created.value.client_secret;
    expect(secret).toMatch(/^cs_[0-9A-Za-z]{43}$/);
    expect(created.value).toMatchObject({
      object: "client",
      application_type: "web",
      token_endpoint_auth_method: "client_secret_basic",
      grant_types: ["authorization_code", "refresh_token"],
      scopes: ["openid", "profile", "email"],
      access_token_ttl_seconds: 3600,
      id_token_ttl_seconds: 3600,
      client_secret_set: true,
      previous_secret_expires_at: null,
    });
    const got = await h.services.clients.get(account.accountId, issuerId, created.value.id);
    expect(got.etag).toBe(created.etag);
    expect(JSON.stringify(got)).not.toContain(secret);
    expect("client_secret" in got.value).toBe(false);
    const list = await h.services.clients.list(account.accountId, issuerId, { limit: 50 });
    expect(JSON.stringify(list)).not.toContain(secret as string);
    const provider = await h.services.clients.findForProvider(issuerId, created.value.id);
    expect(provider).toEqual({
      id: created.value.id,
      issuerId,
      applicationType: "web",
      redirectUris: ["https://app.example.com/callback"],
      postLogoutRedirectUris: [],
      allowedOrigins: [],
      grantTypes: ["authorization_code", "refresh_token"],
      tokenEndpointAuthMethod: "client_secret_basic",
      scopes: ["openid", "profile", "email"],
      accessTokenTtlSeconds: 3600,
      idTokenTtlSeconds: 3600,
      hasSecret: true,
    });
    const stored = await h.db.client.findUniqueOrThrow({ where: { id: created.value.id } });
    expect(Buffer.from(stored.secretHash ?? []).toString("utf8")).not.toContain(secret);
  });

  test("verifySecret: the current secret, never a wrong one, another issuer's or a public client", async () => {
    const { value } = await h.services.clients.create(account.accountId, issuerId, parsed.client(web));
    const secret = value.client_secret as string;
    expect(await h.services.clients.verifySecret(issuerId, value.id, secret)).toBe(true);
    expect(await h.services.clients.verifySecret(issuerId, value.id, `${secret}x`)).toBe(false);
    expect(await h.services.clients.verifySecret(issuerId, value.id, "")).toBe(false);
    const other = (await h.services.issuers.create(account.accountId, parsed.issuer({ name: "Other" }))).value.id;
    expect(await h.services.clients.verifySecret(other, value.id, secret)).toBe(false);
    expect(await h.services.clients.findForProvider(other, value.id)).toBeNull();
    expect(await h.services.clients.findForProvider(issuerId, "cli_nope")).toBeNull();
    const spa = await h.services.clients.create(
      account.accountId,
      issuerId,
      parsed.client({
        name: "SPA",
        application_type: "spa",
        redirect_uris: ["https://spa.example.com/cb"],
      }),
    );
    expect(spa.value.client_secret).toBeNull();
    expect(spa.value.client_secret_set).toBe(false);
    expect(await h.services.clients.verifySecret(issuerId, spa.value.id, "")).toBe(false);
  });

  test("rotation: both secrets during the grace period, only the new one after it", async () => {
    const { value } = await h.services.clients.create(account.accountId, issuerId, parsed.client(web));
    const old = value.client_secret as string;
    const rotated = await h.services.clients.rotateSecret(account.accountId, issuerId, value.id, {
      previous_secret_expires_in_seconds: 3600,
    });
    const fresh = rotated.value.client_secret as string;
    expect(fresh).not.toBe(old);
    expect(rotated.value.previous_secret_expires_at).toBe("2026-12-01T13:00:00.000Z");
    const start = now;
    expect(await h.services.clients.verifySecret(issuerId, value.id, old)).toBe(true);
    expect(await h.services.clients.verifySecret(issuerId, value.id, fresh)).toBe(true);
    now = new Date(start.getTime() + 3_599_999);
    expect(await h.services.clients.verifySecret(issuerId, value.id, old)).toBe(true);
    now = new Date(start.getTime() + 3_600_000);
    expect(await h.services.clients.verifySecret(issuerId, value.id, old)).toBe(false);
    expect(await h.services.clients.verifySecret(issuerId, value.id, fresh)).toBe(true);
    // The explicit `now` argument is the same check.
    expect(await h.services.clients.verifySecret(issuerId, value.id, old, start)).toBe(true);
    now = start;

    // Rotating without a grace period stops the previous secret at once; rotating again replaces it.
    const again = await h.services.clients.rotateSecret(
      account.accountId,
      issuerId,
      value.id,
      parsed.clientSecretRotation({}),
    );
    expect(again.value.previous_secret_expires_at).toBeNull();
    expect(await h.services.clients.verifySecret(issuerId, value.id, fresh)).toBe(false);
    expect(await h.services.clients.verifySecret(issuerId, value.id, old)).toBe(false);
    expect(await h.services.clients.verifySecret(issuerId, value.id, again.value.client_secret as string)).toBe(true);
  });

  test("a public client has no secret to rotate", async () => {
    const { value } = await h.services.clients.create(
      account.accountId,
      issuerId,
      parsed.client({
        name: "Native",
        application_type: "native",
        redirect_uris: ["com.example.app:/callback", "http://127.0.0.1/callback"],
      }),
    );
    await expect(
      h.services.clients.rotateSecret(account.accountId, issuerId, value.id, parsed.clientSecretRotation({})),
    ).rejects.toMatchObject({
      code: "public_client",
    });
  });

  test("delete revokes what the client was issued, in the same transaction", async () => {
    const revoked: string[] = [];
    const { createServices } = await import("../services.ts");
    const { testKeyring } = await import("../testing/index.ts");
    const services = createServices(h.db, {
      keyring: testKeyring(),
      providerArtifacts: {
        revokeUser: async () => {},
        revokeClient: async (sql, issuer, client) => {
          expect(sql.inTransaction).toBe(true);
          revoked.push(`${issuer}/${client}`);
        },
      },
    });
    const { value } = await services.clients.create(account.accountId, issuerId, parsed.client(web));
    await services.clients.delete(account.accountId, issuerId, value.id);
    expect(revoked).toEqual([`${issuerId}/${value.id}`]);
    expect(await services.clients.findForProvider(issuerId, value.id)).toBeNull();
    expect(await services.clients.verifySecret(issuerId, value.id, value.client_secret as string)).toBe(false);
  });

  test("a revocation that fails undoes the delete and its event", async () => {
    const { createServices } = await import("../services.ts");
    const { testKeyring } = await import("../testing/index.ts");
    const services = createServices(h.db, {
      keyring: testKeyring(),
      providerArtifacts: {
        revokeUser: async () => {},
        revokeClient: async () => {
          throw new Error("provider storage down");
        },
      },
    });
    const { value } = await services.clients.create(account.accountId, issuerId, parsed.client(web));
    await expect(services.clients.delete(account.accountId, issuerId, value.id)).rejects.toThrow(
      "provider storage down",
    );
    expect(await services.clients.findForProvider(issuerId, value.id)).not.toBeNull();
    const events = await h.db.auditEvent.findMany({ where: { resourceId: value.id } });
    expect(events.map((e) => e.type)).toEqual(["client.created"]);
  });
});
