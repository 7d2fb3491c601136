import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FormBrowser, type OidcHarness, oidcHarness } from "./harness.ts";
import {
  backupCodesOn,
  codeFor,
  expectStep,
  mfaIssuer,
  movableClock,
  otpauthUri,
  passwordStep,
  tokensAt,
  visibleOutside,
} from "./mfa-helpers.ts";

const time = movableClock();
let h: OidcHarness;

beforeAll(async () => {
  h = await oidcHarness({ clock: time.clock });
});
afterAll(() => h.close());

const csrfOf = (text: string) => /name="csrf" value="([^"]+)"/.exec(text)?.[1] ?? "";

/** Enrols backup codes (the issuer's only second factor) at a first sign-in; returns the codes. */
async function enrolCodes(issuer: Awaited<ReturnType<typeof mfaIssuer>>, email: string) {
  const browser = new FormBrowser();
  const { page, flow } = await passwordStep(h, issuer.config, email, browser);
  expectStep(page, "backup-codes-enrol");
  const codes = backupCodesOn(page.text);
  await tokensAt(issuer.config, await browser.submit(page, {}, h.baseUrl, "backup-codes-enrol"), flow);
  return codes;
}

describe("backup_codes", () => {
  it("shows count codes of length characters, once, as a list", async () => {
    const issuer = await mfaIssuer(h, { policy: "required" }, [
      { method: "backup_codes", settings: { count: 6, length: 12 } },
    ]);
    const userId = await h.newUser(issuer.issuerId, "list@example.com");
    const browser = new FormBrowser();
    const { page, flow } = await passwordStep(h, issuer.config, "list@example.com", browser);
    expectStep(page, "backup-codes-enrol");
    const codes = backupCodesOn(page.text);
    expect(codes).toHaveLength(6);
    for (const code of codes) expect(code).toMatch(/^[a-z0-9]{12}$/);
    expect(new Set(codes).size).toBe(6);

    // The page visited again does not show them a second time.
    const again = { ...(await browser.request(page.url)), url: page.url };
    expect(again.status).toBe(200);
    expect(backupCodesOn(again.text)).toEqual([]);
    for (const code of codes) expect(again.text).not.toContain(code);
    expect(again.text).toContain("shown once already");
    // A new set replaces them (shown once too); the first set is never stored.
    const renewed = await browser.submit(again, {}, h.baseUrl, "backup-codes-new");
    const fresh = backupCodesOn(renewed.text);
    expect(fresh).toHaveLength(6);
    expect(fresh.some((code) => codes.includes(code))).toBe(false);
    await tokensAt(issuer.config, await browser.submit(renewed, {}, h.baseUrl, "backup-codes-enrol"), flow);

    // The next sign-in asks for a code and shows none; an old-set code is refused.
    const next = await passwordStep(h, issuer.config, "list@example.com");
    expectStep(next.page, "backup-code");
    expect(backupCodesOn(next.page.text)).toEqual([]);
    const old = await next.flow.browser.submit(next.page, { code: codes[0] ?? "" }, h.baseUrl, "backup-code");
    expect(old.status).toBe(400);
    // The enrolment page is not open to this sign-in (a factor exists, MFA not passed).
    const visit = await next.flow.browser.request(next.page.url.replace(/\/backup-code$/, "/backup-codes-enrol"));
    expect(visit.status).toBe(303);

    // Nothing of the codes outside the sign-in.
    const outside = await visibleOutside(h, issuer.issuerId, userId);
    expect(outside).toContain("Backup codes");
    for (const code of [...codes, ...fresh]) expect(outside).not.toContain(code);
  });

  it("accepts each code once", async () => {
    const issuer = await mfaIssuer(h, { policy: "required" }, [{ method: "backup_codes", settings: { count: 5 } }]);
    await h.newUser(issuer.issuerId, "once@example.com");
    const codes = await enrolCodes(issuer, "once@example.com");
    const [first = "", second = ""] = codes;

    const a = await passwordStep(h, issuer.config, "once@example.com");
    // Typed with spaces and in capitals, the code still reads the same.
    const spaced = `${first.slice(0, 5).toUpperCase()} ${first.slice(5)}`;
    const done = await a.flow.browser.submit(a.page, { code: spaced }, h.baseUrl, "backup-code");
    expect((await tokensAt(issuer.config, done, a.flow)).claims()?.amr).toEqual(["pwd", "otp", "mfa"]);

    const b = await passwordStep(h, issuer.config, "once@example.com");
    const reused = await b.flow.browser.submit(b.page, { code: first }, h.baseUrl, "backup-code");
    expect(reused.status).toBe(400);
    expect(reused.text).toContain("That code is wrong or was already used.");
    await tokensAt(
      issuer.config,
      await b.flow.browser.submit(reused, { code: second }, h.baseUrl, "backup-code"),
      b.flow,
    );
  });

  it("a set used up is gone: the next sign-in enrols a new one", async () => {
    const issuer = await mfaIssuer(h, { policy: "required" }, [{ method: "backup_codes", settings: { count: 5 } }]);
    const userId = await h.newUser(issuer.issuerId, "used-up@example.com");
    const codes = await enrolCodes(issuer, "used-up@example.com");
    for (const code of codes) {
      const { page, flow } = await passwordStep(h, issuer.config, "used-up@example.com");
      await tokensAt(issuer.config, await flow.browser.submit(page, { code }, h.baseUrl, "backup-code"), flow);
    }
    expect((await h.services.users.get(h.account.accountId, issuer.issuerId, userId)).value.factors).toEqual([]);
    const next = await passwordStep(h, issuer.config, "used-up@example.com");
    expectStep(next.page, "backup-codes-enrol");
  });

  it("follow a TOTP enrolment, and stand in for the app at the next sign-in", async () => {
    const issuer = await mfaIssuer(h, { policy: "required" }, [{ method: "totp" }, { method: "backup_codes" }]);
    await h.newUser(issuer.issuerId, "both@example.com");
    const browser = new FormBrowser();
    const { page, flow } = await passwordStep(h, issuer.config, "both@example.com", browser);
    const uri = otpauthUri(page.text);
    const codesPage = await browser.submit(page, { code: await codeFor(uri, time.now()) }, h.baseUrl, "totp-enrol");
    expectStep(codesPage, "backup-codes-enrol");
    const codes = backupCodesOn(codesPage.text);
    expect(codes).toHaveLength(10);
    await tokensAt(issuer.config, await browser.submit(codesPage, {}, h.baseUrl, "backup-codes-enrol"), flow);

    const next = await passwordStep(h, issuer.config, "both@example.com");
    expectStep(next.page, "mfa");
    const chooser = next.page.text;
    const href = /<a href="([^"]+\/backup-code)">Backup codes<\/a>/.exec(chooser)?.[1] ?? "";
    const challenge = await next.flow.browser.follow(new URL(href, h.baseUrl).href, h.baseUrl);
    const done = await next.flow.browser.submit(challenge, { code: codes[3] ?? "" }, h.baseUrl, "backup-code");
    await tokensAt(issuer.config, done, next.flow);
  });

  it("disabled backup codes are neither offered nor accepted by a crafted post", async () => {
    const issuer = await mfaIssuer(h, { policy: "required" }, [
      { method: "totp" },
      { method: "backup_codes", enabled_login: false },
    ]);
    const userId = await h.newUser(issuer.issuerId, "no-codes@example.com");
    const browser = new FormBrowser();
    const { page, flow } = await passwordStep(h, issuer.config, "no-codes@example.com", browser);
    expectStep(page, "totp-enrol");
    const base = page.url.replace(/\/totp-enrol$/, "");
    for (const step of ["backup-codes-enrol", "backup-codes-new", "backup-code"]) {
      const post = await browser.request(`${base}/${step}`, { form: { csrf: csrfOf(page.text), code: "abcdefghjk" } });
      expect(post.status).toBe(404);
    }
    expect((await browser.request(`${base}/backup-codes-enrol`)).status).toBe(404);
    // TOTP enrolment goes straight to tokens: no backup codes offered after it.
    const uri = otpauthUri(page.text);
    const done = await browser.submit(page, { code: await codeFor(uri, time.now()) }, h.baseUrl, "totp-enrol");
    await tokensAt(issuer.config, done, flow);
    const factors = (await h.services.users.get(h.account.accountId, issuer.issuerId, userId)).value.factors;
    expect(factors.map((factor) => factor.type)).toEqual(["totp"]);
  });
});
