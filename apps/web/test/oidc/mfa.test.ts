import { createFactorStore } from "@authpi/server";
import { testKeyring } from "@authpi/server/testing";
import * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FormBrowser, type OidcHarness, oidcHarness, PASSWORD, REDIRECT } from "./harness.ts";
import {
  backupCodesOn,
  codeFor,
  DAY_MS,
  enrolTotp as enrolTotpAt,
  expectStep,
  mfaIssuer,
  movableClock,
  otpauthUri,
  passwordStep,
  tokensAt,
} from "./mfa-helpers.ts";

const time = movableClock();
let h: OidcHarness;

/** A TOTP key (160 bits, base32), for factors stored directly. */
const KEY = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/** The user resource's `factors`, as the API answers them. */
async function factorsOf(issuerId: string, userId: string) {
  return (await h.services.users.get(h.account.accountId, issuerId, userId)).value.factors;
}

/** A user with a TOTP factor enrolled (stored directly, as an earlier sign-in would have). */
async function enrolledUser(issuerId: string, email: string): Promise<string> {
  const userId = await h.newUser(issuerId, email);
  await createFactorStore(h.services.db, () => testKeyring(), time.clock).add(userId, {
    type: "totp",
    name: "Authenticator app",
    secret: JSON.stringify({ key: KEY, lastStep: 0 }),
  });
  return userId;
}

beforeAll(async () => {
  h = await oidcHarness({ clock: time.clock });
});
afterAll(() => h.close());

/** Enrols TOTP at a first sign-in of an issuer where MFA is required (the backup codes follow when offered). */
const enrolTotp = (issuer: Awaited<ReturnType<typeof mfaIssuer>>, email: string, browser = new FormBrowser()) =>
  enrolTotpAt(h, issuer.config, email, time.now(), browser);

describe("the MFA policy", () => {
  it("off never asks, even a user with an enrolled factor", async () => {
    const off = await mfaIssuer(h, { policy: "off" }, [{ method: "totp" }, { method: "backup_codes" }]);
    await enrolledUser(off.issuerId, "off@example.com");
    const { page, flow } = await passwordStep(h, off.config, "off@example.com");
    const tokens = await tokensAt(off.config, page, flow);
    expect(tokens.claims()?.amr).toEqual(["pwd"]);
  });

  it("optional asks only users who enrolled a factor, and offers the others to enrol (skippable)", async () => {
    const optional = await mfaIssuer(h, { policy: "optional" }, [{ method: "totp" }]);
    await h.newUser(optional.issuerId, "plain@example.com");
    const plain = await passwordStep(h, optional.config, "plain@example.com");
    // Not asked for a factor: offered one, with "Not now".
    expectStep(plain.page, "mfa-enrol");
    expect(plain.page.text).toContain("Protect your account");
    expect(plain.page.text).toContain("Not now");
    const skipped = await plain.flow.browser.submit(plain.page, {}, h.baseUrl, "mfa-skip");
    expect((await tokensAt(optional.config, skipped, plain.flow)).claims()?.amr).toEqual(["pwd"]);

    // The next sign-in offers it again; taking it enrols the app, which counts as the second factor.
    const again = await passwordStep(h, optional.config, "plain@example.com");
    expectStep(again.page, "mfa-enrol");
    const enrolPage = await again.flow.browser.follow(
      new URL(/href="([^"]+\/totp-enrol)"/.exec(again.page.text)?.[1] ?? "", again.page.url).href,
      h.baseUrl,
    );
    expectStep(enrolPage, "totp-enrol");
    const uri = otpauthUri(enrolPage.text);
    const enrolled = await again.flow.browser.submit(
      enrolPage,
      { code: await codeFor(uri, time.now()) },
      h.baseUrl,
      "totp-enrol",
    );
    expect((await tokensAt(optional.config, enrolled, again.flow)).claims()?.amr).toEqual(["pwd", "otp", "mfa"]);
    time.advance(60_000);
    const asked = await passwordStep(h, optional.config, "plain@example.com");
    expectStep(asked.page, "totp");
    // A crafted skip is no way around a factor the user has.
    const crafted = await asked.flow.browser.request(asked.page.url.replace(/\/totp$/, "/mfa-skip"), {
      form: { csrf: /name="csrf" value="([^"]+)"/.exec(asked.page.text)?.[1] ?? "" },
    });
    expect(crafted.location ?? "").not.toContain(REDIRECT);

    await enrolledUser(optional.issuerId, "enrolled@example.com");
    const browser = new FormBrowser();
    const { page, flow } = await passwordStep(h, optional.config, "enrolled@example.com", browser);
    expectStep(page, "totp");
    const code = await codeFor(new URL(`otpauth://totp/x?secret=${KEY}`), time.now());
    const done = await browser.submit(page, { code }, h.baseUrl, "totp");
    expect((await tokensAt(optional.config, done, flow)).claims()?.amr).toEqual(["pwd", "otp", "mfa"]);
  });

  it("required enrols at first sign-in before any token, then asks the factor", async () => {
    const issuer = await mfaIssuer(h, { policy: "required" }, [{ method: "totp" }, { method: "backup_codes" }]);
    const userId = await h.newUser(issuer.issuerId, "first@example.com");
    const browser = new FormBrowser();
    const { page, flow } = await passwordStep(h, issuer.config, "first@example.com", browser);
    // Backup codes come after another factor: the only primary factor is offered straight away.
    expectStep(page, "totp-enrol");
    expect(page.text).toContain('<label for="code">Code</label>');
    // No code was issued: the provider has no session, a new authorization asks to sign in again.
    const retry = await passwordStep(h, issuer.config, "first@example.com", new FormBrowser());
    expectStep(retry.page, "totp-enrol");
    // And this browser has no session yet: a silent authorization is refused.
    const silent = oidc.buildAuthorizationUrl(issuer.config, {
      redirect_uri: REDIRECT,
      scope: "openid",
      prompt: "none",
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: "S256",
    });
    const refused = await browser.follow(silent.href, h.baseUrl);
    expect(new URL(refused.location ?? "").searchParams.get("error")).toBe("login_required");

    const uri = otpauthUri(page.text);
    const codes = await browser.submit(page, { code: await codeFor(uri, time.now()) }, h.baseUrl, "totp-enrol");
    // Backup codes right after the app, before any token.
    expectStep(codes, "backup-codes-enrol");
    expect(backupCodesOn(codes.text)).toHaveLength(10);
    const done = await browser.submit(codes, {}, h.baseUrl, "backup-codes-enrol");
    const tokens = await tokensAt(issuer.config, done, flow);
    expect(tokens.claims()?.amr).toEqual(expect.arrayContaining(["pwd", "otp", "mfa"]));

    // The user API lists both factors.
    const factors = await factorsOf(issuer.issuerId, userId);
    expect(factors.map((factor: { type: string; name: string }) => [factor.type, factor.name])).toEqual([
      ["totp", "Authenticator app"],
      ["backup_codes", "Backup codes"],
    ]);

    // The next sign-in asks a factor: the chooser offers both.
    time.advance(31_000);
    const next = await passwordStep(h, issuer.config, "first@example.com");
    expectStep(next.page, "mfa");
    expect(next.page.text).toContain("Authenticator app");
    expect(next.page.text).toContain("Backup codes");
  });

  it("refuses an enrolment step to someone holding only the password of a user with a factor", async () => {
    const issuer = await mfaIssuer(h, { policy: "required" }, [{ method: "totp" }, { method: "backup_codes" }]);
    const userId = await h.newUser(issuer.issuerId, "victim@example.com");
    const enrolled = await enrolTotp(issuer, "victim@example.com");
    await enrolled.browser.submit(enrolled.page, {}, h.baseUrl, "backup-codes-enrol");
    const before = await factorsOf(issuer.issuerId, userId);
    expect(before).toHaveLength(2);

    const attacker = new FormBrowser();
    const { page } = await passwordStep(h, issuer.config, "victim@example.com", attacker);
    expectStep(page, "mfa");
    const base = page.url.replace(/\/mfa$/, "");
    for (const step of ["totp-enrol", "backup-codes-enrol", "mfa-enrol"]) {
      const visit = await attacker.request(`${base}/${step}`);
      expect(visit.status).toBe(303);
      expect(visit.location).toBe(`${base}/mfa`);
      expect(visit.text).not.toContain("otpauth://");
    }
    // The chooser has no form: the CSRF token a crafted post would carry is made like the pages make it.
    const csrf = h.pool.csrfToken(issuer.issuerId, base.split("/").pop() ?? "");
    for (const step of ["totp-enrol", "backup-codes-enrol", "backup-codes-new"]) {
      const post = await attacker.request(`${base}/${step}`, { form: { csrf, code: "123456" } });
      expect(post.status).toBe(303);
      expect(post.location).toBe(`${base}/mfa`);
    }
    expect(await factorsOf(issuer.issuerId, userId)).toEqual(before);
  });

  it("a second factor passed by one user in a sign-in does not carry over to another's password", async () => {
    const issuer = await mfaIssuer(h, { policy: "required" }, [{ method: "totp" }, { method: "backup_codes" }]);
    await enrolledUser(issuer.issuerId, "owner@example.com");
    await h.newUser(issuer.issuerId, "intruder@example.com");
    // The intruder enrols their own app: MFA passed, the backup codes page still open.
    const { page, browser } = await enrolTotp(issuer, "intruder@example.com");
    expectStep(page, "backup-codes-enrol");
    const base = page.url.replace(/\/backup-codes-enrol$/, "");
    const signInPage = { ...(await browser.request(base)), url: base };
    const next = await browser.submit(
      signInPage,
      { email: "owner@example.com", password: PASSWORD },
      h.baseUrl,
      "login",
    );
    expectStep(next, "totp");
  });
});

describe("remember this device", () => {
  it("skips MFA on this device for the configured days, then asks again", async () => {
    const issuer = await mfaIssuer(h, { policy: "required", remember_device_days: 7 }, [{ method: "totp" }]);
    await h.newUser(issuer.issuerId, "device@example.com");
    const browser = new FormBrowser();
    const { page, flow, uri } = await enrolTotp(issuer, "device@example.com", browser);
    await tokensAt(issuer.config, page, flow);

    // Another browser is asked; this one is not, for 7 days.
    time.advance(60_000);
    const elsewhere = await passwordStep(h, issuer.config, "device@example.com");
    expectStep(elsewhere.page, "totp");
    time.advance(6 * DAY_MS);
    const remembered = await passwordStep(h, issuer.config, "device@example.com", browser);
    const tokens = await tokensAt(issuer.config, remembered.page, remembered.flow);
    expect(tokens.claims()?.amr).toEqual(["pwd"]);

    time.advance(DAY_MS + 60_000);
    const expired = await passwordStep(h, issuer.config, "device@example.com", browser);
    expectStep(expired.page, "totp");
    // Passing MFA again remembers the device again.
    const done = await browser.submit(expired.page, { code: await codeFor(uri, time.now()) }, h.baseUrl, "totp");
    await tokensAt(issuer.config, done, expired.flow);
    time.advance(DAY_MS);
    const later = await passwordStep(h, issuer.config, "device@example.com", browser);
    await tokensAt(issuer.config, later.page, later.flow);
  });

  it("follows the issuer's current remember_device_days: lowering it shortens devices already remembered", async () => {
    const issuer = await mfaIssuer(h, { policy: "required", remember_device_days: 30 }, [{ method: "totp" }]);
    await h.newUser(issuer.issuerId, "lowered@example.com");
    const browser = new FormBrowser();
    const { page, flow } = await enrolTotp(issuer, "lowered@example.com", browser);
    await tokensAt(issuer.config, page, flow);
    time.advance(2 * DAY_MS);
    const still = await passwordStep(h, issuer.config, "lowered@example.com", browser);
    await tokensAt(issuer.config, still.page, still.flow);

    // Remembered 2 days ago under 30; now the issuer says 1: asked again.
    const lower = (days: number) =>
      h.services.issuers.update(h.account.accountId, issuer.issuerId, {
        settings: { mfa: { policy: "required", remember_device_days: days } },
      });
    await lower(1);
    expectStep((await passwordStep(h, issuer.config, "lowered@example.com", browser)).page, "totp");
    // 0 turns remembering off for the devices already remembered too.
    await lower(0);
    expectStep((await passwordStep(h, issuer.config, "lowered@example.com", browser)).page, "totp");
    // Back to 30: the device is still within the days it was remembered for.
    await lower(30);
    const again = await passwordStep(h, issuer.config, "lowered@example.com", browser);
    await tokensAt(issuer.config, again.page, again.flow);
  });

  it("sets a signed HttpOnly, SameSite=Lax cookie on the issuer's path, refused when altered", async () => {
    const issuer = await mfaIssuer(h, { policy: "required", remember_device_days: 3 }, [{ method: "totp" }]);
    await h.newUser(issuer.issuerId, "cookie@example.com");
    const browser = new FormBrowser();
    const { page: enrol } = await passwordStep(h, issuer.config, "cookie@example.com", browser);
    const uri = otpauthUri(enrol.text);
    const answer = await browser.request(enrol.url, {
      form: { csrf: /name="csrf" value="([^"]+)"/.exec(enrol.text)?.[1] ?? "", code: await codeFor(uri, time.now()) },
    });
    const cookie = answer.headers.getSetCookie().find((line) => line.startsWith("authpi_device="));
    expect(cookie).toBeDefined();
    expect(cookie).toContain(`Path=/oidc/${issuer.issuerId};`);
    expect(cookie).toContain("Max-Age=259200");
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
    expect(cookie).not.toContain("Secure"); // plain http here

    // The same cookie remembered later (or with any other change) is not honoured.
    const value = (cookie ?? "").split(";")[0]?.slice("authpi_device=".length) ?? "";
    const [owner, device, rememberedAt, signature] = value.split(".");
    const forged = new FormBrowser();
    const lifted = `${owner}.${device}.${Number(rememberedAt) + 30 * DAY_MS}.${signature}`;
    forged.setCookie("authpi_device", lifted, `/oidc/${issuer.issuerId}`);
    const refused = await passwordStep(h, issuer.config, "cookie@example.com", forged);
    expectStep(refused.page, "totp");
  });

  /** A user who enrolled TOTP and the backup codes in `browser`, which is now remembered. */
  async function rememberedUser(email: string) {
    const issuer = await mfaIssuer(h, { policy: "required", remember_device_days: 30 }, [
      { method: "totp" },
      { method: "backup_codes" },
    ]);
    const userId = await h.newUser(issuer.issuerId, email);
    const { page, flow, browser } = await enrolTotp(issuer, email);
    await tokensAt(issuer.config, await browser.submit(page, {}, h.baseUrl, "backup-codes-enrol"), flow);
    time.advance(60_000);
    const remembered = await passwordStep(h, issuer.config, email, browser);
    await tokensAt(issuer.config, remembered.page, remembered.flow);
    return { issuer, userId, browser };
  }

  it("removing a factor through the API forgets the device; removing the last one enrols again", async () => {
    const { issuer, userId, browser } = await rememberedUser("lost-phone@example.com");
    const [totp, codes] = await factorsOf(issuer.issuerId, userId);
    await h.services.users.removeFactor(h.account.accountId, issuer.issuerId, userId, codes?.id ?? "");
    // The device was remembered with both factors: the app is asked again.
    const asked = await passwordStep(h, issuer.config, "lost-phone@example.com", browser);
    expectStep(asked.page, "totp");

    await h.services.users.removeFactor(h.account.accountId, issuer.issuerId, userId, totp?.id ?? "");
    const next = await passwordStep(h, issuer.config, "lost-phone@example.com", browser);
    expectStep(next.page, "totp-enrol");
  });

  it("revoking the user's sessions forgets the device", async () => {
    const { issuer, userId, browser } = await rememberedUser("revoked@example.com");
    await h.services.users.revokeSessions(h.account.accountId, issuer.issuerId, userId);
    const next = await passwordStep(h, issuer.config, "revoked@example.com", browser);
    expectStep(next.page, "mfa");
  });
});
