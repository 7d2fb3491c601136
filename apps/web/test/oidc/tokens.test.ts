import { createRemoteJWKSet, jwtVerify } from "jose";
import * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FormBrowser, type OidcHarness, oidcHarness, signIn } from "./harness.ts";

let h: OidcHarness;
let issuerId: string;
let config: oidc.Configuration;

const insecure = { execute: [oidc.allowInsecureRequests] };

beforeAll(async () => {
  h = await oidcHarness();
  issuerId = await h.newIssuer();
  const client = await h.newClient(issuerId);
  await h.newUser(issuerId, "ada@example.com");
  config = await oidc.discovery(
    new URL(h.issuerUrl(issuerId)),
    client.id,
    client.secret ?? undefined,
    undefined,
    insecure,
  );
});

afterAll(() => h.close());

async function tokens(configuration = config, browser?: FormBrowser) {
  const { done, verifier, state, nonce } = await signIn(h, configuration, browser ? { browser } : {});
  return oidc.authorizationCodeGrant(configuration, new URL(done.location ?? ""), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
  });
}

async function tokenError(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return (error as { error?: string }).error ?? (error as Error).message;
  }
  return "no error";
}

describe("refresh tokens, revocation, introspection", () => {
  it("rotates the refresh token at each use, and reuse of a consumed one revokes the grant", async () => {
    const first = await tokens();
    const second = await oidc.refreshTokenGrant(config, first.refresh_token ?? "");
    expect(second.refresh_token).toBeTruthy();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);

    // The consumed token again: invalid_grant, and the whole grant is gone with it.
    expect(await tokenError(oidc.refreshTokenGrant(config, first.refresh_token ?? ""))).toBe("invalid_grant");
    expect(await tokenError(oidc.refreshTokenGrant(config, second.refresh_token ?? ""))).toBe("invalid_grant");
    const introspected = await oidc.tokenIntrospection(config, second.access_token);
    expect(introspected.active).toBe(false);
  });

  it("introspects an access token and a refresh token (RFC 7662)", async () => {
    const set = await tokens();
    const access = await oidc.tokenIntrospection(config, set.access_token);
    expect(access).toMatchObject({
      active: true,
      client_id: config.clientMetadata().client_id,
      sub: set.claims()?.sub,
      scope: "openid profile email",
      token_type: "Bearer",
    });
    const refresh = await oidc.tokenIntrospection(config, set.refresh_token ?? "");
    expect(refresh).toMatchObject({ active: true, sub: set.claims()?.sub });
    expect((await oidc.tokenIntrospection(config, "not-a-token")).active).toBe(false);
  });

  it("revokes a refresh token (RFC 7009), which ends its grant", async () => {
    const set = await tokens();
    await oidc.tokenRevocation(config, set.refresh_token ?? "");
    expect(await tokenError(oidc.refreshTokenGrant(config, set.refresh_token ?? ""))).toBe("invalid_grant");
    expect((await oidc.tokenIntrospection(config, set.refresh_token ?? "")).active).toBe(false);
  });

  it("revokes an access token: introspection and userinfo stop accepting it", async () => {
    const set = await tokens();
    await oidc.tokenRevocation(config, set.access_token);
    expect((await oidc.tokenIntrospection(config, set.access_token)).active).toBe(false);
    const userinfo = await fetch(`${h.issuerUrl(issuerId)}/userinfo`, {
      headers: { authorization: `Bearer ${set.access_token}` },
    });
    expect(userinfo.status).toBe(401);
    expect(userinfo.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  it("keeps one refresh token when rotation is off", async () => {
    const issuer = await h.newIssuer({ settings: { session: { refresh_token_rotation: false } } });
    const client = await h.newClient(issuer);
    await h.newUser(issuer, "ada@example.com");
    const configuration = await oidc.discovery(
      new URL(h.issuerUrl(issuer)),
      client.id,
      client.secret ?? undefined,
      undefined,
      insecure,
    );
    const first = await tokens(configuration);
    const second = await oidc.refreshTokenGrant(configuration, first.refresh_token ?? "");
    expect(second.refresh_token ?? first.refresh_token).toBe(first.refresh_token);
    const third = await oidc.refreshTokenGrant(configuration, first.refresh_token ?? "");
    expect(third.access_token).toBeTruthy();
  });
});

describe("client_credentials and end session", () => {
  it("issues a JWT access token to a machine client", async () => {
    const machine = await h.newClient(issuerId, {
      name: "Worker",
      application_type: "machine",
      redirect_uris: [],
      post_logout_redirect_uris: [],
    });
    const configuration = await oidc.discovery(
      new URL(h.issuerUrl(issuerId)),
      machine.id,
      machine.secret ?? undefined,
      undefined,
      insecure,
    );
    const set = await oidc.clientCredentialsGrant(configuration, { scope: "profile" });
    expect(set.refresh_token).toBeUndefined();
    const jwks = createRemoteJWKSet(new URL(`${h.issuerUrl(issuerId)}/jwks`));
    const { payload } = await jwtVerify(set.access_token, jwks, { issuer: h.issuerUrl(issuerId), typ: "at+jwt" });
    expect(payload).toMatchObject({ sub: machine.id, client_id: machine.id, aud: h.issuerUrl(issuerId) });
    expect((await oidc.tokenIntrospection(configuration, set.access_token)).active).toBe(true);
    // A machine client has no code flow.
    expect(await tokenError(oidc.clientCredentialsGrant(config, {}))).toBe("unauthorized_client");
  });

  it("ends the session and redirects only to a registered post_logout_redirect_uri", async () => {
    const browser = new FormBrowser();
    const set = await tokens(config, browser);
    const url = oidc.buildEndSessionUrl(config, {
      id_token_hint: set.id_token ?? "",
      post_logout_redirect_uri: "http://localhost:8080/",
      state: "bye",
    });
    const confirm = await browser.follow(url.href, h.baseUrl);
    expect(confirm.status).toBe(200);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.text)?.[1] ?? "";
    const action = /<form id="op.logoutForm" method="post" action="([^"]+)"/.exec(confirm.text)?.[1] ?? "";
    const answer = await browser.request(new URL(action, h.baseUrl).href, { form: { xsrf, logout: "yes" } });
    expect(answer.status).toBe(303);
    expect(answer.location).toBe("http://localhost:8080/?state=bye");

    // The session is over: a new authorization asks for the password again.
    const again = await browser.follow(
      oidc.buildAuthorizationUrl(config, {
        redirect_uri: "http://localhost:8080/callback",
        scope: "openid",
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: "S256",
      }).href,
      h.baseUrl,
    );
    expect(again.text).toContain('<label for="password">Password</label>');

    const unregistered = oidc.buildEndSessionUrl(config, {
      id_token_hint: set.id_token ?? "",
      post_logout_redirect_uri: "https://evil.example/",
    });
    const refused = await browser.request(unregistered.href);
    expect(refused.location).toBeNull();
    expect(refused.status).toBe(400);
    expect(refused.text).toContain("invalid_request");
  });
});

describe("revocation from the control plane, and the purge", () => {
  it("signing a user out everywhere revokes every refresh token of theirs", async () => {
    const set = await tokens();
    const userId = set.claims()?.sub ?? "";
    await h.services.users.revokeSessions(h.account.accountId, issuerId, userId);
    expect((await oidc.tokenIntrospection(config, set.refresh_token ?? "")).active).toBe(false);
    expect((await oidc.tokenIntrospection(config, set.access_token)).active).toBe(false);
    await expect(oidc.refreshTokenGrant(config, set.refresh_token ?? "")).rejects.toMatchObject({
      error: "invalid_grant",
    });
  });

  it("deleting a client revokes every token issued to it", async () => {
    const doomed = await h.newClient(issuerId, { name: "Doomed" });
    const configuration = await oidc.discovery(
      new URL(h.issuerUrl(issuerId)),
      doomed.id,
      doomed.secret ?? undefined,
      undefined,
      insecure,
    );
    const set = await tokens(configuration);
    const before = await h.services.db.oidcArtifact.count({ where: { issuerId, clientId: doomed.id } });
    expect(before).toBeGreaterThan(0);
    await h.services.clients.delete(h.account.accountId, issuerId, doomed.id);
    expect(await h.services.db.oidcArtifact.count({ where: { issuerId, clientId: doomed.id } })).toBe(0);
    void set;
  });

  it("the periodic purge removes expired artifacts only", async () => {
    const set = await tokens();
    const { db } = h.services;
    await db.oidcArtifact.create({
      data: { issuerId, model: "Session", id: "expired-session", payload: {}, expiresAt: new Date(Date.now() - 1000) },
    });
    expect(await h.services.oidc.purgeExpired(new Date())).toBeGreaterThanOrEqual(1);
    expect(await db.oidcArtifact.count({ where: { issuerId, id: "expired-session" } })).toBe(0);
    // The live refresh token survives the purge and still works.
    expect((await oidc.tokenIntrospection(config, set.refresh_token ?? "")).active).toBe(true);
  });
});
