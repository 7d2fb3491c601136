import * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FormBrowser, type OidcHarness, oidcHarness, PASSWORD, REDIRECT, relyingParty } from "./harness.ts";
import { type SmtpSink, smtpSink } from "./sinks.ts";

/** A real SMTP server in the test process: the codes are read from the mail it receives. */
let smtp: SmtpSink;
let h: OidcHarness;

beforeAll(async () => {
  smtp = await smtpSink();
  h = await oidcHarness({ smtpUrl: smtp.url });
});

afterAll(async () => {
  await h.close();
  await smtp.close();
});

async function issuerWith(signup: Record<string, unknown>) {
  const issuerId = await h.newIssuer({ settings: { signup } });
  return { issuerId, config: await relyingParty(h, issuerId) };
}

async function start(config: oidc.Configuration) {
  const browser = new FormBrowser();
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: "openid email",
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
  });
  const page = await browser.follow(url.href, h.baseUrl);
  return { browser, page, verifier };
}

async function signUpPage(config: oidc.Configuration) {
  const { browser, page, verifier } = await start(config);
  const link = /<a href="([^"]+\/signup)">/.exec(page.text)?.[1];
  return { browser, verifier, link, signInPage: page };
}

const mailTo = (email: string) => smtp.mailTo(email);

const codeIn = (raw: string) => /verification code is (\d{6})/.exec(raw)?.[1];

describe("signup policy and email verification", () => {
  it("open: signs up, holds the first token until the mailed code is entered", async () => {
    const { issuerId, config } = await issuerWith({ mode: "open" });
    const { browser, link, verifier } = await signUpPage(config);
    expect(link).toBeTruthy();
    const form = await browser.follow(new URL(link ?? "", h.baseUrl).href, h.baseUrl);
    expect(form.text).toContain('<label for="email">Email</label>');
    const email = `new-${Date.now()}@example.com`;
    const held = await browser.submit(form, { email, password: PASSWORD, name: "New User" }, h.baseUrl);
    // No code for the application yet: the verification page.
    expect(held.status).toBe(200);
    expect(held.text).toContain('<label for="code">Code</label>');
    const code = codeIn(await mailTo(email));
    expect(code).toMatch(/^\d{6}$/);

    const wrong = await browser.submit(held, { code: code === "000000" ? "111111" : "000000" }, h.baseUrl);
    expect(wrong.status).toBe(400);
    const done = await browser.submit(held, { code: code ?? "" }, h.baseUrl);
    expect(done.location?.startsWith(`${REDIRECT}?code=`)).toBe(true);

    const tokens = await oidc.authorizationCodeGrant(config, new URL(done.location ?? ""), {
      pkceCodeVerifier: verifier,
      expectedState: oidc.skipStateCheck,
    });
    const user = await h.services.users.findByEmail(issuerId, email);
    expect(user?.emailVerified).toBe(true);
    expect(user?.name).toBe("New User");
    expect(tokens.claims()?.sub).toBe(user?.id);
    // The code never reached a log line.
    expect(h.logLines.some((line) => line.includes(code ?? "-"))).toBe(false);
  });

  it("holds the token of an existing unverified user at sign-in too", async () => {
    const { issuerId, config } = await issuerWith({ mode: "closed" });
    await h.newUser(issuerId, "unverified@example.com", { email_verified: false });
    const { browser, page } = await start(config);
    const held = await browser.submit(page, { email: "unverified@example.com", password: PASSWORD }, h.baseUrl);
    expect(held.text).toContain('<label for="code">Code</label>');
    const code = codeIn(await mailTo("unverified@example.com"));
    const done = await browser.submit(held, { code: code ?? "" }, h.baseUrl);
    expect(done.location?.startsWith(`${REDIRECT}?code=`)).toBe(true);
  });

  it("without require_email_verification a new user gets the code at once", async () => {
    const { config } = await issuerWith({ mode: "open", require_email_verification: false });
    const { browser, link } = await signUpPage(config);
    const form = await browser.follow(new URL(link ?? "", h.baseUrl).href, h.baseUrl);
    const done = await browser.submit(form, { email: "quick@example.com", password: PASSWORD }, h.baseUrl);
    expect(done.location?.startsWith(`${REDIRECT}?code=`)).toBe(true);
  });

  it("invite_only and closed offer no sign-up", async () => {
    for (const mode of ["invite_only", "closed"]) {
      const { issuerId, config } = await issuerWith({ mode });
      const { browser, link, signInPage } = await signUpPage(config);
      expect(link).toBeUndefined();
      const uid = /\/interaction\/([^/"]+)\/login/.exec(signInPage.text)?.[1];
      const direct = await browser.request(`${h.issuerUrl(issuerId)}/interaction/${uid}/signup`);
      expect(direct.status).toBe(404);
      const csrf = /name="csrf" value="([^"]+)"/.exec(signInPage.text)?.[1] ?? "";
      const posted = await browser.request(`${h.issuerUrl(issuerId)}/interaction/${uid}/signup-password`, {
        form: { csrf, email: "x@example.com", password: PASSWORD },
      });
      expect(posted.status).toBe(403);
      expect(await h.services.users.findByEmail(issuerId, "x@example.com")).toBeNull();
    }
  });

  it("allowed_email_domains limits sign-up to those domains", async () => {
    const { issuerId, config } = await issuerWith({ mode: "open", allowed_email_domains: ["corp.example"] });
    const { browser, link } = await signUpPage(config);
    const form = await browser.follow(new URL(link ?? "", h.baseUrl).href, h.baseUrl);
    const refused = await browser.submit(form, { email: "me@gmail.example", password: PASSWORD }, h.baseUrl);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain("not among them");
    expect(await h.services.users.findByEmail(issuerId, "me@gmail.example")).toBeNull();
    const accepted = await browser.submit(form, { email: "me@CORP.example", password: PASSWORD }, h.baseUrl);
    expect(accepted.text).toContain('<label for="code">Code</label>');
  });

  it("a sign-up with an existing email reads like a new one, and mails its owner no code", async () => {
    const { issuerId, config } = await issuerWith({ mode: "open" });
    await h.newUser(issuerId, "taken@example.com");
    const { browser, link } = await signUpPage(config);
    const form = await browser.follow(new URL(link ?? "", h.baseUrl).href, h.baseUrl);
    const answer = await browser.submit(form, { email: "taken@example.com", password: PASSWORD }, h.baseUrl);
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('<label for="code">Code</label>');
    const mail = await mailTo("taken@example.com");
    expect(codeIn(mail)).toBeUndefined();
    expect(mail).toContain("already have one");
  });

  it("refuses a weak password with the policy's message", async () => {
    const { config } = await issuerWith({ mode: "open" });
    const { browser, link } = await signUpPage(config);
    const form = await browser.follow(new URL(link ?? "", h.baseUrl).href, h.baseUrl);
    const answer = await browser.submit(form, { email: "weak@example.com", password: "short" }, h.baseUrl);
    expect(answer.status).toBe(400);
    expect(answer.text).toContain("min_length");
    expect(answer.text).not.toContain("short");
  });
});
