import { randomBytes } from "node:crypto";
import { createDb } from "@authpi/db";
import { createKeyring, createServices } from "@authpi/server";
import { parsed } from "@authpi/server/testing/bodies";
import { type CDPSession, expect, type Page, test } from "@playwright/test";
import * as oidc from "openid-client";
import { e2eState } from "./fixtures.ts";
import { screenshot } from "./helpers.ts";

const REDIRECT = "http://localhost:8080/callback";
const PASSWORD = "a long enough passphrase 42";

/**
 * Passkeys in real Chromium, against the production server: its virtual authenticator (the CDP
 * WebAuthn domain, with user verification) answers the pages' `navigator.credentials` calls. The
 * server's public URL is http://localhost:{PORT}, a secure context, so the relying party is
 * `localhost`.
 */

async function setUp(passkey: { first_factor_only: boolean }, settings: Record<string, unknown> = {}) {
  const { baseURL, databaseUrl, operatorA } = e2eState();
  const db = createDb(databaseUrl);
  const keyring = createKeyring([{ id: "e2e", key: randomBytes(32) }]);
  const services = createServices(db, { publicUrl: `http://localhost:${new URL(baseURL).port}`, keyring });
  const account = operatorA.account_id;
  const { value: issuer } = await services.issuers.create(account, parsed.issuer({ name: "Shop", settings }));
  await services.authMethods.create(
    account,
    issuer.id,
    parsed.authMethod({
      name: "Password",
      method: "password",
      first_factor_only: true,
      settings: { check_breached: false },
    }),
  );
  await services.authMethods.create(
    account,
    issuer.id,
    parsed.authMethod({
      name: "Passkey",
      method: "passkey",
      first_factor_only: passkey.first_factor_only,
      settings: { rp_id: "localhost" },
    }),
  );
  const { value: client } = await services.clients.create(
    account,
    issuer.id,
    parsed.client({
      name: "Storefront",
      application_type: "web",
      redirect_uris: [REDIRECT],
    }),
  );
  const email = `ada-${randomBytes(4).toString("hex")}@example.com`;
  const { value: user } = await services.users.create(
    account,
    issuer.id,
    parsed.user({
      email,
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
  return { config, email, userId: user.id };
}

async function virtualAuthenticator(page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
    },
  });
  return { cdp, authenticatorId };
}

/**
 * One authorization code flow: opens the hosted page in a fresh session, lets `act` sign in,
 * catches the redirect to the application and exchanges the code; returns the ID token's claims.
 */
async function signIn(page: Page, config: oidc.Configuration, act: () => Promise<void>) {
  await page.context().clearCookies();
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: "openid email",
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
  });
  let callback: string | undefined;
  await page.route("http://localhost:8080/**", async (route) => {
    callback = route.request().url();
    await route.fulfill({ status: 200, contentType: "text/plain", body: "signed in" });
  });
  await page.goto(url.href);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await act();
  await expect(page.getByText("signed in")).toBeVisible();
  await page.unrouteAll();
  const tokens = await oidc.authorizationCodeGrant(config, new URL(callback ?? ""), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
  });
  const claims = tokens.claims();
  if (!claims) throw new Error("no ID token");
  return claims;
}

async function password(page: Page, email: string) {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

test("a passkey added after a password sign-in then signs in by itself (first factor)", async ({ page }, testInfo) => {
  const { config, email, userId } = await setUp({ first_factor_only: true });
  const { cdp, authenticatorId } = await virtualAuthenticator(page);

  const first = await signIn(page, config, async () => {
    await password(page, email);
    await expect(page.getByRole("heading", { name: "Sign in faster with a passkey" })).toBeVisible();
    await screenshot(page, testInfo, "passkey-offer");
    await page.getByRole("button", { name: "Add a passkey" }).click();
  });
  expect(first.amr).toEqual(["pwd"]);
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  expect(credentials).toHaveLength(1);
  expect(credentials[0]?.isResidentCredential).toBe(true);
  expect(credentials[0]?.rpId).toBe("localhost");

  const second = await signIn(page, config, async () => {
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  });
  expect(second.sub).toBe(userId);
  expect(second.amr).toEqual(["hwk", "user", "mfa"]);
  const after = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  expect(after.credentials[0]?.signCount).toBeGreaterThan(credentials[0]?.signCount ?? 0);
});

test("MFA required: a passkey enrolled at the first sign-in is asked after the password at the next", async ({
  page,
}, testInfo) => {
  const { config, email, userId } = await setUp({ first_factor_only: false }, { mfa: { policy: "required" } });
  const { cdp, authenticatorId } = await virtualAuthenticator(page);

  const first = await signIn(page, config, async () => {
    await password(page, email);
    await expect(page.getByText("This account needs a second factor")).toBeVisible();
    await screenshot(page, testInfo, "passkey-enrol");
    await page.getByRole("button", { name: "Add a passkey" }).click();
  });
  expect(first.amr).toEqual(["pwd", "hwk", "user", "mfa"]);
  expect((await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials).toHaveLength(1);

  // The passkey page asks the authenticator by itself; the virtual one answers at once.
  const second = await signIn(page, config, async () => {
    await password(page, email);
  });
  expect(second.sub).toBe(userId);
  expect(second.amr).toEqual(["pwd", "hwk", "user", "mfa"]);
});
