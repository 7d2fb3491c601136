import { generateKeyPairSync } from "node:crypto";
import { parsed } from "@authpi/server/testing/bodies";
import type * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertOf, followAll, pressFederated, rpConfig, rpTokens, signInPage } from "./federation-support.ts";
import {
  appleSpec,
  CLIENT_ID,
  CLIENT_SECRET,
  discordSpec,
  type FakeUpstream,
  fakeUpstream,
  githubSpec,
  googleSpec,
  providerSpecs,
  spotifySpec,
} from "./federation-upstreams.ts";
import { type OidcHarness, oidcHarness } from "./harness.ts";

// GitHub, Apple and the `oauth2` providers cannot be reached from here: each is a local server
// speaking the provider's documented protocol, and the harness points the provider's origin at it.

const APPLE_TEAM = "TEAM123456";
const APPLE_KEY_ID = "KEYID12345";
const appleKey = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const applePrivatePem = appleKey.privateKey.export({ type: "pkcs8", format: "pem" }).toString();

let h: OidcHarness;
const githubControl = { answerForm: false };
let github: FakeUpstream;
let apple: FakeUpstream;
let appleControl: Awaited<ReturnType<typeof appleSpec>>["control"];
let google: FakeUpstream;
let discord: FakeUpstream;
let spotify: FakeUpstream;
type Provider = keyof typeof providerSpecs;
const providers = {} as Record<Provider, FakeUpstream>;

beforeAll(async () => {
  github = await fakeUpstream(githubSpec(githubControl));
  const appleFake = await appleSpec({
    publicKeyPem: appleKey.publicKey.export({ type: "spki", format: "pem" }).toString(),
    teamId: APPLE_TEAM,
    keyId: APPLE_KEY_ID,
  });
  appleControl = appleFake.control;
  apple = await fakeUpstream(appleFake.spec);
  google = await fakeUpstream(googleSpec);
  discord = await fakeUpstream(discordSpec);
  spotify = await fakeUpstream(spotifySpec);
  for (const [name, spec] of Object.entries(providerSpecs)) providers[name as Provider] = await fakeUpstream(spec);
  const providerUrls = Object.fromEntries(Object.entries(providers).map(([name, fake]) => [name, fake.url]));
  h = await oidcHarness({
    upstreams: {
      github: github.url,
      apple: apple.url,
      google: google.url,
      discord: discord.url,
      spotify: spotify.url,
      ...providerUrls,
    },
  });
});

afterAll(async () => {
  await h.close();
  for (const fake of [github, apple, google, discord, spotify, ...Object.values(providers)]) await fake.close();
});

interface Setup {
  issuerId: string;
  methodId: string;
  callbackUrl: string;
  config: oidc.Configuration;
}

async function issuerWith(method: Record<string, unknown>, signup: Record<string, unknown> = {}): Promise<Setup> {
  const issuerId = await h.newIssuer({ settings: { signup: { require_email_verification: false, ...signup } } });
  const { value } = await h.services.authMethods.create(
    h.account.accountId,
    issuerId,
    parsed.authMethod({
      first_factor_only: true,
      ...method,
    }),
  );
  return {
    issuerId,
    methodId: value.id,
    callbackUrl: `${h.issuerUrl(issuerId)}/callback/${value.id}`,
    config: await rpConfig(h, issuerId),
  };
}

const githubMethod = {
  name: "GitHub",
  method: "github",
  settings: { client_id: CLIENT_ID, client_secret: CLIENT_SECRET },
};

/** Button, upstream (which approves at once), callback, and on to the RP (or a page on the way). */
async function viaRedirect(setup: Setup) {
  const { browser, verifier, page } = await signInPage(h, setup.config);
  const upstream = await pressFederated(browser, page, setup.methodId);
  const end = await followAll(browser, upstream.href);
  return { end, verifier, upstream };
}

async function userOf(setup: Setup, sub: string | undefined) {
  return (await h.services.users.get(h.account.accountId, setup.issuerId, sub ?? "")).value;
}

describe("github", () => {
  it("signs in through the web flow: JSON token answer, /user, the primary verified email of /user/emails", async () => {
    const setup = await issuerWith(githubMethod);
    github.person = { id: "4242", email: "octo@example.com", verified: true, name: "Octo Cat" };
    const { end, verifier, upstream } = await viaRedirect(setup);
    expect(upstream.origin).toBe(github.url);
    expect(upstream.pathname).toBe("/login/oauth/authorize");
    expect(upstream.searchParams.get("scope")).toBe("read:user user:email");
    expect(upstream.searchParams.get("redirect_uri")).toBe(setup.callbackUrl);
    const tokens = await rpTokens(setup.config, end.location, verifier);
    const user = await userOf(setup, tokens.claims()?.sub);
    expect(user).toMatchObject({
      email: "octo@example.com",
      email_verified: true,
      name: "Octo Cat",
      picture: "https://avatars.githubusercontent.com/u/4242",
      identities: [{ auth_method_id: setup.methodId, method: "github", subject: "4242" }],
    });
    const request = github.tokenRequests.at(-1);
    expect(request?.headers.accept).toContain("application/json");
    expect(request?.form.get("client_secret")).toBe(CLIENT_SECRET);
    expect(request?.form.get("code_verifier")).toBeTruthy();

    // Again with the same GitHub id: the same user, however the email changed there.
    github.person = { id: "4242", email: "renamed@example.com", verified: true };
    const again = await viaRedirect(setup);
    expect((await rpTokens(setup.config, again.end.location, again.verifier)).claims()?.sub).toBe(user.id);

    // A blocked user gets no token through its upstream identity either.
    await h.services.users.update(h.account.accountId, setup.issuerId, user.id, { status: "blocked" });
    const blocked = await viaRedirect(setup);
    expect(blocked.end.status).toBe(403);
    expect(alertOf(blocked.end.text)).toBe("This account cannot sign in.");
  });

  it("reads GitHub's form-encoded token answer too", async () => {
    const setup = await issuerWith(githubMethod);
    githubControl.answerForm = true;
    try {
      github.person = { id: "77", email: "form@example.com", verified: true };
      const { end, verifier } = await viaRedirect(setup);
      const tokens = await rpTokens(setup.config, end.location, verifier);
      expect((await userOf(setup, tokens.claims()?.sub)).email).toBe("form@example.com");
    } finally {
      githubControl.answerForm = false;
    }
  });

  it("an unverified primary email is not trusted: not verified, and never linked to the user who has it", async () => {
    const setup = await issuerWith(githubMethod);
    github.person = { id: "500", email: "fresh@example.com", verified: false };
    const { end, verifier } = await viaRedirect(setup);
    const user = await userOf(setup, (await rpTokens(setup.config, end.location, verifier)).claims()?.sub);
    expect(user.email_verified).toBe(false);

    const owner = await h.newUser(setup.issuerId, "owner@example.com");
    github.person = { id: "501", email: "owner@example.com", verified: false };
    const refused = await viaRedirect(setup);
    expect(refused.end.status).toBe(409);
    expect((await h.services.users.get(h.account.accountId, setup.issuerId, owner)).value.identities).toEqual([]);
  });

  it("a wrong client secret ends in a clear message, the secret in no page or log line", async () => {
    const setup = await issuerWith({ ...githubMethod, settings: { client_id: CLIENT_ID, client_secret: "wrong-one" } });
    github.person = { id: "9", email: "x@example.com", verified: true };
    const { end } = await viaRedirect(setup);
    expect(end.status).toBe(401);
    expect(alertOf(end.text)).toBe("Sign-in with GitHub failed. Try again.");
    expect(end.text).not.toContain("wrong-one");
    expect(h.logLines.join("\n")).not.toContain("wrong-one");
    expect(h.logLines.join("\n")).not.toContain(CLIENT_SECRET);
  });
});

describe("apple", () => {
  const appleMethod = {
    name: "Apple",
    method: "apple",
    settings: { client_id: CLIENT_ID, team_id: APPLE_TEAM, key_id: APPLE_KEY_ID, private_key: applePrivatePem },
  };

  /** Apple's authorize page POSTs its answer to the callback (form_post). */
  async function viaFormPost(setup: Setup) {
    const { browser, verifier, page } = await signInPage(h, setup.config);
    const upstream = await pressFederated(browser, page, setup.methodId);
    const applePage = await browser.request(upstream.href);
    expect(applePage.status).toBe(200);
    const end = await browser.submit({ text: applePage.text, url: upstream.href }, {}, h.baseUrl);
    return { end, verifier, upstream };
  }

  it("signs in: client-secret JWT, form_post callback, id_token from Apple's JWKS, email_verified as a string", async () => {
    const setup = await issuerWith(appleMethod);
    apple.person = { id: "000123.abc.456", email: "tim@privaterelay.appleid.com", verified: true };
    const { end, verifier, upstream } = await viaFormPost(setup);
    expect(upstream.searchParams.get("response_mode")).toBe("form_post");
    expect(upstream.searchParams.get("scope")).toBe("name email");
    expect(upstream.searchParams.get("nonce")).toBeTruthy();
    const tokens = await rpTokens(setup.config, end.location, verifier);
    const user = await userOf(setup, tokens.claims()?.sub);
    expect(user).toMatchObject({
      email: "tim@privaterelay.appleid.com",
      email_verified: true,
      given_name: "Tim",
      family_name: "Apple",
      identities: [{ auth_method_id: setup.methodId, method: "apple", subject: "000123.abc.456" }],
    });
  });

  it('email_verified "false" is not trusted', async () => {
    const setup = await issuerWith(appleMethod);
    appleControl.emailVerified = "false";
    try {
      apple.person = { id: "000200.x", email: "unverified@example.com", verified: false };
      const { end, verifier } = await viaFormPost(setup);
      const user = await userOf(setup, (await rpTokens(setup.config, end.location, verifier)).claims()?.sub);
      expect(user.email_verified).toBe(false);
    } finally {
      appleControl.emailVerified = "true";
    }
  });

  it("refuses an id_token Apple's keys did not sign, or for another nonce", async () => {
    const setup = await issuerWith(appleMethod);
    apple.person = { id: "000300.y", email: "forged@example.com", verified: true };
    for (const change of [{ forgeSignature: true }, { nonceOverride: "another-nonce" }]) {
      Object.assign(appleControl, change);
      try {
        const { end } = await viaFormPost(setup);
        expect(end.status).toBe(401);
        expect(alertOf(end.text)).toBe("Sign-in with Apple failed. Try again.");
      } finally {
        Object.assign(appleControl, { forgeSignature: false, nonceOverride: null });
      }
    }
    expect(await h.services.users.findByEmail(setup.issuerId, "forged@example.com")).toBeNull();
  });

  it("a client secret signed with another key is refused by Apple: a clear failure", async () => {
    const other = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const setup = await issuerWith({
      ...appleMethod,
      settings: {
        ...appleMethod.settings,
        private_key: other.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      },
    });
    apple.person = { id: "000400.z", email: "z@example.com", verified: true };
    const { end } = await viaFormPost(setup);
    expect(end.status).toBe(401);
    expect(apple.tokenRequests.at(-1)?.form.get("client_secret")?.split(".")).toHaveLength(3);
  });
});

describe("oauth2 providers", () => {
  /** The site's redirect_uri (set before the method has an id) leads back to callback_url. */
  async function providerIssuer(provider: string, fake: FakeUpstream) {
    const setup = await issuerWith({
      name: provider,
      method: "oauth2",
      settings: { provider, client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uri: `${fake.url}/forward` },
    });
    fake.forwardTo = setup.callbackUrl;
    return setup;
  }

  it("google: its endpoints, the redirect_uri setting at authorize and token, PKCE, a verified email", async () => {
    const setup = await providerIssuer("google", google);
    google.person = { id: "10769150350006150715113082367", email: "g@example.com", verified: true, name: "G User" };
    const { end, verifier, upstream } = await viaRedirect(setup);
    expect(upstream.pathname).toBe("/o/oauth2/v2/auth");
    expect(upstream.searchParams.get("redirect_uri")).toBe(`${google.url}/forward`);
    expect(upstream.searchParams.get("scope")).toBe("openid email profile");
    expect(upstream.searchParams.get("code_challenge_method")).toBe("S256");
    expect(google.tokenRequests.length).toBeGreaterThan(0);
    const tokens = await rpTokens(setup.config, end.location, verifier);
    expect(google.tokenRequests.at(-1)?.form.get("redirect_uri")).toBe(`${google.url}/forward`);
    expect(await userOf(setup, tokens.claims()?.sub)).toMatchObject({
      email: "g@example.com",
      email_verified: true,
      name: "G User",
      identities: [{ method: "oauth2", subject: "10769150350006150715113082367" }],
    });
  });

  it("discord: /users/@me, `verified` decides whether the email is trusted", async () => {
    const setup = await providerIssuer("discord", discord);
    for (const [id, verified] of [
      ["80351110224678912", true],
      ["80351110224678913", false],
    ] as const) {
      discord.person = { id, email: `d${id}@example.com`, verified, name: "Nelly" };
      const { end, verifier } = await viaRedirect(setup);
      const user = await userOf(setup, (await rpTokens(setup.config, end.location, verifier)).claims()?.sub);
      expect(user).toMatchObject({
        email_verified: verified,
        name: "Nelly",
        picture: `https://cdn.discordapp.com/avatars/${id}/a1b2c3.png`,
      });
    }
  });

  it("spotify: HTTP Basic at the token endpoint; an email it does not vouch for stays unverified", async () => {
    const setup = await providerIssuer("spotify", spotify);
    spotify.person = { id: "wizzler", email: "s@example.com", verified: true };
    const { end, verifier } = await viaRedirect(setup);
    const user = await userOf(setup, (await rpTokens(setup.config, end.location, verifier)).claims()?.sub);
    expect(user).toMatchObject({ email: "s@example.com", email_verified: false });
    expect(spotify.tokenRequests.at(-1)?.headers.authorization).toMatch(/^Basic /);
  });
});

/** Per provider: what the upstream sees at authorize and token, and the profile it maps to. */
const providerCases: {
  provider: Provider;
  id: string;
  /** The subject AuthPI keeps (Bitbucket's uuid comes in braces). */
  subject: string;
  basic: boolean;
  pkce: boolean;
  /** Whether a verified email at the provider is trusted here. */
  trusted: boolean;
  profile: Record<string, unknown>;
}[] = [
  {
    provider: "microsoft",
    id: "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
    subject: "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
    basic: false,
    pkce: true,
    trusted: false,
    profile: { given_name: "Megan", family_name: "Bowen", picture: null },
  },
  {
    provider: "gitlab",
    id: "1234567",
    subject: "1234567",
    basic: false,
    pkce: true,
    trusted: true,
    profile: { picture: "https://pictures.example/1234567.png" },
  },
  {
    provider: "bitbucket",
    id: "a1b2c3d4-0000-4000-8000-000000000001",
    subject: "{a1b2c3d4-0000-4000-8000-000000000001}",
    basic: true,
    pkce: false,
    trusted: true,
    profile: { picture: "https://bitbucket.org/account/usera1b2c3d4-0000-4000-8000-000000000001/avatar/" },
  },
  {
    provider: "slack",
    id: "U0R7JM",
    subject: "U0R7JM",
    basic: false,
    pkce: false,
    trusted: true,
    profile: { picture: "https://pictures.example/U0R7JM.png" },
  },
  {
    provider: "linkedin",
    id: "782bbtaQ",
    subject: "782bbtaQ",
    basic: false,
    pkce: false,
    trusted: true,
    profile: { given_name: "Lin", family_name: "Kedin" },
  },
  {
    provider: "facebook",
    id: "10224242424242424",
    subject: "10224242424242424",
    basic: false,
    pkce: true,
    trusted: false,
    profile: {
      given_name: "Face",
      family_name: "Book",
      picture: "https://platform-lookaside.fbsbx.com/10224242424242424",
    },
  },
  {
    provider: "twitter",
    id: "2244994945",
    subject: "2244994945",
    basic: true,
    pkce: true,
    trusted: false,
    profile: {},
  },
  {
    provider: "twitch",
    id: "713936733",
    subject: "713936733",
    basic: false,
    pkce: false,
    trusted: true,
    profile: { picture: "https://static-cdn.jtvnw.net/713936733.png" },
  },
];

describe.each(providerCases)(
  "oauth2 provider $provider",
  ({ provider, id, subject, basic, pkce, trusted, profile }) => {
    async function providerSetup() {
      const fake = providers[provider];
      const setup = await issuerWith({
        name: provider,
        method: "oauth2",
        settings: { provider, client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uri: `${fake.url}/forward` },
      });
      fake.forwardTo = setup.callbackUrl;
      return { fake, setup };
    }

    it("signs in against its documented protocol; the user linked by (auth method, subject); its email trust rule", async () => {
      const { fake, setup } = await providerSetup();
      fake.person = { id, email: `${provider}@example.com`, verified: true, name: `${provider} person` };
      const { end, verifier, upstream } = await viaRedirect(setup);
      expect(upstream.origin).toBe(fake.url);
      expect(upstream.searchParams.get("code_challenge_method")).toBe(pkce ? "S256" : null);
      if (provider === "twitter") {
        // X's /2/users/me has no email: no account can be made from it (one here needs an email).
        expect(end.status).toBe(403);
        expect(alertOf(end.text)).toBe("twitter did not share an email address, which a new account here needs.");
        return;
      }
      const tokens = await rpTokens(setup.config, end.location, verifier);
      const request = fake.tokenRequests.at(-1);
      expect(request?.form.get("redirect_uri")).toBe(`${fake.url}/forward`);
      expect(request?.headers.authorization?.startsWith("Basic ") ?? false).toBe(basic);
      expect(request?.form.has("client_secret")).toBe(!basic);
      expect(request?.form.has("code_verifier")).toBe(pkce);
      const user = await userOf(setup, tokens.claims()?.sub);
      expect(user).toMatchObject({
        email: `${provider}@example.com`,
        email_verified: trusted,
        name: `${provider} person`,
        ...profile,
        identities: [{ auth_method_id: setup.methodId, method: "oauth2", subject }],
      });

      // Again with the same subject: the same user.
      const again = await viaRedirect(setup);
      expect((await rpTokens(setup.config, again.end.location, again.verifier)).claims()?.sub).toBe(user.id);
    });

    it("a wrong client secret is refused by the upstream: a clear failure, no user", async () => {
      const { fake, setup: good } = await providerSetup();
      const setup = await issuerWith({
        name: `${provider} wrong`,
        method: "oauth2",
        settings: { provider, client_id: CLIENT_ID, client_secret: "wrong-one", redirect_uri: `${fake.url}/forward` },
      });
      fake.forwardTo = setup.callbackUrl;
      fake.person = { id: `${id}9`, email: `wrong-${provider}@example.com`, verified: true };
      const { end } = await viaRedirect(setup);
      expect(end.status).toBe(401);
      expect(end.text).not.toContain("wrong-one");
      expect(await h.services.users.findByEmail(setup.issuerId, `wrong-${provider}@example.com`)).toBeNull();
      expect(good.methodId).not.toBe(setup.methodId);
    });
  },
);

describe("an upstream that cannot be reached", () => {
  it("a clear page at the start, no 500", async () => {
    const setup = await issuerWith({
      name: "Gone",
      method: "oidc",
      settings: { issuer_url: "http://127.0.0.1:9/nowhere", client_id: "c", client_secret: "s" },
    });
    const { browser, page } = await signInPage(h, setup.config);
    const answer = await browser.submit(page, {}, h.baseUrl, `federated/${setup.methodId}`);
    expect(answer.status).toBe(502);
    expect(alertOf(answer.text)).toBe("Gone cannot be reached right now. Try again later.");
  });
});
