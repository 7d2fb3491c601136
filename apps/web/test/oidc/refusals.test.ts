import { createLocalJWKSet, jwtVerify } from "jose";
import * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FormBrowser, type OidcHarness, oidcHarness, PASSWORD, REDIRECT, signIn } from "./harness.ts";

let h: OidcHarness;
let issuerId: string;
let client: { id: string; secret: string | null };
let config: oidc.Configuration;

const insecure = { execute: [oidc.allowInsecureRequests] };

beforeAll(async () => {
  h = await oidcHarness();
  issuerId = await h.newIssuer();
  client = await h.newClient(issuerId);
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

/** A raw token request, so each refusal's OAuth error is seen as sent. */
async function token(
  form: Record<string, string>,
  credentials: { id: string; secret: string } | null,
  issuer = issuerId,
) {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (credentials) {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(credentials.id)}:${encodeURIComponent(credentials.secret)}`).toString("base64")}`;
  }
  const response = await fetch(`${h.issuerUrl(issuer)}/token`, {
    method: "POST",
    headers,
    body: new URLSearchParams(form),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

const own = () => ({ id: client.id, secret: client.secret ?? "" });

async function codeFor(configuration = config, issuer = issuerId) {
  const { done, verifier } = await signIn(h, configuration);
  const code = new URL(done.location ?? "").searchParams.get("code") ?? "";
  void issuer;
  return { code, verifier };
}

describe("refused, each with the OAuth error of contract §7", () => {
  it("shows an unregistered redirect_uri on the page and never redirects to it", async () => {
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: "https://evil.example/callback",
      scope: "openid",
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: "S256",
    });
    const answer = await new FormBrowser().request(url.href);
    expect(answer.status).toBe(400);
    expect(answer.location).toBeNull();
    expect(answer.headers.get("content-type")).toContain("text/html");
    expect(answer.text).toContain("redirect_uri");
    expect(answer.text).not.toContain("evil.example/callback?");
  });

  it("refuses a wrong or missing PKCE verifier, and plain PKCE", async () => {
    const wrong = await codeFor();
    const wrongAnswer = await token(
      {
        grant_type: "authorization_code",
        code: wrong.code,
        redirect_uri: REDIRECT,
        code_verifier: oidc.randomPKCECodeVerifier(),
      },
      own(),
    );
    expect(wrongAnswer).toMatchObject({ status: 400, body: { error: "invalid_grant" } });

    const missing = await codeFor();
    const missingAnswer = await token(
      { grant_type: "authorization_code", code: missing.code, redirect_uri: REDIRECT },
      own(),
    );
    expect(missingAnswer).toMatchObject({ status: 400, body: { error: "invalid_grant" } });

    const plain = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: "openid",
      code_challenge: "a".repeat(43),
      code_challenge_method: "plain",
    });
    const refused = await new FormBrowser().request(plain.href);
    expect(refused.location).toContain("error=invalid_request");
  });

  it("requires PKCE of a public client", async () => {
    const spa = await h.newClient(issuerId, {
      name: "SPA",
      application_type: "spa",
      token_endpoint_auth_method: "none",
      allowed_origins: ["http://localhost:8080"],
    });
    const url = new URL(`${h.issuerUrl(issuerId)}/auth`);
    url.search = new URLSearchParams({
      client_id: spa.id,
      response_type: "code",
      redirect_uri: REDIRECT,
      scope: "openid",
    }).toString();
    const answer = await new FormBrowser().request(url.href);
    expect(answer.location).toContain("error=invalid_request");
    expect(decodeURIComponent(answer.location ?? "")).toContain("PKCE");
  });

  it("refuses a reused code, and revokes what it issued", async () => {
    const { code, verifier } = await codeFor();
    const form = { grant_type: "authorization_code", code, redirect_uri: REDIRECT, code_verifier: verifier };
    const first = await token(form, own());
    expect(first.status).toBe(200);
    const again = await token(form, own());
    expect(again).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    const refreshed = await token(
      { grant_type: "refresh_token", refresh_token: first.body.refresh_token ?? "" },
      own(),
    );
    expect(refreshed).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
  });

  it("refuses a wrong client secret and a secret past its rotation grace", async () => {
    const { code, verifier } = await codeFor();
    const form = { grant_type: "authorization_code", code, redirect_uri: REDIRECT, code_verifier: verifier };
    expect(await token(form, { id: client.id, secret: "cs_wrong" })).toMatchObject({
      status: 401,
      body: { error: "invalid_client" },
    });
    expect(await token(form, null)).toMatchObject({ status: 400, body: { error: "invalid_request" } });

    const rotating = await h.newClient(issuerId, { name: "Rotating" });
    const rotated = await h.services.clients.rotateSecret(h.account.accountId, issuerId, rotating.id, {
      previous_secret_expires_in_seconds: 0,
    });
    const newSecret = rotated.value.client_secret ?? "";
    const machineForm = { grant_type: "refresh_token", refresh_token: "unknown" };
    expect(await token(machineForm, { id: rotating.id, secret: rotating.secret ?? "" })).toMatchObject({
      status: 401,
      body: { error: "invalid_client" },
    });
    // The new secret authenticates (the refresh token is unknown, so the grant is what fails).
    expect(await token(machineForm, { id: rotating.id, secret: newSecret })).toMatchObject({
      status: 400,
      body: { error: "invalid_grant" },
    });
  });

  it("refuses a scope outside the client's", async () => {
    const narrow = await h.newClient(issuerId, { name: "Narrow", scopes: ["openid", "email"] });
    const url = new URL(`${h.issuerUrl(issuerId)}/auth`);
    url.search = new URLSearchParams({
      client_id: narrow.id,
      response_type: "code",
      redirect_uri: REDIRECT,
      scope: "openid profile",
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: "S256",
      state: "s1",
    }).toString();
    const answer = await new FormBrowser().request(url.href);
    expect(answer.location).toContain("error=invalid_scope");
    expect(answer.location).toContain("state=s1");
  });

  it("refuses a blocked user, at sign-in and at the refresh of an earlier token", async () => {
    const email = "blocked@example.com";
    const userId = await h.newUser(issuerId, email);
    const { code, verifier } = await (async () => {
      const { done, verifier: v } = await signIn(h, config, { email });
      return { code: new URL(done.location ?? "").searchParams.get("code") ?? "", verifier: v };
    })();
    const issued = await token(
      { grant_type: "authorization_code", code, redirect_uri: REDIRECT, code_verifier: verifier },
      own(),
    );
    expect(issued.status).toBe(200);
    await h.services.users.update(h.account.accountId, issuerId, userId, { status: "blocked" });

    const refreshed = await token(
      { grant_type: "refresh_token", refresh_token: issued.body.refresh_token ?? "" },
      own(),
    );
    expect(refreshed).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    const { done } = await signIn(h, config, { email }).catch(() => ({ done: { status: 0, text: "" } }));
    expect(done.status).toBe(401);
    expect(done.text).toContain("Wrong email or password.");
  });

  it("keeps a disabled or suspended issuer's discovery and JWKS, and refuses the rest", async () => {
    for (const status of ["disabled", "suspended"] as const) {
      const other = await h.newIssuer({ name: `Paused ${status}` });
      const otherClient = await h.newClient(other);
      await h.services.issuers.update(h.account.accountId, other, { status });
      const base = h.issuerUrl(other);
      // The pool may still hold the active instance for a moment: NOTIFY reaches it asynchronously.
      await expect.poll(async () => (await fetch(`${base}/auth?client_id=${otherClient.id}`)).status).toBe(403);
      expect((await fetch(`${base}/.well-known/openid-configuration`)).status).toBe(200);
      expect((await fetch(`${base}/jwks`)).status).toBe(200);
      const page = await fetch(`${base}/auth?client_id=${otherClient.id}&response_type=code&redirect_uri=${REDIRECT}`);
      expect(await page.text()).toContain("access_denied");
      const refused = await token(
        { grant_type: "client_credentials" },
        { id: otherClient.id, secret: otherClient.secret ?? "" },
        other,
      );
      expect(refused).toMatchObject({ status: 401, body: { error: "invalid_client" } });
    }
  });

  it("answers 404 on every path of a deleted issuer", async () => {
    const gone = await h.newIssuer({ name: "Gone" });
    expect((await fetch(`${h.issuerUrl(gone)}/.well-known/openid-configuration`)).status).toBe(200);
    await h.services.issuers.delete(h.account.accountId, gone);
    await expect
      .poll(async () => (await fetch(`${h.issuerUrl(gone)}/.well-known/openid-configuration`)).status)
      .toBe(404);
    for (const path of ["/jwks", "/auth", "/token", "/userinfo"]) {
      expect((await fetch(`${h.issuerUrl(gone)}${path}`)).status).toBe(404);
    }
    expect((await fetch(`${h.baseUrl}/oidc/not-an-issuer/.well-known/openid-configuration`)).status).toBe(404);
  });
});

describe("isolation between issuers", () => {
  it("a token of issuer A fails verification with issuer B's JWKS", async () => {
    const other = await h.newIssuer({ name: "B" });
    const { done, verifier, state, nonce } = await signIn(h, config);
    const set = await oidc.authorizationCodeGrant(config, new URL(done.location ?? ""), {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    const jwksB = createLocalJWKSet(await (await fetch(`${h.issuerUrl(other)}/jwks`)).json());
    await expect(jwtVerify(set.access_token, jwksB)).rejects.toThrow();
    await expect(jwtVerify(set.id_token ?? "", jwksB)).rejects.toThrow();
    const jwksA = createLocalJWKSet(await (await fetch(`${h.issuerUrl(issuerId)}/jwks`)).json());
    await expect(jwtVerify(set.access_token, jwksA)).resolves.toBeTruthy();
  });

  it("a user of A cannot sign in at B with the same email and password", async () => {
    const other = await h.newIssuer({ name: "B2" });
    const otherClient = await h.newClient(other);
    const configB = await oidc.discovery(
      new URL(h.issuerUrl(other)),
      otherClient.id,
      otherClient.secret ?? undefined,
      undefined,
      insecure,
    );
    const { done } = await signIn(h, configB, { email: "ada@example.com", password: PASSWORD });
    expect(done.status).toBe(401);
  });
});
