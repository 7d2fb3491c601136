import { SIGN_IN_LIMITS } from "@authpi/server";
import * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FormBrowser, type OidcHarness, oidcHarness, PASSWORD, REDIRECT, relyingParty } from "./harness.ts";

const REDIS_URL = "redis://127.0.0.1:6379";

let h: OidcHarness;
let issuerId: string;
let config: oidc.Configuration;

beforeAll(async () => {
  h = await oidcHarness({ redisUrl: REDIS_URL });
  issuerId = await h.newIssuer();
  const client = await h.newClient(issuerId);
  await h.newUser(issuerId, "ada@example.com");
  config = await oidc.discovery(new URL(h.issuerUrl(issuerId)), client.id, client.secret ?? undefined, undefined, {
    execute: [oidc.allowInsecureRequests],
  });
});

afterAll(() => h.close());

async function signInPage(harness = h, configuration = config) {
  const browser = new FormBrowser();
  const url = oidc.buildAuthorizationUrl(configuration, {
    redirect_uri: REDIRECT,
    scope: "openid",
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: "S256",
  });
  const first = await browser.request(url.href);
  const page = await browser.follow(first.location ?? "", harness.baseUrl);
  return { browser, page, firstSetCookies: first.headers.getSetCookie() };
}

describe("abuse rules of the hosted pages", () => {
  it("limits failed sign-ins per user, with a 429 page and Retry-After, even for the right password", async () => {
    const { browser, page } = await signInPage();
    for (let attempt = 0; attempt < SIGN_IN_LIMITS.perUser; attempt += 1) {
      const wrong = await browser.submit(page, { email: "ada@example.com", password: `wrong ${attempt}` }, h.baseUrl);
      expect(wrong.status).toBe(401);
    }
    const blocked = await browser.submit(page, { email: "ADA@example.com", password: PASSWORD }, h.baseUrl);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(blocked.text).toContain("Too many attempts");
    // Another user of the same issuer is not affected.
    await h.newUser(issuerId, "grace@example.com");
    const other = await browser.submit(page, { email: "grace@example.com", password: PASSWORD }, h.baseUrl);
    expect(other.location?.startsWith(REDIRECT)).toBe(true);
  });

  it("counts failures in Redis, so every process sees them", async () => {
    const prefix = `authpi:test:shared:${Date.now()}`;
    const [one, two] = await Promise.all([
      oidcHarness({ redisUrl: REDIS_URL, attemptsPrefix: prefix }),
      oidcHarness({ redisUrl: REDIS_URL, attemptsPrefix: prefix }),
    ]);
    try {
      const issuer = await one.newIssuer();
      const client = await one.newClient(issuer);
      await one.newUser(issuer, "carol@example.com");
      const discover = (harness: OidcHarness) =>
        oidc.discovery(new URL(harness.issuerUrl(issuer)), client.id, client.secret ?? undefined, undefined, {
          execute: [oidc.allowInsecureRequests],
        });
      const first = await signInPage(one, await discover(one));
      for (let attempt = 0; attempt < SIGN_IN_LIMITS.perUser; attempt += 1) {
        await first.browser.submit(first.page, { email: "carol@example.com", password: "wrong" }, one.baseUrl);
      }
      const other = await signInPage(two, await discover(two));
      const blocked = await other.browser.submit(
        other.page,
        { email: "carol@example.com", password: PASSWORD },
        two.baseUrl,
      );
      expect(blocked.status).toBe(429);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it("refuses a form without its CSRF token, or with another sign-in's", async () => {
    const { browser, page } = await signInPage();
    const action = /<form method="post" action="([^"]+)"/.exec(page.text)?.[1] ?? "";
    const target = new URL(action, h.baseUrl).href;
    const missing = await browser.request(target, { form: { email: "ada@example.com", password: PASSWORD } });
    expect(missing.status).toBe(403);
    expect(missing.location).toBeNull();

    const other = await signInPage();
    const foreign = /name="csrf" value="([^"]+)"/.exec(other.page.text)?.[1] ?? "";
    const forged = await browser.request(target, {
      form: { csrf: foreign, email: "ada@example.com", password: PASSWORD },
    });
    expect(forged.status).toBe(403);
  });

  it("sets HttpOnly, SameSite=Lax cookies scoped to the issuer, Secure over https", async () => {
    const { firstSetCookies } = await signInPage();
    expect(firstSetCookies.length).toBeGreaterThan(0);
    for (const cookie of firstSetCookies) {
      expect(cookie.toLowerCase()).toContain("httponly");
      expect(cookie.toLowerCase()).toContain("samesite=lax");
      expect(cookie).toContain(`path=/oidc/${issuerId}`);
      expect(cookie.toLowerCase()).not.toContain("secure");
    }

    const proxied = await oidcHarness({ trustProxy: true });
    try {
      const issuer = await proxied.newIssuer();
      const client = await proxied.newClient(issuer);
      const url = new URL(`${proxied.issuerUrl(issuer)}/auth`);
      url.search = new URLSearchParams({
        client_id: client.id,
        response_type: "code",
        redirect_uri: REDIRECT,
        scope: "openid",
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: "S256",
      }).toString();
      const answer = await fetch(url, { redirect: "manual", headers: { "x-forwarded-proto": "https" } });
      const cookies = answer.headers.getSetCookie();
      expect(cookies.length).toBeGreaterThan(0);
      for (const cookie of cookies) expect(cookie.toLowerCase()).toContain("secure");
    } finally {
      await proxied.close();
    }
  });

  it("limits failed sign-ins per client IP across emails, known or not (429 page with Retry-After)", async () => {
    // An issuer of its own: the per-IP count is per issuer, and this file's other cases share 127.0.0.1.
    const lone = await h.newIssuer();
    await h.newUser(lone, "known@example.com");
    const configuration = await relyingParty(h, lone);
    const { browser, page } = await signInPage(h, configuration);
    for (let attempt = 0; attempt < SIGN_IN_LIMITS.perIp; attempt += 1) {
      // Never the same email twice: the per-user limit (5) is not what stops this.
      const email = attempt === 0 ? "known@example.com" : `spray-${attempt}@example.com`;
      const wrong = await browser.submit(page, { email, password: "Summer2026!" }, h.baseUrl);
      expect(wrong.status, `attempt ${attempt}`).toBe(401);
    }
    const blocked = await browser.submit(page, { email: "someone-else@example.com", password: "x" }, h.baseUrl);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    const known = await browser.submit(page, { email: "known@example.com", password: PASSWORD }, h.baseUrl);
    expect(known.status).toBe(429);
  });

  it("an unknown email and a wrong password take about the same time (both verify one hash)", async () => {
    const lone = await h.newIssuer();
    const configuration = await relyingParty(h, lone);
    const { browser, page } = await signInPage(h, configuration);
    const timed = async (email: string) => {
      const start = performance.now();
      const answer = await browser.submit(page, { email, password: "not the password" }, h.baseUrl);
      expect(answer.status).toBe(401);
      return performance.now() - start;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    // Interleaved, one attempt per email (the per-user limit), under the per-IP limit.
    for (let i = 0; i < 7; i += 1) {
      await h.newUser(lone, `timed-${i}@example.com`);
      known.push(await timed(`timed-${i}@example.com`));
      unknown.push(await timed(`nobody-${i}@example.com`));
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    // A password hash costs tens of milliseconds; skipping it for unknown emails would be a ratio near 0.
    const ratio = median(unknown) / median(known);
    expect(ratio, `unknown ${median(unknown).toFixed(1)} ms, known ${median(known).toFixed(1)} ms`).toBeGreaterThan(
      0.6,
    );
    expect(ratio).toBeLessThan(1.7);
  });

  it("never answers the hosted pages with a stack trace or the /v1 error shape", async () => {
    const { browser } = await signInPage();
    const broken = await browser.request(`${h.issuerUrl(issuerId)}/interaction/unknown-uid`);
    expect(broken.status).toBe(400);
    expect(broken.text).not.toMatch(/at .*\.ts:\d+/);
    expect(broken.text).not.toContain('"error":{');
    const badToken = await fetch(`${h.issuerUrl(issuerId)}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=nope",
    });
    const body = (await badToken.json()) as Record<string, unknown>;
    expect(typeof body.error).toBe("string");
  });
});
