import { PREVIOUS_KEY_RETENTION_SECONDS } from "@authpi/server";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OidcHarness, oidcHarness, signIn } from "./harness.ts";

let h: OidcHarness;
let issuerId: string;
let config: oidc.Configuration;

beforeAll(async () => {
  h = await oidcHarness();
  issuerId = await h.newIssuer();
  const client = await h.newClient(issuerId);
  await h.newUser(issuerId, "ada@example.com");
  config = await oidc.discovery(new URL(h.issuerUrl(issuerId)), client.id, client.secret ?? undefined, undefined, {
    execute: [oidc.allowInsecureRequests],
  });
});

afterAll(() => h.close());

async function tokens() {
  const { done, verifier, state, nonce } = await signIn(h, config);
  return oidc.authorizationCodeGrant(config, new URL(done.location ?? ""), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
  });
}

const jwks = async () =>
  (await (await fetch(`${h.issuerUrl(issuerId)}/jwks`)).json()) as { keys: Array<Record<string, unknown>> };

describe("signing keys per issuer", () => {
  it("lists the current RS256 key, never a private half", async () => {
    const list = await h.services.oidc.signingKeys.list(h.account.accountId, issuerId);
    expect(list.data).toHaveLength(1);
    expect(list.data[0]).toMatchObject({ object: "signing_key", alg: "RS256", status: "current", rotated_at: null });
    const published = await jwks();
    expect(published.keys.map((key) => key.kid)).toEqual([list.data[0]?.id]);
    for (const key of published.keys) {
      for (const secret of ["d", "p", "q", "dp", "dq", "qi"]) expect(key).not.toHaveProperty(secret);
    }
    // At rest the private half is ciphertext.
    const row = await h.services.db.oidcSigningKey.findFirstOrThrow({ where: { issuerId } });
    expect(row.privateJwk.startsWith("v1.")).toBe(true);
    expect(row.privateJwk).not.toContain('"d"');
  });

  it("after a rotation, earlier tokens still verify and new ones carry the new kid", async () => {
    const before = await tokens();
    const oldKid = decodeProtectedHeader(before.access_token).kid;
    const rotated = await h.services.oidc.signingKeys.rotate(h.account.accountId, issuerId);
    const current = rotated.data.find((key) => key.status === "current");
    const previous = rotated.data.find((key) => key.status === "previous");
    expect(previous?.id).toBe(oldKid);
    expect(current?.id).not.toBe(oldKid);
    const retireAfter = Date.parse(previous?.retire_after ?? "");
    expect(retireAfter - Date.parse(previous?.rotated_at ?? "")).toBe(PREVIOUS_KEY_RETENTION_SECONDS * 1000);

    // Every process drops its provider (NOTIFY): the JWKS soon publishes both keys.
    await expect
      .poll(async () => (await jwks()).keys.map((key) => key.kid).sort())
      .toEqual([oldKid, current?.id].sort());
    const keySet = createLocalJWKSet(await jwks());
    await expect(jwtVerify(before.access_token, keySet)).resolves.toBeTruthy();
    await expect(jwtVerify(before.id_token ?? "", keySet)).resolves.toBeTruthy();

    const after = await tokens();
    expect(decodeProtectedHeader(after.access_token).kid).toBe(current?.id);
    expect(decodeProtectedHeader(after.id_token ?? "").kid).toBe(current?.id);
    await expect(jwtVerify(after.access_token, keySet)).resolves.toBeTruthy();
  });

  it("a rotation inside a transaction (an Idempotency-Key request) is published once it commits, not before", async () => {
    const kids = async () => (await jwks()).keys.map((key) => key.kid);
    const before = await kids();
    let current: string | undefined;
    await h.services.transaction(async (tx) => {
      const rotated = await tx.oidc.signingKeys.rotate(h.account.accountId, issuerId);
      // The answer is read in the transaction: it shows the new key.
      current = rotated.data.find((key) => key.status === "current")?.id;
      expect(current).toBeDefined();
      expect(before).not.toContain(current);
      // Other processes hear of it only at commit: a provider rebuilt now would keep the old keys.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await kids()).toEqual(before);
    });
    await expect.poll(kids).toContain(current);
  });

  it("drops a previous key from the JWKS once its tokens have all expired", async () => {
    const later = new Date(Date.now() + (PREVIOUS_KEY_RETENTION_SECONDS + 1) * 1000);
    expect(await h.services.oidc.signingKeys.purgeRetired(later)).toBeGreaterThanOrEqual(1);
    h.pool.evict(issuerId);
    expect((await jwks()).keys).toHaveLength(1);
  });

  it("refuses an issuer of another account", async () => {
    const other = await h.services.accounts.bootstrap({ password: "correct horse battery staple" });
    await expect(h.services.oidc.signingKeys.list(other.account_id, issuerId)).rejects.toMatchObject({
      code: "resource_missing",
    });
    await expect(h.services.oidc.signingKeys.rotate(other.account_id, issuerId)).rejects.toMatchObject({
      code: "resource_missing",
    });
  });
});
