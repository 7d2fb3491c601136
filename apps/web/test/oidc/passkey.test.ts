import { createFactorStore, systemClock } from "@authpi/server";
import { testKeyring } from "@authpi/server/testing";
import { parsed } from "@authpi/server/testing/bodies";
import * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FormBrowser, type OidcHarness, oidcHarness, REDIRECT, signIn, startSignIn } from "./harness.ts";
import { type CreationOptions, pageOptions, type RequestOptions, SoftAuthenticator } from "./soft-authenticator.ts";

/**
 * The `passkey` method over HTTP, with a software authenticator standing in for the browser's
 * (e2e/passkeys.spec.ts does the same in Chromium with its virtual authenticator). The public URL
 * is http://localhost:{port}: the relying party is `localhost`.
 */

let h: OidcHarness;

beforeAll(async () => {
  h = await oidcHarness({ publicHost: "localhost" });
});
afterAll(() => h.close());

interface PasskeyIssuer {
  issuerId: string;
  methodId: string;
  config: oidc.Configuration;
}

async function passkeyIssuer(
  passkey: { first_factor_only?: boolean; enabled_login?: boolean; settings?: Record<string, unknown> } = {},
  issuer: Record<string, unknown> = {},
): Promise<PasskeyIssuer> {
  const issuerId = await h.newIssuer(issuer);
  const { value: method } = await h.services.authMethods.create(
    h.account.accountId,
    issuerId,
    parsed.authMethod({
      name: "Passkey",
      method: "passkey",
      first_factor_only: passkey.first_factor_only ?? true,
      enabled_login: passkey.enabled_login ?? true,
      settings: { rp_id: "localhost", ...passkey.settings },
    }),
  );
  const client = await h.newClient(issuerId);
  const config = await oidc.discovery(
    new URL(h.issuerUrl(issuerId)),
    client.id,
    client.secret ?? undefined,
    undefined,
    {
      execute: [oidc.allowInsecureRequests],
    },
  );
  return { issuerId, methodId: method.id, config };
}

type Answer = { status: number; text: string; url: string; location: string | null; headers: Headers };
type Flow = { verifier: string; state: string; nonce: string; browser: FormBrowser };

/** The code the RP got, exchanged: the ID token's claims. */
async function claimsOf(config: oidc.Configuration, flow: Flow, done: { status: number; location: string | null }) {
  expect(done.status).toBe(303);
  expect(done.location?.startsWith(`${REDIRECT}?`)).toBe(true);
  const tokens = await oidc.authorizationCodeGrant(config, new URL(done.location ?? ""), {
    pkceCodeVerifier: flow.verifier,
    expectedState: flow.state,
    expectedNonce: flow.nonce,
  });
  const claims = tokens.claims();
  if (!claims) throw new Error("no ID token");
  return claims;
}

/** A fresh sign-in, on its "Sign in with a passkey" page. */
async function passkeyPage(issuer: PasskeyIssuer) {
  const flow = await startSignIn(h, issuer.config);
  expect(flow.page.text).toContain("Sign in with a passkey");
  const action = flow.page.text.match(/<form method="get" action="([^"]+\/passkey)"/)?.[1] ?? "";
  const page = await flow.browser.follow(new URL(action, flow.page.url).href, h.baseUrl);
  expect(page.status).toBe(200);
  return { ...flow, page };
}

const submitCredential = (flow: Flow, page: Answer, credential: string, step: string) =>
  flow.browser.submit(page, { credential }, h.baseUrl, step);

/** Password sign-in, then the passkey registration it leads to (the offer, or MFA enrolment). */
async function registerAfterPassword(issuer: PasskeyIssuer, authenticator: SoftAuthenticator, email: string) {
  const flow = await signIn(h, issuer.config, { email });
  expect(flow.done.status).toBe(200);
  expect(flow.done.url).toMatch(/\/passkey-enrol$/);
  const options = pageOptions<CreationOptions>(flow.done.text);
  const done = await submitCredential(flow, flow.done, authenticator.create(options), "passkey-enrol");
  return { flow, options, done };
}

describe("passkey as a first factor", () => {
  it("the ceremonies' options follow the method's settings, and only the page's own script may run", async () => {
    const issuer = await passkeyIssuer({
      settings: {
        rp_name: "Shop Login",
        user_verification: "required",
        attestation: "indirect",
        authenticator_attachment: "cross-platform",
      },
    });
    await h.newUser(issuer.issuerId, "ada@example.com");
    const { flow, options } = await registerAfterPassword(
      issuer,
      new SoftAuthenticator(new URL(h.baseUrl).origin),
      "ada@example.com",
    );
    expect(options).toMatchObject({
      rp: { id: "localhost", name: "Shop Login" },
      user: { name: "ada@example.com", displayName: "Ada Lovelace" },
      attestation: "indirect",
      authenticatorSelection: {
        userVerification: "required",
        authenticatorAttachment: "cross-platform",
        residentKey: "required",
      },
    });
    const csp = flow.done.headers.get("content-security-policy") ?? "";
    const nonce = csp.match(/script-src 'nonce-([^']+)'/)?.[1];
    expect(csp).toContain("default-src 'none'");
    expect(nonce).toBeTruthy();
    expect(flow.done.text).toContain(`<script nonce="${nonce}">`);

    const { page } = await passkeyPage(issuer);
    expect(pageOptions<RequestOptions & { userVerification: string }>(page.text)).toMatchObject({
      rpId: "localhost",
      userVerification: "required",
    });

    // The defaults: rp_name is the issuer's name, user verification preferred, no attestation.
    const plain = await passkeyIssuer({}, { name: "Plain Shop" });
    await h.newUser(plain.issuerId, "ada@example.com");
    const second = await registerAfterPassword(
      plain,
      new SoftAuthenticator(new URL(h.baseUrl).origin),
      "ada@example.com",
    );
    expect(second.options).toMatchObject({
      rp: { id: "localhost", name: "Plain Shop" },
      attestation: "none",
      authenticatorSelection: { userVerification: "preferred" },
    });
    expect(second.options).not.toHaveProperty("authenticatorSelection.authenticatorAttachment");
  });

  it("registers a passkey after a password sign-in, then signs in with it alone; the counter moves on", async () => {
    const issuer = await passkeyIssuer();
    const userId = await h.newUser(issuer.issuerId, "ada@example.com");
    const authenticator = new SoftAuthenticator(new URL(h.baseUrl).origin);
    const { flow, done } = await registerAfterPassword(issuer, authenticator, "ada@example.com");
    expect((await claimsOf(issuer.config, flow, done)).amr).toEqual(["pwd"]);

    const { value: user } = await h.services.users.get(h.account.accountId, issuer.issuerId, userId);
    expect(user.factors).toEqual([expect.objectContaining({ type: "passkey", name: "Passkey", last_used_at: null })]);
    expect(JSON.stringify(user)).not.toContain(authenticator.credentials[0]?.id.toString("base64url"));

    const signedIn = await passkeyPage(issuer);
    const finished = await submitCredential(
      signedIn,
      signedIn.page,
      authenticator.get(pageOptions<RequestOptions>(signedIn.page.text)),
      "passkey",
    );
    const claims = await claimsOf(issuer.config, signedIn, finished);
    expect(claims.sub).toBe(userId);
    // User verification (the authenticator's PIN or biometrics) makes the passkey two factors.
    expect(claims.amr).toEqual(["hwk", "user", "mfa"]);

    const [factor] = await createFactorStore(h.services.db, () => testKeyring(), systemClock).list(userId, "passkey");
    expect(JSON.parse(factor?.secret ?? "{}")).toMatchObject({ counter: 1, transports: ["internal"] });
    expect(factor?.lastUsedAt).not.toBeNull();

    // No offer once the user has a passkey: a password sign-in goes straight to the tokens.
    const again = await signIn(h, issuer.config);
    expect((await claimsOf(issuer.config, again, again.done)).amr).toEqual(["pwd"]);
  });

  it("refuses another challenge, another origin, an unknown credential, a replayed assertion, and no user verification when it is required", async () => {
    const issuer = await passkeyIssuer({ settings: { user_verification: "required" } });
    await h.newUser(issuer.issuerId, "ada@example.com");
    const authenticator = new SoftAuthenticator(new URL(h.baseUrl).origin);
    await registerAfterPassword(issuer, authenticator, "ada@example.com");
    const stranger = new SoftAuthenticator(new URL(h.baseUrl).origin);
    stranger.create({
      challenge: "x",
      rp: { id: "localhost", name: "" },
      user: { id: "dXNy", name: "", displayName: "" },
    });

    const attempts: [string, (options: RequestOptions) => string][] = [
      [
        "another challenge",
        (o) => authenticator.get(o, { challenge: Buffer.from("not the one").toString("base64url") }),
      ],
      ["another origin", (o) => authenticator.get(o, { origin: "http://evil.localhost" })],
      ["an unknown credential", (o) => stranger.get(o)],
      ["no user verification", (o) => authenticator.get(o, { userVerified: false })],
      ["not JSON", () => "{not json"],
    ];
    for (const [what, answer] of attempts) {
      const flow = await passkeyPage(issuer);
      const refused = await submitCredential(
        flow,
        flow.page,
        answer(pageOptions<RequestOptions>(flow.page.text)),
        "passkey",
      );
      expect(refused.status, what).toBe(401);
      expect(refused.text, what).toContain("That passkey could not sign you in.");
    }

    // A good assertion signs in once; the same one again, in a new sign-in, does not.
    const flow = await passkeyPage(issuer);
    const good = authenticator.get(pageOptions<RequestOptions>(flow.page.text));
    expect((await submitCredential(flow, flow.page, good, "passkey")).status).toBe(303);
    const replay = await passkeyPage(issuer);
    expect((await submitCredential(replay, replay.page, good, "passkey")).status).toBe(401);
  });

  it("limits failed attempts (a 429 page with Retry-After), and a blocked user's passkey signs nobody in", async () => {
    const issuer = await passkeyIssuer();
    const userId = await h.newUser(issuer.issuerId, "ada@example.com");
    const authenticator = new SoftAuthenticator(new URL(h.baseUrl).origin);
    await registerAfterPassword(issuer, authenticator, "ada@example.com");

    const flow = await passkeyPage(issuer);
    let page: Answer = flow.page;
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      page = await submitCredential(
        flow,
        page,
        authenticator.get(pageOptions<RequestOptions>(page.text), { challenge: "AAAA" }),
        "passkey",
      );
      expect(page.status).toBe(401);
    }
    const limited = await submitCredential(
      flow,
      page,
      authenticator.get(pageOptions<RequestOptions>(page.text)),
      "passkey",
    );
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);

    await h.services.users.update(h.account.accountId, issuer.issuerId, userId, { status: "blocked" });
    const blocked = await passkeyPage(issuer);
    const refused = await submitCredential(
      blocked,
      blocked.page,
      authenticator.get(pageOptions<RequestOptions>(blocked.page.text)),
      "passkey",
    );
    expect(refused.status).toBe(401);
  });

  it("a disabled passkey method is neither offered nor accepted by a crafted post", async () => {
    const issuer = await passkeyIssuer();
    await h.newUser(issuer.issuerId, "ada@example.com");
    const authenticator = new SoftAuthenticator(new URL(h.baseUrl).origin);
    await registerAfterPassword(issuer, authenticator, "ada@example.com");
    // A sign-in holds a live challenge when the method gets disabled.
    const pending = await passkeyPage(issuer);
    const assertion = authenticator.get(pageOptions<RequestOptions>(pending.page.text));
    await h.services.authMethods.update(h.account.accountId, issuer.issuerId, issuer.methodId, {
      enabled_login: false,
    });
    await expect
      .poll(async () => (await startSignIn(h, issuer.config)).page.text, { timeout: 5_000 })
      .not.toContain("Sign in with a passkey");

    const crafted = await submitCredential(pending, pending.page, assertion, "passkey");
    expect(crafted.status).toBe(404);
    expect(crafted.location).toBeNull();
    const fresh = await startSignIn(h, issuer.config);
    expect((await fresh.browser.request(`${fresh.page.url}/passkey`)).status).toBe(404);
    // Nor offered after a password sign-in.
    const password = await signIn(h, issuer.config);
    expect((await claimsOf(issuer.config, password, password.done)).amr).toEqual(["pwd"]);
  });

  it("an rp_id that is not the public host (nor a parent domain of it) is a clear error page", async () => {
    const issuer = await passkeyIssuer({ settings: { rp_id: "example.com" } });
    await h.newUser(issuer.issuerId, "ada@example.com");
    const flow = await startSignIn(h, issuer.config);
    const page = await flow.browser.request(`${flow.page.url}/passkey`);
    expect(page.status).toBe(400);
    expect(page.text).toContain(
      "Passkeys are set up for &quot;example.com&quot;, but this sign-in runs on &quot;localhost&quot;",
    );
    expect(page.text).not.toMatch(/at \w+ \(|node_modules/);
    // Password sign-in still works, without offering a passkey that cannot work.
    const password = await signIn(h, issuer.config);
    expect(password.done.status).toBe(303);
  });

  it("the offer can be skipped", async () => {
    const issuer = await passkeyIssuer();
    await h.newUser(issuer.issuerId, "ada@example.com");
    const flow = await signIn(h, issuer.config);
    expect(flow.done.text).toContain("Sign in faster with a passkey");
    const skipped = await flow.browser.submit(flow.done, {}, h.baseUrl, "passkey-skip");
    expect((await claimsOf(issuer.config, flow, skipped)).amr).toEqual(["pwd"]);
  });
});

describe("passkey as a second factor", () => {
  it("MFA required: enrolled at the first sign-in, asked at the next; another user's passkey is refused", async () => {
    const issuer = await passkeyIssuer({ first_factor_only: false }, { settings: { mfa: { policy: "required" } } });
    const adaId = await h.newUser(issuer.issuerId, "ada@example.com");
    await h.newUser(issuer.issuerId, "bob@example.com");
    const ada = new SoftAuthenticator(new URL(h.baseUrl).origin);
    const bob = new SoftAuthenticator(new URL(h.baseUrl).origin);

    const first = await registerAfterPassword(issuer, ada, "ada@example.com");
    expect(first.flow.done.text).toContain("This account needs a second factor");
    expect(first.options).toMatchObject({ authenticatorSelection: { residentKey: "preferred" } });
    expect((await claimsOf(issuer.config, first.flow, first.done)).amr).toEqual(["pwd", "hwk", "user", "mfa"]);
    await registerAfterPassword(issuer, bob, "bob@example.com");

    const next = await signIn(h, issuer.config);
    expect(next.done.status).toBe(200);
    expect(next.done.url).toMatch(/\/passkey-mfa$/);
    // Enrolling a new passkey instead of proving the enrolled one is not a way around it.
    const enrol = await next.browser.request(next.done.url.replace(/passkey-mfa$/, "passkey-enrol"));
    expect(enrol.status).toBe(303);
    expect(enrol.location).toMatch(/\/mfa$/);

    const options = pageOptions<RequestOptions>(next.done.text);
    expect(options.allowCredentials?.map((c) => c.id)).toEqual([ada.credentials[0]?.id.toString("base64url")]);
    const bobs = await submitCredential(
      next,
      next.done,
      bob.get(options, { credential: bob.credentials[0] }),
      "passkey-mfa",
    );
    expect(bobs.status).toBe(401);
    expect(bobs.text).toContain("That passkey could not confirm your sign-in.");

    const retry = pageOptions<RequestOptions>(bobs.text);
    const done = await submitCredential(next, { ...bobs, url: next.done.url }, ada.get(retry), "passkey-mfa");
    const claims = await claimsOf(issuer.config, next, done);
    expect(claims.sub).toBe(adaId);
    expect(claims.amr).toEqual(["pwd", "hwk", "user", "mfa"]);
  });
});
