import * as oidc from "openid-client";
import { expect } from "vitest";
import { FormBrowser, type OidcHarness, REDIRECT } from "./harness.ts";

/** What federation tests share: the RP at the issuer under test, and its federated buttons. */

export async function rpConfig(h: OidcHarness, issuerId: string) {
  const client = await h.newClient(issuerId);
  return oidc.discovery(new URL(h.issuerUrl(issuerId)), client.id, client.secret ?? undefined, undefined, {
    execute: [oidc.allowInsecureRequests],
  });
}

/** The RP sends a fresh browser to the issuer's sign-in page. */
export async function signInPage(h: OidcHarness, config: oidc.Configuration) {
  const browser = new FormBrowser();
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: "openid profile email",
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
  });
  const page = await browser.follow(url.href, h.baseUrl);
  expect(page.status).toBe(200);
  return { browser, verifier, page };
}

/** Clicks the method's button; returns where the browser is sent (the upstream) without going there. */
export async function pressFederated(browser: FormBrowser, page: { text: string; url: string }, methodId: string) {
  const answer = await browser.submit(page, {}, "http://no-follow.invalid", `federated/${methodId}`);
  expect(answer.status).toBe(303);
  return new URL(answer.location ?? "");
}

/** The RP's code exchange after the hosted pages sent the browser back to it. */
export async function rpTokens(config: oidc.Configuration, location: string | null, verifier: string) {
  expect(location?.startsWith(`${REDIRECT}?code=`)).toBe(true);
  return oidc.authorizationCodeGrant(config, new URL(location ?? ""), {
    pkceCodeVerifier: verifier,
    expectedState: oidc.skipStateCheck,
  });
}

/** The page's alert text (the error shown above the methods). */
export const alertOf = (html: string) => /<p class="error" role="alert">([^<]*)<\/p>/.exec(html)?.[1] ?? null;

/** Follows redirects across origins (to the upstream and back) until the RP's redirect URI or a page. */
export async function followAll(browser: FormBrowser, url: string) {
  let current = url;
  for (let hop = 0; hop < 15; hop += 1) {
    const answer = await browser.request(current);
    if (!answer.location || answer.location.startsWith(REDIRECT)) return { ...answer, url: current };
    current = answer.location;
  }
  throw new Error("too many redirects");
}
