import { AUTH_METHOD_TYPES, exampleAuthMethodBody } from "@authpi/domain";
import { parsed } from "@authpi/server/testing/bodies";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOSTED_METHODS } from "../../src/oidc/hosted/methods/index.ts";
import { beginSignIn, type OidcHarness, oidcHarness, relyingParty } from "./harness.ts";

/**
 * Hostile input on every hosted page: each step of every sign-in method (the list the router is
 * built from), GET and POST, with the form fields the pages use set to values no browser sends,
 * plus the federated callback with garbage. Every answer is a page of ours (< 500, no stack trace),
 * and nothing reaches the error log.
 */
let h: OidcHarness;

beforeAll(async () => {
  h = await oidcHarness();
});
afterAll(async () => {
  await h.close();
});

const FIELDS = [
  "email",
  "password",
  "password_confirm",
  "code",
  "phone_number",
  "name",
  "credential",
  "response",
  "factor",
  "remember",
  "token",
  "state",
];
const VALUES = [
  "",
  " ",
  "a".repeat(20_000),
  "\u0000",
  "\ud800",
  "😀@example.com",
  "<script>alert(1)</script>",
  '{"id":"x","response":{}}',
  '{"__proto__":{"polluted":true}}',
  "[]",
  "null",
  "-1",
  "1e309",
  "%00%zz",
  "ada@example.com",
  "+14155550100",
  "123456",
];

const STEPS = [
  "",
  "signup",
  ...new Set(HOSTED_METHODS.flatMap((method) => Object.keys(method.steps ?? {}))),
  "no-such-step",
  "..",
  "%2e%2e",
];

/** Every answer that is not a page of ours: a 5xx, a stack trace, or the script echoed back. */
const failures: string[] = [];
function expectOurs(answer: { status: number; text: string }, what: string) {
  const trace = /\n\s+at [\w.<>]+ \(|node:internal|TypeError|ReferenceError/.test(answer.text);
  if (answer.status >= 500 || trace || answer.text.includes("<script>alert(1)</script>")) {
    failures.push(`${what}: ${answer.status} ${answer.text.slice(0, 200)}`);
  }
}

describe("the hosted pages under hostile input", () => {
  it("answers every step of every method, GET and POST, with a page of ours and no error logged", async () => {
    const issuerId = await h.newIssuer({ settings: { signup: { mode: "open" }, mfa: { policy: "optional" } } });
    const list = async () =>
      JSON.parse((await h.services.authMethods.list(h.account.accountId, issuerId)).json) as {
        data: { id: string; method: string }[];
      };
    const present = new Set((await list()).data.map((method) => method.method));
    for (const type of AUTH_METHOD_TYPES.filter((type) => !present.has(type))) {
      await h.services.authMethods.create(
        h.account.accountId,
        issuerId,
        parsed.authMethod(exampleAuthMethodBody(type, `Fuzz ${type}`)),
      );
    }
    const methods = new Map((await list()).data.map((method) => [method.method, method.id]));
    expect(methods.size).toBe(AUTH_METHOD_TYPES.length);
    const config = await relyingParty(h, issuerId);
    expect(STEPS.length).toBeGreaterThan(20);
    const errorsBefore = h.logLines.filter((line) => line.includes('"level":50')).length;

    let sent = 0;
    for (const step of STEPS) {
      // A fresh sign-in per step: an earlier step's answer must not hide this one's.
      const { page, browser } = await beginSignIn(h, config);
      const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? "";
      const at = step === "" ? page.url : `${page.url.replace(/\/$/, "")}/${step}`;
      expectOurs(await browser.request(at), `GET ${step}`);
      expectOurs(await browser.request(`${at}?code=${"9".repeat(5000)}&email=%00`), `GET ${step} with a query`);
      for (const [i, value] of VALUES.entries()) {
        const form = Object.fromEntries(FIELDS.map((field, j) => [field, VALUES[(i + j) % VALUES.length] ?? value]));
        expectOurs(await browser.request(at, { form: { csrf, ...form } }), `POST ${step} #${i}`);
        sent++;
      }
      expectOurs(await browser.request(at, { form: { csrf: "forged", email: "ada@example.com" } }), `${step} forged`);
      expectOurs(await browser.request(at, { method: "PUT" }), `PUT ${step}`);
    }
    expect(sent).toBe(STEPS.length * VALUES.length);

    // The federated callbacks: no state, a forged one, a huge one, an upstream error.
    for (const type of ["oidc", "oauth2_manual", "github", "apple", "oauth2", "password"]) {
      const callback = `${h.issuerUrl(issuerId)}/callback/${methods.get(type)}`;
      const { browser } = await beginSignIn(h, config);
      for (const query of [
        "",
        "?code=x",
        "?code=x&state=forged",
        `?state=${"s".repeat(10_000)}`,
        "?error=access_denied&error_description=%3Cscript%3E",
        "?code[]=1&state[]=2",
      ]) {
        expectOurs(await browser.request(`${callback}${query}`), `callback ${type}${query}`);
        expectOurs(await browser.request(callback, { form: { code: "x", state: "y", user: "{" } }), `POST ${type}`);
      }
    }
    expect(failures).toEqual([]);
    const errors = h.logLines.filter((line) => line.includes('"level":50')).slice(errorsBefore);
    expect(errors).toEqual([]);
  }, 240_000);
});

describe("the provider's own endpoints under hostile input", () => {
  it("answers OAuth errors (JSON, < 500) to garbage on every endpoint, and logs no error", async () => {
    const issuerId = await h.newIssuer();
    const client = await h.newClient(issuerId);
    const base = h.issuerUrl(issuerId);
    const errorsBefore = h.logLines.filter((line) => line.includes('"level":50')).length;
    const basic = `Basic ${Buffer.from(`${client.id}:${client.secret ?? ""}`).toString("base64")}`;
    const garbage = ["\u0000", "%00", "😀", "a".repeat(8000), "[]", '{"a":1}', "..%2f", " "];
    const answers: { what: string; status: number; type: string; text: string }[] = [];
    const send = async (what: string, url: string, init: RequestInit = {}) => {
      const response = await fetch(url, { redirect: "manual", ...init });
      answers.push({
        what,
        status: response.status,
        type: response.headers.get("content-type") ?? "",
        text: await response.text(),
      });
    };
    for (const value of garbage) {
      const v = encodeURIComponent(value);
      await send(`auth ${v}`, `${base}/auth?client_id=${v}&response_type=code&scope=openid&redirect_uri=${v}`);
      await send(`auth client ${v}`, `${base}/auth?client_id=${client.id}&response_type=${v}&scope=${v}&state=${v}`);
      for (const endpoint of ["token", "token/introspection", "token/revocation"]) {
        await send(`${endpoint} ${v}`, `${base}/${endpoint}`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic },
          body: `grant_type=${v}&code=${v}&token=${v}&refresh_token=${v}&redirect_uri=${v}&code_verifier=${v}`,
        });
        await send(`${endpoint} bad auth ${v}`, `${base}/${endpoint}`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${v}` },
          body: "grant_type=client_credentials",
        });
        await send(`${endpoint} json ${v}`, `${base}/${endpoint}`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: basic },
          body: `{"grant_type":"${v}"`,
        });
      }
      await send(`userinfo ${v}`, `${base}/userinfo`, { headers: { authorization: `Bearer ${v}` } });
      await send(`end session ${v}`, `${base}/session/end?id_token_hint=${v}&post_logout_redirect_uri=${v}`);
    }
    const bad = answers.filter((a) => a.status >= 500 || /\n\s+at [\w.<>]+ \(|node:internal/.test(a.text));
    expect(bad.map((a) => `${a.what}: ${a.status} ${a.text.slice(0, 160)}`)).toEqual([]);
    // Machine endpoints answer the OAuth error shape.
    for (const a of answers.filter((a) => a.what.startsWith("token") && a.status >= 400)) {
      expect(a.type, a.what).toContain("application/json");
      expect(JSON.parse(a.text), a.what).toHaveProperty("error");
    }
    expect(h.logLines.filter((line) => line.includes('"level":50')).slice(errorsBefore)).toEqual([]);
  });
});
