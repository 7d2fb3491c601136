import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FormBrowser, type OidcHarness, oidcHarness, REDIRECT, signIn } from "./harness.ts";

let h: OidcHarness;
let issuerId: string;
let client: { id: string; secret: string | null };
let config: oidc.Configuration;

beforeAll(async () => {
  h = await oidcHarness();
  issuerId = await h.newIssuer({ available_scopes: ["openid", "profile", "email", "phone"] });
  client = await h.newClient(issuerId);
  await h.newUser(issuerId, "ada@example.com");
  config = await oidc.discovery(new URL(h.issuerUrl(issuerId)), client.id, client.secret ?? undefined, undefined, {
    execute: [oidc.allowInsecureRequests],
  });
});

afterAll(() => h.close());

describe("authorization code + PKCE with openid-client, over plain HTTP form posts", () => {
  it("publishes discovery per contract §7", async () => {
    const metadata = config.serverMetadata();
    const issuerUrl = h.issuerUrl(issuerId);
    expect(metadata.issuer).toBe(issuerUrl);
    expect(metadata.authorization_endpoint).toBe(`${issuerUrl}/auth`);
    expect(metadata.token_endpoint).toBe(`${issuerUrl}/token`);
    expect(metadata.userinfo_endpoint).toBe(`${issuerUrl}/userinfo`);
    expect(metadata.jwks_uri).toBe(`${issuerUrl}/jwks`);
    expect(metadata.revocation_endpoint).toBe(`${issuerUrl}/token/revocation`);
    expect(metadata.introspection_endpoint).toBe(`${issuerUrl}/token/introspection`);
    expect(metadata.end_session_endpoint).toBe(`${issuerUrl}/session/end`);
    expect(metadata.scopes_supported).toEqual(["openid", "profile", "email", "phone"]);
    expect(metadata.response_types_supported).toEqual(["code"]);
    expect(metadata.code_challenge_methods_supported).toEqual(["S256"]);
    expect(metadata.subject_types_supported).toEqual(["public"]);
    expect(metadata.grant_types_supported).toEqual(
      expect.arrayContaining(["authorization_code", "refresh_token", "client_credentials"]),
    );
    expect(metadata.grant_types_supported).not.toContain("implicit");
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(["client_secret_basic", "client_secret_post", "none"]),
    );
    expect(metadata.id_token_signing_alg_values_supported).toContain("RS256");
    expect(metadata.claims_supported).toEqual(expect.arrayContaining(["sub", "email", "email_verified", "name"]));
  });

  it("signs in, exchanges the code, and the tokens verify with the JWKS", async () => {
    const { done, verifier, state, nonce } = await signIn(h, config);
    expect(done.status).toBe(303);
    expect(done.location?.startsWith(`${REDIRECT}?`)).toBe(true);
    const callback = new URL(done.location ?? "");
    expect(callback.searchParams.get("state")).toBe(state);

    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    expect(tokens.token_type.toLowerCase()).toBe("bearer");
    expect(tokens.refresh_token).toBeTruthy();
    const claims = tokens.claims();
    expect(claims?.nonce).toBe(nonce);
    expect(claims?.sub).toMatch(/^usr_/);

    const jwks = createRemoteJWKSet(new URL(`${h.issuerUrl(issuerId)}/jwks`));
    const idToken = await jwtVerify(tokens.id_token ?? "", jwks, {
      issuer: h.issuerUrl(issuerId),
      audience: client.id,
    });
    expect(idToken.payload.sub).toBe(claims?.sub);
    // RFC 9068: a JWT access token with typ at+jwt and the profile's claims.
    const accessToken = await jwtVerify(tokens.access_token, jwks, {
      issuer: h.issuerUrl(issuerId),
      typ: "at+jwt",
    });
    expect(accessToken.payload).toMatchObject({
      sub: claims?.sub,
      client_id: client.id,
      aud: h.issuerUrl(issuerId),
      scope: "openid profile email",
    });
    for (const claim of ["exp", "iat", "jti"]) expect(accessToken.payload[claim]).toBeTruthy();
    expect(decodeProtectedHeader(tokens.access_token).alg).toBe("RS256");

    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims?.sub ?? "");
    expect(userinfo).toMatchObject({
      sub: claims?.sub,
      email: "ada@example.com",
      email_verified: true,
      name: "Ada Lovelace",
      given_name: "Ada",
      family_name: "Lovelace",
    });
    expect(userinfo).not.toHaveProperty("phone_number");
  });

  it("returns only the claims of the granted scopes at userinfo", async () => {
    const { done, verifier, state, nonce } = await signIn(h, config, { scope: "openid email" });
    const tokens = await oidc.authorizationCodeGrant(config, new URL(done.location ?? ""), {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    const sub = tokens.claims()?.sub ?? "";
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, sub);
    expect(Object.keys(userinfo).sort()).toEqual(["email", "email_verified", "sub"]);
  });

  it("signs a returning browser in without the password while its session lives (single sign-on)", async () => {
    const browser = new FormBrowser();
    await signIn(h, config, { browser });
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: "openid",
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: "S256",
    });
    const again = await browser.follow(url.href, h.baseUrl);
    expect(again.location?.startsWith(`${REDIRECT}?code=`)).toBe(true);
  });

  it("reads a wrong password and an unknown email the same", async () => {
    const browser = new FormBrowser();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: "openid",
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: "S256",
    });
    const page = await browser.follow(url.href, h.baseUrl);
    const wrong = await browser.submit(page, { email: "ada@example.com", password: "not the password" }, h.baseUrl);
    const unknown = await browser.submit(
      page,
      { email: "nobody@example.com", password: "not the password" },
      h.baseUrl,
    );
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const message = (text: string) => /<p class="error" role="alert">([^<]*)<\/p>/.exec(text)?.[1];
    expect(message(wrong.text)).toBe("Wrong email or password.");
    expect(message(unknown.text)).toBe(message(wrong.text));
  });
});
