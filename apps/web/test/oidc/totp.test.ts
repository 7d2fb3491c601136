import QRCode from "qrcode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FormBrowser, type OidcHarness, oidcHarness } from "./harness.ts";
import {
  codeFor,
  enrolTotp,
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

/** A user of a new issuer (MFA required, TOTP) who enrolled their app and got tokens. */
async function enrolledUser(email: string) {
  const issuer = await mfaIssuer(h, { policy: "required" }, [{ method: "totp" }]);
  await h.newUser(issuer.issuerId, email);
  const { page, flow, uri } = await enrolTotp(h, issuer.config, email, time.now());
  await tokensAt(issuer.config, page, flow);
  return { issuer, uri };
}

const csrfOf = (text: string) => /name="csrf" value="([^"]+)"/.exec(text)?.[1] ?? "";

describe("totp", () => {
  it("enrols with the configured digits, period and algorithm, and a server-rendered QR code", async () => {
    const issuer = await mfaIssuer(h, { policy: "required" }, [
      { method: "totp", settings: { digits: 8, period_seconds: 60, algorithm: "SHA256" } },
    ]);
    const userId = await h.newUser(issuer.issuerId, "settings@example.com");
    const browser = new FormBrowser();
    const { page, flow } = await passwordStep(h, issuer.config, "settings@example.com", browser);
    expectStep(page, "totp-enrol");
    const uri = otpauthUri(page.text);
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.host).toBe("totp");
    expect(decodeURIComponent(uri.pathname)).toContain("settings@example.com");
    expect(uri.searchParams.get("digits")).toBe("8");
    expect(uri.searchParams.get("period")).toBe("60");
    expect(uri.searchParams.get("algorithm")).toBe("SHA256");
    expect(page.text).toContain('maxlength="8"');
    // The QR code is the URI, drawn by the server as an SVG image (no script, CSP img-src data:).
    const img = /<img class="qr" src="data:image\/svg\+xml;base64,([^"]+)"/.exec(page.text)?.[1];
    const shown = /<code id="otpauth-uri">([^<]+)<\/code>/.exec(page.text)?.[1]?.replaceAll("&amp;", "&") ?? "";
    const svg = await QRCode.toString(shown, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
    expect(Buffer.from(img ?? "", "base64").toString()).toBe(svg);
    // Shown again, the page keeps its key (the user may have scanned it).
    const again = { ...(await browser.request(page.url)), url: page.url };
    expect(otpauthUri(again.text).href).toBe(uri.href);

    // A code made with the defaults (6 digits, 30 s, SHA-1) is refused; the configured one passes.
    const secret = uri.searchParams.get("secret") ?? "";
    const defaults = await codeFor(new URL(`otpauth://totp/x?secret=${secret}`), time.now());
    const refused = await browser.submit(again, { code: defaults }, h.baseUrl, "totp-enrol");
    expect(refused.status).toBe(400);
    expect(refused.text).toContain("That code is wrong or was already used.");
    const other = new URL(uri.href);
    other.searchParams.set("algorithm", "SHA1");
    const sha1 = await browser.submit(refused, { code: await codeFor(other, time.now()) }, h.baseUrl, "totp-enrol");
    expect(sha1.status).toBe(400);
    const done = await browser.submit(sha1, { code: await codeFor(uri, time.now()) }, h.baseUrl, "totp-enrol");
    const tokens = await tokensAt(issuer.config, done, flow);
    expect(tokens.claims()?.amr).toEqual(["pwd", "otp", "mfa"]);

    // The secret is nowhere else: not in the API's user, an audit event or a log line.
    const outside = await visibleOutside(h, issuer.issuerId, userId);
    expect(outside).toContain("Authenticator app");
    expect(outside).not.toContain(secret);
    expect(outside).not.toContain("otpauth");
  });

  it("accepts a code once, and a newer code after it", async () => {
    const { issuer, uri } = await enrolledUser("replay@example.com");
    const first = await codeFor(uri, time.now()); // the enrolment's code: the clock has not moved

    // The enrolment's code, replayed at the next sign-in within its period: refused.
    const browser = new FormBrowser();
    const { page, flow } = await passwordStep(h, issuer.config, "replay@example.com", browser);
    expectStep(page, "totp");
    expect(page.text).toContain('<label for="code">Code</label>');
    expect(page.text).not.toContain(uri.searchParams.get("secret"));
    const replayed = await browser.submit(page, { code: first }, h.baseUrl, "totp");
    expect(replayed.status).toBe(400);
    time.advance(30_000);
    const next = await codeFor(uri, time.now());
    const done = await browser.submit(replayed, { code: next }, h.baseUrl, "totp");
    await tokensAt(issuer.config, done, flow);
    // That code, once more, in another sign-in: refused too.
    const third = await passwordStep(h, issuer.config, "replay@example.com");
    const again = await third.flow.browser.submit(third.page, { code: next }, h.baseUrl, "totp");
    expect(again.status).toBe(400);
  });

  it("an enrolled app keeps its settings when the issuer's change", async () => {
    const { issuer, uri } = await enrolledUser("kept@example.com");
    const listed = JSON.parse((await h.services.authMethods.list(h.account.accountId, issuer.issuerId)).json);
    const method = (listed.data as { id: string; method: string }[]).find((m) => m.method === "totp");
    await h.services.authMethods.update(h.account.accountId, issuer.issuerId, method?.id ?? "", {
      settings: { digits: 8, algorithm: "SHA512" },
    });
    h.pool.evict(issuer.issuerId);
    time.advance(30_000);

    const { page, flow } = await passwordStep(h, issuer.config, "kept@example.com");
    const done = await flow.browser.submit(page, { code: await codeFor(uri, time.now()) }, h.baseUrl, "totp");
    await tokensAt(issuer.config, done, flow);
  });

  it("of two concurrent uses of one code, one passes", async () => {
    const { issuer, uri } = await enrolledUser("race@example.com");
    time.advance(30_000);

    const a = await passwordStep(h, issuer.config, "race@example.com");
    const b = await passwordStep(h, issuer.config, "race@example.com");
    const code = await codeFor(uri, time.now());
    const answers = await Promise.all(
      [a, b].map(({ page, flow }) => flow.browser.request(page.url, { form: { csrf: csrfOf(page.text), code } })),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([303, 400]);
  });

  it("limits wrong codes (429 with Retry-After)", async () => {
    const { issuer, uri } = await enrolledUser("guess@example.com");
    time.advance(30_000);

    const { page, flow } = await passwordStep(h, issuer.config, "guess@example.com");
    let current = page;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      current = await flow.browser.submit(current, { code: "00000000".slice(0, 6) }, h.baseUrl, "totp");
      expect(current.status).toBe(400);
    }
    // Even the right code waits now.
    const blocked = await flow.browser.submit(current, { code: await codeFor(uri, time.now()) }, h.baseUrl, "totp");
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(blocked.text).toContain("Too many wrong codes");
  });

  it("a disabled totp is neither offered nor accepted by a crafted post", async () => {
    const issuer = await mfaIssuer(h, { policy: "required" }, [
      { method: "totp", enabled_login: false },
      { method: "backup_codes" },
    ]);
    const userId = await h.newUser(issuer.issuerId, "disabled@example.com");
    const { page, flow } = await passwordStep(h, issuer.config, "disabled@example.com");
    // Only the backup codes are offered.
    expectStep(page, "backup-codes-enrol");
    const base = page.url.replace(/\/backup-codes-enrol$/, "");
    for (const step of ["totp-enrol", "totp"]) {
      const visit = await flow.browser.request(`${base}/${step}`);
      expect(visit.status).toBe(404);
      expect(visit.text).not.toContain("otpauth://");
      const post = await flow.browser.request(`${base}/${step}`, { form: { csrf: csrfOf(page.text), code: "123456" } });
      expect(post.status).toBe(404);
    }
    expect((await h.services.users.get(h.account.accountId, issuer.issuerId, userId)).value.factors).toEqual([]);
  });
});
