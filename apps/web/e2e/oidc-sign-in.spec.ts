import { randomBytes } from "node:crypto";
import { createDb } from "@authpi/db";
import { createKeyring, createServices } from "@authpi/server";
import { parsed } from "@authpi/server/testing/bodies";
import { expect, test } from "@playwright/test";
import { createRemoteJWKSet, jwtVerify } from "jose";
import * as oidc from "openid-client";
import { e2eState } from "./fixtures.ts";
import { screenshot } from "./helpers.ts";

const REDIRECT = "http://localhost:8080/callback";
const PASSWORD = "a long enough passphrase 42";

/**
 * A real RP (openid-client) and a real browser: authorization code + PKCE through the issuer's
 * hosted sign-in page, served by the production server.
 */
test("an application signs a user in through the hosted page, by keyboard", async ({ page }, testInfo) => {
  const { baseURL, databaseUrl, operatorA } = e2eState();
  const db = createDb(databaseUrl);
  // The server's public URL is its default, http://localhost:{PORT}.
  // A password method has no secret to encrypt; the keyring is only required by the service.
  const keyring = createKeyring([{ id: "e2e", key: randomBytes(32) }]);
  const services = createServices(db, { publicUrl: `http://localhost:${new URL(baseURL).port}`, keyring });
  const { value: issuer } = await services.issuers.create(
    operatorA.account_id,
    parsed.issuer({
      name: "Shop",
      settings: { branding: { display_name: "Shop Accounts", primary_color: "#0a7d34" } },
    }),
  );
  await services.authMethods.create(
    operatorA.account_id,
    issuer.id,
    parsed.authMethod({
      name: "Password",
      method: "password",
      first_factor_only: true,
      settings: { check_breached: false },
    }),
  );
  const { value: client } = await services.clients.create(
    operatorA.account_id,
    issuer.id,
    parsed.client({
      name: "Storefront",
      application_type: "web",
      redirect_uris: [REDIRECT],
    }),
  );
  await services.users.create(
    operatorA.account_id,
    issuer.id,
    parsed.user({
      email: "ada@example.com",
      password: PASSWORD,
      email_verified: true,
      name: "Ada Lovelace",
    }),
  );
  await db.$disconnect();

  const config = await oidc.discovery(
    new URL(issuer.issuer_url),
    client.id,
    client.client_secret ?? undefined,
    undefined,
    {
      execute: [oidc.allowInsecureRequests],
    },
  );
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: "openid profile email",
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
  });

  // The application's callback: nothing listens there, the test catches the redirect.
  let callback: string | undefined;
  await page.route("http://localhost:8080/**", async (route) => {
    callback = route.request().url();
    await route.fulfill({ status: 200, contentType: "text/plain", body: "signed in" });
  });

  await page.goto(url.href);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await expect(page.getByText("Shop Accounts")).toBeVisible();
  await screenshot(page, testInfo, "hosted-sign-in");

  // A wrong password first: the error is announced, the email kept.
  await page.getByLabel("Email").fill("ada@example.com");
  await page.getByLabel("Password").fill("not the password");
  await page.getByLabel("Password").press("Enter");
  await expect(page.getByRole("alert")).toHaveText("Wrong email or password.");
  await expect(page.getByLabel("Email")).toHaveValue("ada@example.com");

  // Keyboard only: Tab from the email field to the password, Enter submits.
  await page.getByLabel("Email").focus();
  await page.keyboard.press("Tab");
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press("Enter");
  await expect(page.getByText("signed in")).toBeVisible();

  expect(callback).toBeDefined();
  const tokens = await oidc.authorizationCodeGrant(config, new URL(callback ?? ""), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
  });
  const jwks = createRemoteJWKSet(new URL(`${issuer.issuer_url}/jwks`));
  const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: issuer.issuer_url, typ: "at+jwt" });
  const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, String(payload.sub));
  expect(userinfo).toMatchObject({ email: "ada@example.com", name: "Ada Lovelace", email_verified: true });
});
