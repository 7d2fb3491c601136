import { randomBytes } from "node:crypto";
import { createDb } from "@authpi/db";
import { createKeyring, createServices } from "@authpi/server";
import { parsed } from "@authpi/server/testing/bodies";
import { expect, test } from "@playwright/test";
import * as oidc from "openid-client";
import { e2eState } from "./fixtures.ts";
import { screenshot, signIn } from "./helpers.ts";

const REDIRECT = "http://localhost:8080/callback";
const PASSWORD = "a long enough passphrase 42";

/**
 * Federation in real Chromium on the production server: issuer A's `oidc` auth method whose
 * upstream is issuer B. The RP sends the browser to A, the button to B, B's password page back
 * through A's callback_url, and the RP gets A's tokens; the admin UI shows the callback URL.
 */
test("signs in at issuer A through issuer B as its OpenID Connect upstream", async ({ page }, testInfo) => {
  const { baseURL, databaseUrl, operatorA } = e2eState();
  const db = createDb(databaseUrl);
  const publicUrl = `http://localhost:${new URL(baseURL).port}`;
  // Nothing here writes a secret (the auth method with one goes through the API, encrypted by the server).
  const services = createServices(db, { publicUrl, keyring: createKeyring([{ id: "e2e", key: randomBytes(32) }]) });
  const account = operatorA.account_id;
  const password = {
    name: "Password",
    method: "password",
    first_factor_only: true,
    settings: { check_breached: false },
  };
  const { value: upstream } = await services.issuers.create(account, parsed.issuer({ name: "Upstream B" }));
  await services.authMethods.create(account, upstream.id, parsed.authMethod(password));
  await services.users.create(
    account,
    upstream.id,
    parsed.user({
      email: "grace@example.com",
      password: PASSWORD,
      email_verified: true,
      name: "Grace Hopper",
    }),
  );
  const { value: upstreamClient } = await services.clients.create(
    account,
    upstream.id,
    parsed.client({
      name: "Issuer A",
      application_type: "web",
      redirect_uris: ["http://localhost:8080/not-yet"],
    }),
  );
  const { value: issuer } = await services.issuers.create(
    account,
    parsed.issuer({
      name: "Shop",
      settings: { signup: { require_email_verification: false } },
    }),
  );
  const created = await fetch(`${baseURL}/v1/accounts/${account}/issuers/${issuer.id}/auth-methods`, {
    method: "POST",
    headers: { authorization: `Bearer ${operatorA.api_key}`, "content-type": "application/json" },
    body: JSON.stringify({
      name: "Upstream B",
      method: "oidc",
      first_factor_only: true,
      settings: {
        issuer_url: upstream.issuer_url,
        client_id: upstreamClient.id,
        client_secret: upstreamClient.client_secret,
      },
    }),
  });
  expect(created.status).toBe(201);
  const method = (await created.json()) as { id: string; callback_url: string };
  expect(method.callback_url).toBe(`${issuer.issuer_url}/callback/${method.id}`);
  await services.clients.update(account, upstream.id, upstreamClient.id, { redirect_uris: [method.callback_url] });
  const { value: client } = await services.clients.create(
    account,
    issuer.id,
    parsed.client({
      name: "Storefront",
      application_type: "web",
      redirect_uris: [REDIRECT],
    }),
  );

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
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: "openid profile email",
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
  });
  let callback: string | undefined;
  await page.route("http://localhost:8080/**", async (route) => {
    callback = route.request().url();
    await route.fulfill({ status: 200, contentType: "text/plain", body: "signed in" });
  });

  await page.goto(url.href);
  await screenshot(page, testInfo, "federated-button");
  await page.getByRole("button", { name: "Continue with Upstream B" }).click();
  // Issuer B's own sign-in page.
  await expect(page).toHaveURL(new RegExp(`/oidc/${upstream.id}/interaction/`));
  await page.getByLabel("Email").fill("grace@example.com");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByLabel("Password").press("Enter");
  await expect(page.getByText("signed in")).toBeVisible();

  const tokens = await oidc.authorizationCodeGrant(config, new URL(callback ?? ""), {
    pkceCodeVerifier: verifier,
    expectedState: oidc.skipStateCheck,
  });
  const user = await services.users.findByEmail(issuer.id, "grace@example.com");
  expect(tokens.claims()?.sub).toBe(user?.id);
  expect(user?.identities).toEqual([{ auth_method_id: method.id, method: "oidc", subject: expect.any(String) }]);
  await db.$disconnect();

  // The admin UI shows the callback URL to register at the upstream.
  await signIn(page, operatorA);
  await page.goto(`/issuers/${issuer.id}/auth-methods`);
  await expect(page.getByTestId("callback-url")).toHaveText(method.callback_url);
  await screenshot(page, testInfo, "callback-url");
});
