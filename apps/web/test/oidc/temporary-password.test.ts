import { parsed } from "@authpi/server/testing/bodies";
import type * as oidc from "openid-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { addAuthMethod, beginSignIn, exchangeCode, type OidcHarness, oidcHarness, relyingParty } from "./harness.ts";

/**
 * `temporary_password` end to end: set through the users service (the API's create/PATCH), typed
 * into the sign-in page's password form, then a forced change before any token.
 */
let h: OidcHarness;
let offset = 0;

beforeAll(async () => {
  h = await oidcHarness({ clock: () => new Date(Date.now() + offset) });
});

afterEach(() => {
  offset = 0;
});

afterAll(() => h.close());

const NEW_PASSWORD = "my own new passphrase 7";

async function issuerWith(options: { password: boolean; temporary?: Record<string, unknown> }) {
  const issuerId = options.password
    ? await h.newIssuer()
    : (await h.services.issuers.create(h.account.accountId, parsed.issuer({ name: "No password" }))).value.id;
  await addAuthMethod(h, issuerId, {
    method: "temporary_password",
    settings: { ttl_seconds: 3600 },
    ...options.temporary,
  });
  return { issuerId, config: await relyingParty(h, issuerId) };
}

let sequence = 0;
const uniqueEmail = (name: string) => `${name}-${Date.now()}-${++sequence}@example.com`;

/** A user with only a generated temporary password (returned once by the create). */
async function userWithTemporary(issuerId: string, email: string) {
  const { value } = await h.services.users.create(
    h.account.accountId,
    issuerId,
    parsed.user({
      email,
      email_verified: true,
      temporary_password: true,
    }),
  );
  return { userId: value.id, temporary: value.temporary_password ?? "" };
}

async function signInWith(config: oidc.Configuration, email: string, password: string) {
  const flow = await beginSignIn(h, config);
  expect(flow.page.text).toContain('<label for="password">Password</label>');
  const answer = await flow.browser.submit(flow.page, { email, password }, h.baseUrl, "login");
  return { ...flow, answer };
}

describe("temporary_password", () => {
  it("signs in once with it, forces a real password before any token, and is then gone", async () => {
    const { issuerId, config } = await issuerWith({ password: true });
    const email = uniqueEmail("temp");
    const { userId, temporary } = await userWithTemporary(issuerId, email);
    expect(temporary).toHaveLength(16);

    const flow = await signInWith(config, email, temporary);
    const change = flow.answer;
    expect(change.status).toBe(200);
    expect(change.url).toMatch(/\/change-password$/);
    expect(change.text).toContain('<label for="password">Password</label>');
    expect(change.location).toBeNull();

    // No step of the flow goes on before the change: each sends back to it.
    const skip = await flow.browser.follow(change.url.replace(/\/change-password$/, "/mfa"), h.baseUrl);
    expect(skip.url).toMatch(/\/change-password$/);

    const differ = await flow.browser.submit(
      change,
      { password: NEW_PASSWORD, password_confirm: "other" },
      h.baseUrl,
      "change-password",
    );
    expect(differ.status).toBe(400);
    const weak = await flow.browser.submit(
      change,
      { password: "short", password_confirm: "short" },
      h.baseUrl,
      "change-password",
    );
    expect(weak.status).toBe(400);
    expect(weak.text).toContain("min_length");
    const done = await flow.browser.submit(
      change,
      { password: NEW_PASSWORD, password_confirm: NEW_PASSWORD },
      h.baseUrl,
      "change-password",
    );
    const tokens = await exchangeCode(config, done.location, flow);
    expect(tokens.claims()?.sub).toBe(userId);
    expect(tokens.claims()?.amr).toEqual(["pwd"]);

    const user = await h.services.users.get(h.account.accountId, issuerId, userId);
    expect(user.value.temporary_password_expires_at).toBeNull();
    expect(user.value.password_set).toBe(true);
    // Single use: the temporary password no longer signs in; the new one does, with no change asked.
    expect((await signInWith(config, email, temporary)).answer.status).toBe(401);
    const again = await signInWith(config, email, NEW_PASSWORD);
    expect((await exchangeCode(config, again.answer.location, again)).claims()?.sub).toBe(userId);
    // Neither password reached a log line or an audit event.
    const events = JSON.stringify(
      await h.services.db.auditEvent.findMany({ where: { accountId: h.account.accountId } }),
    );
    for (const secret of [temporary, NEW_PASSWORD]) {
      expect(h.logLines.filter((line) => line.includes(secret))).toEqual([]);
      expect(events).not.toContain(secret);
    }
  });

  it("honours ttl_seconds: an expired one is refused like a wrong password", async () => {
    const { issuerId, config } = await issuerWith({ password: true, temporary: { settings: { ttl_seconds: 300 } } });
    const email = uniqueEmail("expired");
    const { temporary } = await userWithTemporary(issuerId, email);
    const wrong = await signInWith(config, email, "not the temporary password");
    offset = 301_000;
    const late = await signInWith(config, email, temporary);
    expect(late.answer.status).toBe(401);
    expect(late.answer.text).toContain("Wrong email or password.");
    expect(late.answer.text.replace(/value="[^"]*"/g, "").replace(/interaction\/[^/"]+/g, "")).toBe(
      wrong.answer.text.replace(/value="[^"]*"/g, "").replace(/interaction\/[^/"]+/g, ""),
    );
  });

  it("without a password method the form is still offered and the new password follows the default policy", async () => {
    const { issuerId, config } = await issuerWith({ password: false });
    const email = uniqueEmail("nopw");
    const { userId, temporary } = await userWithTemporary(issuerId, email);
    const flow = await signInWith(config, email, temporary);
    expect(flow.answer.url).toMatch(/\/change-password$/);
    // The default policy: 12 characters at least.
    const short = await flow.browser.submit(
      flow.answer,
      { password: "eleven char", password_confirm: "eleven char" },
      h.baseUrl,
      "change-password",
    );
    expect(short.status).toBe(400);
    expect(short.text).toContain("at least 12 characters");
    const done = await flow.browser.submit(
      flow.answer,
      { password: NEW_PASSWORD, password_confirm: NEW_PASSWORD },
      h.baseUrl,
      "change-password",
    );
    expect((await exchangeCode(config, done.location, flow)).claims()?.sub).toBe(userId);
    const again = await signInWith(config, email, NEW_PASSWORD);
    expect((await exchangeCode(config, again.answer.location, again)).claims()?.sub).toBe(userId);
  });

  it("enabled_login: false refuses the temporary password at the form", async () => {
    const { issuerId, config } = await issuerWith({ password: true, temporary: { enabled_login: false } });
    const email = uniqueEmail("off");
    const { temporary } = await userWithTemporary(issuerId, email);
    expect((await signInWith(config, email, temporary)).answer.status).toBe(401);
  });
});
