import type * as oidc from "openid-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { addAuthMethod, beginSignIn, exchangeCode, type OidcHarness, oidcHarness, relyingParty } from "./harness.ts";
import { type SmsSink, type SmtpSink, smsSink, smtpSink } from "./sinks.ts";

/**
 * `email_otp` and `sms_otp` end to end: the hosted pages, a real SMTP server and a real SMS
 * webhook, the openid-client RP, and a clock the test moves (the services' and the sign-in's).
 */
let h: OidcHarness;
let smtp: SmtpSink;
let sms: SmsSink;
let offset = 0;

beforeAll(async () => {
  smtp = await smtpSink();
  sms = await smsSink();
  h = await oidcHarness({
    smtpUrl: smtp.url,
    smsWebhookUrl: sms.url,
    clock: () => new Date(Date.now() + offset),
  });
});

afterEach(() => {
  offset = 0;
});

afterAll(async () => {
  await h.close();
  await smtp.close();
  await sms.close();
});

type MethodInput = {
  method: string;
  settings?: Record<string, unknown>;
  enabled_login?: boolean;
  enabled_signup?: boolean;
};

async function issuerWith(methods: MethodInput[], signup: Record<string, unknown> = { mode: "closed" }) {
  const issuerId = await h.newIssuer({ settings: { signup } });
  for (const input of methods) await addAuthMethod(h, issuerId, input);
  return { issuerId, config: await relyingParty(h, issuerId) };
}

const codeIn = (text: string) => /(\d{4,10}) is your|sign-in code is (\d{4,10})/.exec(text)?.slice(1).find(Boolean);

let sequence = 0;
const uniqueEmail = (name: string) => `${name}-${Date.now()}-${++sequence}@example.com`;
const uniquePhone = () => `+1415${String((Date.now() + ++sequence) % 10_000_000).padStart(7, "0")}`;

async function emailCode(config: oidc.Configuration, email: string) {
  const flow = await beginSignIn(h, config);
  const codePage = await flow.browser.submit(flow.page, { email }, h.baseUrl, "email-code");
  return { ...flow, codePage };
}

/**
 * Nothing secret reached a log line (at any level) or an audit event of the account. A code is a
 * few digits, so it is looked for as a token of its own: as a substring, a 4-digit code turns up
 * in the digits of a timestamp, an ID or a test email (`new-1796688900658@…` held `0658`).
 */
async function expectNowhere(secret: string) {
  const token = new RegExp(`(?<![0-9A-Za-z.:-])${secret}(?![0-9A-Za-z.:-])`);
  expect(h.logLines.filter((line) => token.test(line))).toEqual([]);
  const events = await h.services.db.auditEvent.findMany({ where: { accountId: h.account.accountId } });
  expect(JSON.stringify(events)).not.toMatch(token);
}

describe("email_otp", () => {
  it("offers an Email field and signs a known user in with the mailed code", async () => {
    const { issuerId, config } = await issuerWith([{ method: "email_otp" }]);
    const email = uniqueEmail("ada");
    const userId = await h.newUser(issuerId, email, { email_verified: false });
    const flow = await beginSignIn(h, config);
    expect(flow.page.text).toContain(">Email</label>");
    expect(flow.page.text).toContain("Email me a code");
    const codePage = await flow.browser.submit(flow.page, { email }, h.baseUrl, "email-code");
    expect(codePage.status).toBe(200);
    expect(codePage.text).toContain('<label for="code">Code</label>');
    const code = codeIn(await smtp.mailTo(email)) ?? "";
    expect(code).toMatch(/^\d{6}$/);
    expect(codePage.text).not.toContain(code);

    const done = await flow.browser.submit(codePage, { code }, h.baseUrl, "email-code-verify");
    const tokens = await exchangeCode(config, done.location, flow);
    expect(tokens.claims()?.sub).toBe(userId);
    expect(tokens.claims()?.amr).toEqual(["otp"]);
    // The code proved the email.
    expect((await h.services.users.findById(issuerId, userId))?.emailVerified).toBe(true);
    await expectNowhere(code);
  });

  it("honours code_length: the code has that many digits, and a code of another length is refused", async () => {
    const { issuerId, config } = await issuerWith([{ method: "email_otp", settings: { code_length: 8 } }]);
    const email = uniqueEmail("len");
    const userId = await h.newUser(issuerId, email);
    const { codePage, browser, ...flow } = await emailCode(config, email);
    const code = codeIn(await smtp.mailTo(email)) ?? "";
    expect(code).toMatch(/^\d{8}$/);
    const short = await browser.submit(codePage, { code: code.slice(0, 6) }, h.baseUrl, "email-code-verify");
    expect(short.status).toBe(400);
    expect(short.text).toContain("The code has 8 digits.");
    const done = await browser.submit(codePage, { code }, h.baseUrl, "email-code-verify");
    expect((await exchangeCode(config, done.location, flow)).claims()?.sub).toBe(userId);
  });

  it("honours ttl_seconds: an expired code is refused", async () => {
    const { issuerId, config } = await issuerWith([{ method: "email_otp", settings: { ttl_seconds: 120 } }]);
    const email = uniqueEmail("ttl");
    await h.newUser(issuerId, email);
    const { codePage, browser } = await emailCode(config, email);
    const code = codeIn(await smtp.mailTo(email)) ?? "";
    offset = 121_000;
    const late = await browser.submit(codePage, { code }, h.baseUrl, "email-code-verify");
    expect(late.status).toBe(400);
    expect(late.text).toContain("That code has expired.");
    expect(late.location).toBeNull();
  });

  it("honours max_attempts: then even the right code is dead until a new one is sent (resend limited)", async () => {
    const { issuerId, config } = await issuerWith([{ method: "email_otp", settings: { max_attempts: 2 } }]);
    const email = uniqueEmail("attempts");
    const userId = await h.newUser(issuerId, email);
    const { codePage, browser, ...flow } = await emailCode(config, email);
    const code = codeIn(await smtp.mailTo(email)) ?? "";
    const wrong = code === "000000" ? "111111" : "000000";
    expect((await browser.submit(codePage, { code: wrong }, h.baseUrl, "email-code-verify")).status).toBe(400);
    const blocked = await browser.submit(codePage, { code: wrong }, h.baseUrl, "email-code-verify");
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get("retry-after")).toMatch(/^\d+$/);
    const dead = await browser.submit(codePage, { code }, h.baseUrl, "email-code-verify");
    expect(dead.status).toBe(429);
    expect(dead.location).toBeNull();

    // A new code at once is refused (30 s between two), then sent.
    const tooSoon = await browser.submit(codePage, {}, h.baseUrl, "email-code-resend");
    expect(tooSoon.status).toBe(429);
    offset = 31_000;
    const mails = smtp.received.length;
    const resent = await browser.submit(codePage, {}, h.baseUrl, "email-code-resend");
    expect(resent.status).toBe(200);
    await expect.poll(() => smtp.received.length).toBe(mails + 1);
    const fresh = codeIn(await smtp.mailTo(email)) ?? "";
    const done = await browser.submit(resent, { code: fresh }, h.baseUrl, "email-code-verify");
    expect((await exchangeCode(config, done.location, flow)).claims()?.sub).toBe(userId);
  });

  it("max_attempts holds against parallel guesses, and a code passes once even when sent twice at once", async () => {
    const { issuerId, config } = await issuerWith([{ method: "email_otp", settings: { max_attempts: 3 } }]);
    const email = uniqueEmail("parallel");
    const userId = await h.newUser(issuerId, email);
    const guessing = await emailCode(config, email);
    const code = codeIn(await smtp.mailTo(email)) ?? "";
    const wrong = (i: number) => String((Number(code) + 1 + i) % 1_000_000).padStart(6, "0");
    const burst = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        guessing.browser.submit(guessing.codePage, { code: wrong(i) }, h.baseUrl, "email-code-verify"),
      ),
    );
    // Each guess that was judged counted: of two that read the same state, the later one is refused unjudged.
    const judged = (answers: { status: number }[]) => answers.filter((a) => a.status === 400).length;
    for (const answer of burst) expect([400, 409, 429]).toContain(answer.status);
    for (const refused of burst.filter((a) => a.status === 409)) {
      expect(refused.text).toContain("This sign-in moved on in another window or request.");
    }
    let wrongAnswers = judged(burst);
    for (let i = 0; i < 5; i++) {
      const answer = await guessing.browser.submit(
        guessing.codePage,
        { code: wrong(20 + i) },
        h.baseUrl,
        "email-code-verify",
      );
      wrongAnswers += judged([answer]);
      if (answer.status === 429) break;
    }
    expect(wrongAnswers).toBe(2); // the third wrong code kills it
    const dead = await guessing.browser.submit(guessing.codePage, { code }, h.baseUrl, "email-code-verify");
    expect(dead.status).toBe(429);

    // The right code twice at once: one signs in, the other is refused.
    const mails = smtp.received.length;
    const twice = await emailCode(config, email);
    await expect.poll(() => smtp.received.length).toBe(mails + 1);
    const fresh = codeIn(await smtp.mailTo(email)) ?? "";
    const both = await Promise.all([
      twice.browser.submit(twice.codePage, { code: fresh }, h.baseUrl, "email-code-verify"),
      twice.browser.submit(twice.codePage, { code: fresh }, h.baseUrl, "email-code-verify"),
    ]);
    const [winner, ...others] = [...both].sort((a, b) => Number(Boolean(b.location)) - Number(Boolean(a.location)));
    expect(others.map((a) => [409, 429].includes(a.status))).toEqual([true]);
    expect((await exchangeCode(config, winner?.location ?? null, twice)).claims()?.sub).toBe(userId);
  });

  it("a code refused unjudged (malformed) saves nothing, so such a refusal cannot beat the request finishing the sign-in", async () => {
    const { issuerId, config } = await issuerWith([{ method: "email_otp" }]);
    const email = uniqueEmail("undecided");
    await h.newUser(issuerId, email);
    const flow = await emailCode(config, email);
    const code = codeIn(await smtp.mailTo(email)) ?? "";
    // The revision of the sign-in's saved state (oidc_artifacts, model SignInState).
    const revision = async () => {
      const rows = await h.services.db.oidcArtifact.findMany({ where: { issuerId, model: "SignInState" } });
      expect(rows).toHaveLength(1);
      return (rows[0]?.payload as { revision?: number } | undefined)?.revision ?? 0;
    };
    const before = await revision();
    const malformed = await flow.browser.submit(flow.codePage, { code: "12" }, h.baseUrl, "email-code-verify");
    expect(malformed.status).toBe(400);
    expect(await revision()).toBe(before);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, "0");
    expect((await flow.browser.submit(flow.codePage, { code: wrong }, h.baseUrl, "email-code-verify")).status).toBe(
      400,
    );
    expect(await revision()).toBe(before + 1); // a judged guess counts
  });

  it("limits the codes sent to one email across sign-ins (5 per 15 minutes), known or not", async () => {
    const { config } = await issuerWith([{ method: "email_otp" }]);
    const email = uniqueEmail("flood");
    for (let i = 0; i < 5; i++) expect((await emailCode(config, email)).codePage.status).toBe(200);
    const flooded = await emailCode(config, email);
    expect(flooded.codePage.status).toBe(429);
    expect(Number(flooded.codePage.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("an unknown email reads the same and gets nothing where sign-up is not allowed", async () => {
    const { issuerId, config } = await issuerWith([{ method: "email_otp", enabled_signup: false }], { mode: "open" });
    const known = uniqueEmail("known");
    await h.newUser(issuerId, known);
    const unknown = uniqueEmail("unknown");
    const knownPage = (await emailCode(config, known)).codePage;
    const { codePage, browser } = await emailCode(config, unknown);
    expect(codePage.status).toBe(knownPage.status);
    const shape = (text: string, email: string) =>
      text
        .replace(email, "X")
        .replace(/interaction\/[^/"]+/g, "")
        .replace(/value="[^"]*"/g, "");
    expect(shape(codePage.text, unknown)).toBe(shape(knownPage.text, known));
    await smtp.mailTo(known);
    // Mail is sent in the background: give a would-be mail to the unknown email the same time.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(smtp.received.some((mail) => mail.to === unknown)).toBe(false);
    const guess = await browser.submit(codePage, { code: "123456" }, h.baseUrl, "email-code-verify");
    expect(guess.status).toBe(400);
    expect(await h.services.users.findByEmail(issuerId, unknown)).toBeNull();
  });

  it("signs up a new user, verified, only once the code is entered where sign-up is allowed", async () => {
    const { issuerId, config } = await issuerWith([{ method: "email_otp" }], {
      mode: "open",
      allowed_email_domains: ["corp.example"],
    });
    const outsider = uniqueEmail("outsider");
    await emailCode(config, outsider);
    const email = `new-${Date.now()}@corp.example`;
    const { codePage, browser, ...flow } = await emailCode(config, email);
    const code = codeIn(await smtp.mailTo(email)) ?? "";
    // Not yet: the code has not proved the email.
    expect(await h.services.users.findByEmail(issuerId, email)).toBeNull();
    const done = await browser.submit(codePage, { code }, h.baseUrl, "email-code-verify");
    const tokens = await exchangeCode(config, done.location, flow);
    const user = await h.services.users.findByEmail(issuerId, email);
    expect(user?.emailVerified).toBe(true);
    expect(tokens.claims()?.sub).toBe(user?.id);
    // allowed_email_domains: the outsider got nothing and no account.
    expect(smtp.received.some((mail) => mail.to === outsider)).toBe(false);
    expect(await h.services.users.findByEmail(issuerId, outsider)).toBeNull();
    await expectNowhere(code);
  });

  it("enabled_login: false is neither offered nor accepted by a crafted post", async () => {
    const { issuerId, config } = await issuerWith([{ method: "email_otp", enabled_login: false }]);
    const email = uniqueEmail("disabled");
    await h.newUser(issuerId, email);
    const flow = await beginSignIn(h, config);
    expect(flow.page.text).not.toContain("/email-code");
    const action = /action="([^"]+)\/login"/.exec(flow.page.text)?.[1] ?? "";
    const csrf = /name="csrf" value="([^"]+)"/.exec(flow.page.text)?.[1] ?? "";
    const crafted = await flow.browser.request(new URL(`${action}/email-code`, h.baseUrl).href, {
      form: { csrf, email },
    });
    expect(crafted.status).toBe(403);
    const verify = await flow.browser.request(new URL(`${action}/email-code-verify`, h.baseUrl).href, {
      form: { csrf, code: "123456" },
    });
    expect(verify.status).toBe(403);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(smtp.received.some((mail) => mail.to === email)).toBe(false);
  });
});

describe("sms_otp", () => {
  it("offers a Phone number field and signs a user in with the code posted to the SMS webhook", async () => {
    const { issuerId, config } = await issuerWith([{ method: "sms_otp", settings: { code_length: 4 } }]);
    const phone = uniquePhone();
    const userId = await h.newUser(issuerId, uniqueEmail("phone"), { phone_number: phone });
    const flow = await beginSignIn(h, config);
    expect(flow.page.text).toContain(">Phone number</label>");
    // Typed with spaces and dashes: normalized to E.164.
    const typed = `${phone.slice(0, 5)} ${phone.slice(5, 8)}-${phone.slice(8)}`;
    const codePage = await flow.browser.submit(flow.page, { phone_number: typed }, h.baseUrl, "sms-code");
    expect(codePage.text).toContain('<label for="code">Code</label>');
    const body = await sms.smsTo(phone);
    expect(sms.received.at(-1)?.contentType).toBe("application/json");
    const code = codeIn(body) ?? "";
    expect(code).toMatch(/^\d{4}$/);
    const done = await flow.browser.submit(codePage, { code }, h.baseUrl, "sms-code-verify");
    const tokens = await exchangeCode(config, done.location, flow);
    expect(tokens.claims()?.sub).toBe(userId);
    expect(tokens.claims()?.amr).toEqual(["sms"]);
    expect((await h.services.users.findById(issuerId, userId))?.phoneVerified).toBe(true);
    await expectNowhere(code);
  });

  it("signs up by phone where allowed (phone_verified), not where enabled_signup is false", async () => {
    const open = await issuerWith([{ method: "sms_otp" }], { mode: "open" });
    const phone = uniquePhone();
    const flow = await beginSignIn(h, open.config);
    const codePage = await flow.browser.submit(flow.page, { phone_number: phone }, h.baseUrl, "sms-code");
    const code = codeIn(await sms.smsTo(phone)) ?? "";
    const done = await flow.browser.submit(codePage, { code }, h.baseUrl, "sms-code-verify");
    const tokens = await exchangeCode(open.config, done.location, flow);
    const user = await h.services.users.findByPhone(open.issuerId, phone);
    expect(user?.phoneVerified).toBe(true);
    expect(user?.email).toBeNull();
    expect(tokens.claims()?.sub).toBe(user?.id);

    const closed = await issuerWith([{ method: "sms_otp", enabled_signup: false }], { mode: "open" });
    const other = uniquePhone();
    const again = await beginSignIn(h, closed.config);
    const page = await again.browser.submit(again.page, { phone_number: other }, h.baseUrl, "sms-code");
    expect(page.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sms.received.some((message) => message.to === other)).toBe(false);
    expect(await h.services.users.findByPhone(closed.issuerId, other)).toBeNull();
  });

  it("refuses a number that is not E.164 with the sign-in page", async () => {
    const { config } = await issuerWith([{ method: "sms_otp" }]);
    const flow = await beginSignIn(h, config);
    const answer = await flow.browser.submit(flow.page, { phone_number: "0612" }, h.baseUrl, "sms-code");
    expect(answer.status).toBe(400);
    expect(answer.text).toContain("country code");
  });
});
