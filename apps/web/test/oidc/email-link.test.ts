import type * as oidc from "openid-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  addAuthMethod,
  beginSignIn,
  exchangeCode,
  FormBrowser,
  type OidcHarness,
  oidcHarness,
  relyingParty,
} from "./harness.ts";
import { type SmtpSink, smtpSink } from "./sinks.ts";

/** `email_link` end to end: a real SMTP server, the hosted pages, the RP, a clock the test moves. */
let h: OidcHarness;
let smtp: SmtpSink;
let offset = 0;

beforeAll(async () => {
  smtp = await smtpSink();
  h = await oidcHarness({ smtpUrl: smtp.url, clock: () => new Date(Date.now() + offset) });
});

afterEach(() => {
  offset = 0;
});

afterAll(async () => {
  await h.close();
  await smtp.close();
});

async function issuerWith(method: Record<string, unknown>, signup: Record<string, unknown> = { mode: "closed" }) {
  const issuerId = await h.newIssuer({ settings: { signup } });
  await addAuthMethod(h, issuerId, { method: "email_link", ...method });
  return { issuerId, config: await relyingParty(h, issuerId) };
}

let sequence = 0;
const uniqueEmail = (name: string) => `${name}-${Date.now()}-${++sequence}@example.com`;

/** Asks for a link on the sign-in page; returns the flow and the link from the mail. */
async function askLink(config: oidc.Configuration, email: string, browser?: FormBrowser) {
  const flow = await beginSignIn(h, config, browser ? { browser } : {});
  const mails = smtp.received.filter((mail) => mail.to === email).length;
  const sent = await flow.browser.submit(flow.page, { email }, h.baseUrl, "email-link");
  await expect.poll(() => smtp.received.filter((mail) => mail.to === email).length).toBe(mails + 1);
  const link = /(http:\/\/\S+\/link\/[A-Za-z0-9_-]+)/.exec(await smtp.mailTo(email))?.[1] ?? "";
  return { ...flow, sent, link };
}

describe("email_link", () => {
  it("signs the user in once, in the browser that asked; a reused link is refused", async () => {
    const { issuerId, config } = await issuerWith({});
    const email = uniqueEmail("ada");
    const userId = await h.newUser(issuerId, email, { email_verified: false });
    const flow = await askLink(config, email);
    expect(flow.page.text).toContain("Email me a sign-in link");
    expect(flow.sent.status).toBe(200);
    expect(flow.sent.text).toContain("Check your email");
    expect(flow.link.startsWith(`${h.issuerUrl(issuerId)}/interaction/`)).toBe(true);

    // Another browser (no interaction cookie) cannot use it.
    const stranger = await new FormBrowser().request(flow.link);
    expect(stranger.status).toBe(400);
    expect(stranger.location).toBeNull();

    const done = await flow.browser.follow(flow.link, h.baseUrl);
    const tokens = await exchangeCode(config, done.location, flow);
    expect(tokens.claims()?.sub).toBe(userId);
    expect(tokens.claims()?.amr).toEqual(["otp"]);
    expect((await h.services.users.findById(issuerId, userId))?.emailVerified).toBe(true);

    const reused = await flow.browser.follow(flow.link, h.baseUrl);
    expect(reused.status).toBe(400);
    expect(reused.location).toBeNull();

    // Neither the link nor its token reached a log line or an audit event.
    const token = flow.link.split("/").at(-1) ?? "";
    expect(h.logLines.filter((line) => line.includes(token))).toEqual([]);
    const events = await h.services.db.auditEvent.findMany({ where: { accountId: h.account.accountId } });
    expect(JSON.stringify(events)).not.toContain(token);
  });

  it("honours ttl_seconds: an expired link is refused with a clear page", async () => {
    const { issuerId, config } = await issuerWith({ settings: { ttl_seconds: 60 } });
    const email = uniqueEmail("late");
    await h.newUser(issuerId, email);
    const flow = await askLink(config, email);
    offset = 61_000;
    const late = await flow.browser.follow(flow.link, h.baseUrl);
    expect(late.status).toBe(400);
    expect(late.text).toContain("This sign-in link has expired.");
    expect(late.location).toBeNull();
  });

  it("a newer link replaces the previous one", async () => {
    const { issuerId, config } = await issuerWith({});
    const email = uniqueEmail("twice");
    const userId = await h.newUser(issuerId, email);
    const first = await askLink(config, email);
    offset = 31_000;
    const mails = smtp.received.length;
    const resent = await first.browser.submit(first.sent, {}, h.baseUrl, "email-link-resend");
    expect(resent.status).toBe(200);
    await expect.poll(() => smtp.received.length).toBe(mails + 1);
    const second = /(http:\/\/\S+\/link\/[A-Za-z0-9_-]+)/.exec(await smtp.mailTo(email))?.[1] ?? "";
    expect(second).not.toBe(first.link);
    const old = await first.browser.follow(first.link, h.baseUrl);
    expect(old.status).toBe(400);
    expect(old.text).toContain("a newer link replaced it");
    const done = await first.browser.follow(second, h.baseUrl);
    expect((await exchangeCode(config, done.location, first)).claims()?.sub).toBe(userId);
  });

  it("signs up a verified user by link where allowed; not with enabled_signup: false", async () => {
    const open = await issuerWith({}, { mode: "open" });
    const email = uniqueEmail("new");
    const flow = await askLink(open.config, email);
    expect(await h.services.users.findByEmail(open.issuerId, email)).toBeNull();
    const done = await flow.browser.follow(flow.link, h.baseUrl);
    const tokens = await exchangeCode(open.config, done.location, flow);
    const user = await h.services.users.findByEmail(open.issuerId, email);
    expect(user?.emailVerified).toBe(true);
    expect(tokens.claims()?.sub).toBe(user?.id);

    const closed = await issuerWith({ enabled_signup: false }, { mode: "open" });
    const other = uniqueEmail("nobody");
    const start = await beginSignIn(h, closed.config);
    const sent = await start.browser.submit(start.page, { email: other }, h.baseUrl, "email-link");
    expect(sent.status).toBe(200);
    expect(sent.text).toContain("Check your email");
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(smtp.received.some((mail) => mail.to === other)).toBe(false);
    expect(await h.services.users.findByEmail(closed.issuerId, other)).toBeNull();
  });

  it("enabled_login: false is neither offered nor accepted by a crafted post", async () => {
    const { issuerId, config } = await issuerWith({ enabled_login: false });
    const email = uniqueEmail("off");
    await h.newUser(issuerId, email);
    const flow = await beginSignIn(h, config);
    expect(flow.page.text).not.toContain("sign-in link");
    const action = /action="([^"]+)\/login"/.exec(flow.page.text)?.[1] ?? "";
    const csrf = /name="csrf" value="([^"]+)"/.exec(flow.page.text)?.[1] ?? "";
    const crafted = await flow.browser.request(new URL(`${action}/email-link`, h.baseUrl).href, {
      form: { csrf, email },
    });
    expect(crafted.status).toBe(403);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(smtp.received.some((mail) => mail.to === email)).toBe(false);
  });
});
