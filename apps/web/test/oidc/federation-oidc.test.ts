import { parsed } from "@authpi/server/testing/bodies";
import { createRemoteJWKSet, jwtVerify } from "jose";
import type * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertOf, pressFederated, rpConfig, rpTokens, signInPage } from "./federation-support.ts";
import { FormBrowser, type OidcHarness, oidcHarness, PASSWORD } from "./harness.ts";

// Federation for real: issuer A's `oidc` / `oauth2_manual` auth method whose upstream is issuer B
// of the same server (real discovery, real tokens, real ID token validation by openid-client).
// The RP signs in at A, is sent to B, signs in there with a password, and comes back with A's tokens.

let h: OidcHarness;

beforeAll(async () => {
  h = await oidcHarness();
});
afterAll(() => h.close());

interface Setup {
  a: string;
  b: string;
  methodId: string;
  callbackUrl: string;
  config: oidc.Configuration;
}

type Kind = "oidc" | "oauth2_manual";

/** Issuer B (the upstream, with a client whose redirect URI is A's callback_url) and issuer A. */
async function federate(
  kind: Kind,
  options: {
    signup?: Record<string, unknown>;
    method?: Record<string, unknown>;
    settings?: Record<string, unknown>;
  } = {},
): Promise<Setup> {
  const { accountId } = h.account;
  const b = await h.newIssuer({ name: "Upstream", settings: { signup: { require_email_verification: false } } });
  const upstreamClient = await h.newClient(b, { redirect_uris: ["http://localhost:8080/not-yet"] });
  const a = await h.newIssuer({ settings: { signup: { mode: "open", ...options.signup } } });
  const upstream = h.issuerUrl(b);
  const endpoints =
    kind === "oidc"
      ? { issuer_url: upstream }
      : {
          authorization_url: `${upstream}/auth`,
          token_url: `${upstream}/token`,
          userinfo_url: `${upstream}/userinfo`,
          scopes: ["openid", "email", "profile"],
        };
  const { value: method } = await h.services.authMethods.create(
    accountId,
    a,
    parsed.authMethod({
      name: "Upstream B",
      method: kind,
      first_factor_only: true,
      ...options.method,
      settings: {
        ...endpoints,
        client_id: upstreamClient.id,
        client_secret: upstreamClient.secret,
        ...options.settings,
      },
    }),
  );
  // The read-only callback_url of the API, on the services' public URL; the server here runs on its own port.
  expect((method as { callback_url?: string }).callback_url).toBe(
    `http://localhost:3000/oidc/${a}/callback/${method.id}`,
  );
  const callbackUrl = `${h.issuerUrl(a)}/callback/${method.id}`;
  await h.services.clients.update(accountId, b, upstreamClient.id, { redirect_uris: [callbackUrl] });
  return { a, b, methodId: method.id, callbackUrl, config: await rpConfig(h, a) };
}

/** The whole round trip: A's button, B's password page, back through A's callback to the RP. */
async function roundTrip(setup: Setup, email: string) {
  const { browser, verifier, page } = await signInPage(h, setup.config);
  expect(page.text).toContain("Continue with Upstream B");
  const atUpstream = await browser.submit(page, {}, h.baseUrl, `federated/${setup.methodId}`);
  expect(atUpstream.url.startsWith(`${h.issuerUrl(setup.b)}/interaction/`)).toBe(true);
  const back = await browser.submit(atUpstream, { email, password: PASSWORD }, h.baseUrl, "login");
  return { back, verifier, browser };
}

describe.each<Kind>(["oidc", "oauth2_manual"])("%s upstream: another AuthPI issuer", (kind) => {
  it("signs a new user in with A's tokens, filled from the upstream, its identity linked", async () => {
    const setup = await federate(kind);
    const upstreamUser = await h.newUser(setup.b, "grace@example.com", {
      name: "Grace Hopper",
      given_name: "Grace",
      family_name: "Hopper",
      picture: "https://example.com/grace.png",
    });
    const { back, verifier } = await roundTrip(setup, "grace@example.com");
    const tokens = await rpTokens(setup.config, back.location, verifier);
    const user = await h.services.users.findByEmail(setup.a, "grace@example.com");
    expect(user).toMatchObject({ emailVerified: true, name: "Grace Hopper", picture: "https://example.com/grace.png" });
    // A's token, for A's user (not B's), verified with A's JWKS.
    const jwks = createRemoteJWKSet(new URL(`${h.issuerUrl(setup.a)}/jwks`));
    const { payload } = await jwtVerify(tokens.id_token ?? "", jwks, { issuer: h.issuerUrl(setup.a) });
    expect(payload.sub).toBe(user?.id);
    expect(payload.sub).not.toBe(upstreamUser);
    const read = await h.services.users.get(h.account.accountId, setup.a, user?.id ?? "");
    expect(read.value.identities).toEqual([{ auth_method_id: setup.methodId, method: kind, subject: upstreamUser }]);

    // A second sign-in with the same upstream subject reaches the same user, even after an email change upstream.
    await h.services.users.update(h.account.accountId, setup.b, upstreamUser, { email: "grace.h@example.com" });
    const again = await roundTrip(setup, "grace.h@example.com");
    const second = await rpTokens(setup.config, again.back.location, again.verifier);
    expect(second.claims()?.sub).toBe(user?.id);
    const list = await h.services.users.list(h.account.accountId, setup.a, { limit: 10 });
    expect(list.data).toHaveLength(1);
  });

  it("links an existing user on an email both sides verified; never on an unverified upstream email", async () => {
    const setup = await federate(kind);
    const local = await h.newUser(setup.a, "ada@example.com");
    const upstream = await h.newUser(setup.b, "ada@example.com");
    const { back, verifier } = await roundTrip(setup, "ada@example.com");
    expect((await rpTokens(setup.config, back.location, verifier)).claims()?.sub).toBe(local);
    const linked = await h.services.users.get(h.account.accountId, setup.a, local);
    expect(linked.value.identities).toEqual([{ auth_method_id: setup.methodId, method: kind, subject: upstream }]);

    // B does not vouch for this one's email: no link, no token, and the local user stays as it was.
    const other = await h.newUser(setup.a, "bob@example.com");
    await h.newUser(setup.b, "bob@example.com", { email_verified: false });
    const refused = await roundTrip(setup, "bob@example.com");
    expect(refused.back.status).toBe(409);
    expect(alertOf(refused.back.text)).toContain("An account with this email already exists");
    expect((await h.services.users.get(h.account.accountId, setup.a, other)).value.identities).toEqual([]);
  });

  it("an unverified upstream email makes a user whose email is not verified", async () => {
    const setup = await federate(kind, { signup: { require_email_verification: false } });
    await h.newUser(setup.b, "eve@example.com", { email_verified: false });
    const { back, verifier } = await roundTrip(setup, "eve@example.com");
    await rpTokens(setup.config, back.location, verifier);
    expect(await h.services.users.findByEmail(setup.a, "eve@example.com")).toMatchObject({ emailVerified: false });
  });

  it("creates no user where the method's sign-up is off, or the issuer's sign-up is closed or limited", async () => {
    for (const options of [
      { method: { enabled_signup: false } },
      { signup: { mode: "closed" } },
      { signup: { allowed_email_domains: ["elsewhere.test"] } },
    ]) {
      const setup = await federate(kind, options);
      await h.newUser(setup.b, "new@example.com");
      const { back } = await roundTrip(setup, "new@example.com");
      expect(back.status).toBe(403);
      expect(alertOf(back.text)).toMatch(/sign-up is not available|Sign-up is limited/);
      expect(await h.services.users.findByEmail(setup.a, "new@example.com")).toBeNull();
    }
    // enabled_signup: false still signs in a user the method already knows.
    const setup = await federate(kind, { method: { enabled_signup: false } });
    const local = await h.newUser(setup.a, "known@example.com");
    await h.newUser(setup.b, "known@example.com");
    const { back, verifier } = await roundTrip(setup, "known@example.com");
    expect((await rpTokens(setup.config, back.location, verifier)).claims()?.sub).toBe(local);
  });
});

describe("oidc: the upstream's answer is checked", () => {
  it("sends state, nonce and PKCE S256 to the upstream", async () => {
    const setup = await federate("oidc");
    const { browser, page } = await signInPage(h, setup.config);
    const upstream = await pressFederated(browser, page, setup.methodId);
    expect(upstream.href.startsWith(`${h.issuerUrl(setup.b)}/auth?`)).toBe(true);
    expect(upstream.searchParams.get("redirect_uri")).toBe(setup.callbackUrl);
    expect(upstream.searchParams.get("state")).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(upstream.searchParams.get("nonce")).toBeTruthy();
    expect(upstream.searchParams.get("code_challenge_method")).toBe("S256");
    expect(upstream.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("refuses a state this sign-in did not send, and an answer used twice", async () => {
    const setup = await federate("oidc");
    const { browser, page } = await signInPage(h, setup.config);
    const upstream = await pressFederated(browser, page, setup.methodId);
    const state = upstream.searchParams.get("state") ?? "";
    const forged = `${state.slice(0, state.indexOf("."))}.${"A".repeat(22)}`;
    for (const wrong of [forged, "garbage", ""]) {
      const answer = await browser.request(`${setup.callbackUrl}?code=abc&state=${encodeURIComponent(wrong)}`);
      expect(answer.status).toBe(400);
      expect(answer.text).toContain("does not belong to a sign-in in progress");
    }
    // The right state with a code the upstream never issued: a clear failure on the sign-in page.
    const first = await browser.request(`${setup.callbackUrl}?code=not-a-code&state=${state}`);
    expect(first.status).toBe(303);
    const failed = await browser.follow(first.location ?? "", h.baseUrl);
    expect(failed.status).toBe(401);
    expect(alertOf(failed.text)).toBe("Sign-in with Upstream B failed. Try again.");
    expect(failed.text).not.toContain("not-a-code");
    // The same answer again: refused, the sign-in has no pending upstream any more.
    const replay = await browser.request(`${setup.callbackUrl}?code=not-a-code&state=${state}`);
    expect(replay.status).toBe(400);
  });

  it("an upstream's access_denied brings the user back to the sign-in page with a message", async () => {
    const setup = await federate("oidc");
    const { browser, page } = await signInPage(h, setup.config);
    const upstream = await pressFederated(browser, page, setup.methodId);
    const state = upstream.searchParams.get("state") ?? "";
    const answer = await browser.request(`${setup.callbackUrl}?error=access_denied&state=${state}`);
    const back = await browser.follow(answer.location ?? "", h.baseUrl);
    expect(back.status).toBe(401);
    expect(alertOf(back.text)).toBe("Sign-in with Upstream B was cancelled.");
    expect(back.text).toContain("Continue with Upstream B");
  });

  it("the callback of another browser's sign-in does not sign this browser in", async () => {
    const setup = await federate("oidc");
    const { browser, page } = await signInPage(h, setup.config);
    const upstream = await pressFederated(browser, page, setup.methodId);
    const state = upstream.searchParams.get("state") ?? "";
    const stranger = new FormBrowser();
    const answer = await stranger.request(`${setup.callbackUrl}?code=x&state=${state}`);
    const landed = await stranger.follow(answer.location ?? "", h.baseUrl);
    expect(landed.status).toBe(400);
    expect(landed.location).toBeNull();
  });

  it("a disabled method is neither offered nor accepted (start and callback)", async () => {
    const setup = await federate("oidc", { method: { enabled_login: false } });
    const { browser, page } = await signInPage(h, setup.config);
    expect(page.text).not.toContain("Continue with Upstream B");
    const uid = /\/interaction\/([^/"]+)\/login/.exec(page.text)?.[1];
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? "";
    const start = await browser.request(`${h.issuerUrl(setup.a)}/interaction/${uid}/federated/${setup.methodId}`, {
      form: { csrf },
    });
    expect(start.status).toBe(404);
    expect(start.location).toBeNull();
    const callback = await browser.request(`${setup.callbackUrl}?code=x&state=${uid}.${"A".repeat(22)}`);
    expect(callback.status).toBe(404);
  });

  it("no upstream secret, code or token in a page or a log line", async () => {
    const setup = await federate("oidc");
    await h.newUser(setup.b, "quiet@example.com");
    const before = h.logLines.length;
    const { back } = await roundTrip(setup, "quiet@example.com");
    const code = new URL(back.location ?? "").searchParams.get("code") ?? "";
    const lines = h.logLines.slice(before).join("\n");
    expect(lines).not.toContain(code);
    expect(lines).not.toMatch(/cs_[A-Za-z0-9]{20,}/);
    expect(back.text).not.toMatch(/cs_[A-Za-z0-9]{20,}/);
  });
});

describe("oauth2_manual: its settings", () => {
  it("pkce: false sends no code challenge, and the sign-in still works", async () => {
    const setup = await federate("oauth2_manual", { settings: { pkce: false } });
    const { browser, page } = await signInPage(h, setup.config);
    const upstream = await pressFederated(browser, page, setup.methodId);
    expect(upstream.searchParams.get("code_challenge")).toBeNull();
    expect(upstream.searchParams.get("nonce")).toBeNull();
    await h.newUser(setup.b, "nopkce@example.com");
    const { back, verifier } = await roundTrip(setup, "nopkce@example.com");
    await rpTokens(setup.config, back.location, verifier);
    const withPkce = await federate("oauth2_manual");
    const second = await signInPage(h, withPkce.config);
    const challenged = await pressFederated(second.browser, second.page, withPkce.methodId);
    expect(challenged.searchParams.get("code_challenge_method")).toBe("S256");
  });

  it("without a userinfo_url nobody can be read: a clear refusal", async () => {
    const setup = await federate("oauth2_manual", { settings: { userinfo_url: null } });
    await h.newUser(setup.b, "nobody@example.com");
    const { back } = await roundTrip(setup, "nobody@example.com");
    expect(back.status).toBe(401);
    expect(alertOf(back.text)).toBe("Sign-in with Upstream B failed. Try again.");
  });
});
