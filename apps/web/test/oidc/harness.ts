import { mkdtemp } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  type Clock,
  createMailer,
  createProviderPool,
  createSignInAttempts,
  createSmsSender,
  type ProviderPool,
  type Services,
  type UpstreamOrigins,
} from "@authpi/server";
import { serviceHarness, type TestAccount, testKeyring } from "@authpi/server/testing";
import { parsed } from "@authpi/server/testing/bodies";
import * as oidc from "openid-client";
import { expect, inject } from "vitest";
import { createLogger } from "../../src/logger.ts";
import { createSignInDeps } from "../../src/oidc/deps.ts";
import { createOidcHandler } from "../../src/oidc/handler.ts";
import { providerPages } from "../../src/oidc/pages.ts";

export const PASSWORD = "a long enough passphrase 42";
export const REDIRECT = "http://localhost:8080/callback";

export interface OidcHarness {
  baseUrl: string;
  services: Services;
  account: TestAccount;
  pool: ProviderPool;
  logLines: string[];
  issuerUrl(issuerId: string): string;
  /** An active issuer with a `password` auth method (settings merged into the defaults). */
  newIssuer(input?: Record<string, unknown>): Promise<string>;
  newClient(issuerId: string, input?: Record<string, unknown>): Promise<{ id: string; secret: string | null }>;
  newUser(issuerId: string, email: string, input?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

/**
 * The `/oidc` handler on a real HTTP server (port 0) over the run's real database, with the real
 * clients and users services and a fresh account.
 */
export async function oidcHarness(
  options: {
    clock?: Clock;
    smtpUrl?: string;
    redisUrl?: string;
    attemptsPrefix?: string;
    trustProxy?: boolean;
    /** The host of the public URL (`localhost`: a WebAuthn relying party); 127.0.0.1 by default. */
    publicHost?: string;
    /** SMS through this webhook; without it, the outbox (and the log, as on the server). */
    smsWebhookUrl?: string;
    /** Local upstreams for GitHub, Apple and the `oauth2` providers (federation tests). */
    upstreams?: UpstreamOrigins;
  } = {},
): Promise<OidcHarness> {
  const harness = serviceHarness(options.clock ? { clock: options.clock } : {});
  const account = await harness.newAccount();
  const logLines: string[] = [];
  const logger = createLogger({ level: "debug", destination: { write: (line) => logLines.push(line.trimEnd()) } });
  const { services } = harness;
  let baseUrl = "";
  const attempts = createSignInAttempts({
    redisUrl: options.redisUrl,
    keyPrefix: options.attemptsPrefix ?? `authpi:test:${process.pid}:${Date.now()}:${Math.random()}`,
  });
  const outbox = await mkdtemp(path.join(tmpdir(), "authpi-outbox-"));
  const keyring = testKeyring();
  const pool = createProviderPool(services.db, {
    db: services.db,
    clients: services.clients,
    users: services.users,
    keyring,
    signingKeys: services.oidc.signingKeys,
    publicUrl: () => baseUrl,
    databaseUrl: inject("databaseUrl"),
    trustProxy: options.trustProxy ?? false,
    ...providerPages,
  });
  await pool.start();
  const server: Server = createServer(
    createOidcHandler(
      createSignInDeps({
        services,
        pool,
        keyring,
        mailer: createMailer({ smtpUrl: options.smtpUrl, from: "AuthPI <no-reply@authpi.test>", outboxDir: outbox }),
        sms: createSmsSender({
          webhookUrl: options.smsWebhookUrl,
          outboxDir: outbox,
          log: (message, fields) => logger.info(fields ?? {}, message),
        }),
        attempts,
        logger,
        trustProxy: options.trustProxy ?? false,
        ...(options.upstreams ? { upstreams: options.upstreams } : {}),
      }),
    ),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://${options.publicHost ?? "127.0.0.1"}:${(server.address() as AddressInfo).port}`;

  return {
    get baseUrl() {
      return baseUrl;
    },
    services,
    account,
    pool,
    logLines,
    issuerUrl: (issuerId) => `${baseUrl}/oidc/${issuerId}`,
    async newIssuer(input = {}) {
      const { value } = await services.issuers.create(account.accountId, parsed.issuer({ name: "Issuer", ...input }));
      await services.authMethods.create(
        account.accountId,
        value.id,
        parsed.authMethod({
          name: "Password",
          method: "password",
          first_factor_only: true,
          settings: { min_length: 8, check_breached: false },
        }),
      );
      return value.id;
    },
    async newClient(issuerId, input = {}) {
      const { value } = await services.clients.create(
        account.accountId,
        issuerId,
        parsed.client({
          name: "Web app",
          application_type: "web",
          redirect_uris: ["http://localhost:8080/callback"],
          post_logout_redirect_uris: ["http://localhost:8080/"],
          ...input,
        }),
      );
      return { id: value.id, secret: value.client_secret };
    },
    async newUser(issuerId, email, input = {}) {
      const { value } = await services.users.create(
        account.accountId,
        issuerId,
        parsed.user({
          email,
          password: PASSWORD,
          email_verified: true,
          name: "Ada Lovelace",
          given_name: "Ada",
          family_name: "Lovelace",
          ...input,
        }),
      );
      return value.id;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.close();
      await attempts.close();
      await harness.close();
    },
  };
}

/** An attribute value as a browser reads it (the entities escapeHtml writes). */
const decodeAttribute = (value: string) =>
  value
    .replaceAll("&quot;", '"')
    .replaceAll("&#39;", "'")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");

/** A browser without JavaScript: follows nothing by itself, keeps cookies per path. */
export class FormBrowser {
  /** Keyed by name and path, as a browser keeps them (two issuers' cookies share names). */
  private cookies = new Map<string, { name: string; value: string; path: string }>();

  private cookieHeader(url: URL): string {
    return [...this.cookies.values()]
      .filter((cookie) => url.pathname.startsWith(cookie.path))
      .map((cookie) => `${cookie.name}=${cookie.value}`)
      .join("; ");
  }

  private store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";").map((part) => part.trim());
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const path = attributes.find((a) => a.toLowerCase().startsWith("path="))?.slice(5) ?? "/";
      const expired = attributes.some((a) => /^expires=Thu, 01 Jan 1970/i.test(a)) || value === "";
      const key = `${name};${path}`;
      if (expired) this.cookies.delete(key);
      else this.cookies.set(key, { name, value, path });
    }
  }

  /** Sets a cookie as a server would have (a test forging or replaying one). */
  setCookie(name: string, value: string, path = "/"): void {
    this.cookies.set(`${name};${path}`, { name, value, path });
  }

  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}) {
    const target = new URL(url);
    const headers: Record<string, string> = {};
    const cookie = this.cookieHeader(target);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(target, {
      method: init.method ?? (body ? "POST" : "GET"),
      headers,
      body,
      redirect: "manual",
    });
    this.store(response);
    const text = await response.text();
    const location = response.headers.get("location");
    return {
      status: response.status,
      headers: response.headers,
      text,
      location: location ? new URL(location, target).href : null,
    };
  }

  /** GETs and follows redirects while they stay on `origin`; returns the last answer and the URL leaving it. */
  async follow(url: string, origin: string) {
    let current = url;
    for (let hop = 0; hop < 10; hop += 1) {
      const answer = await this.request(current);
      if (!answer.location?.startsWith(origin)) return { ...answer, url: current };
      current = answer.location;
    }
    throw new Error("too many redirects");
  }

  /**
   * Submits a form of a page (the first one, or the first whose action ends with `step`) with its
   * hidden fields plus `fields`; follows the redirects.
   */
  async submit(page: { text: string; url: string }, fields: Record<string, string>, origin: string, step?: string) {
    const forms = [...page.text.matchAll(/<form method="post" action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)];
    const form = step === undefined ? forms[0] : forms.find((match) => match[1]?.endsWith(`/${step}`));
    const action = form?.[1];
    if (!form || !action)
      throw new Error(`no form${step ? ` for ${step}` : ""} on the page:\n${page.text.slice(0, 800)}`);
    const hidden = Object.fromEntries(
      [...(form[2] ?? "").matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
        m[1],
        decodeAttribute(m[2] ?? ""),
      ]),
    );
    const target = new URL(action.replaceAll("&amp;", "&"), page.url).href;
    const answer = await this.request(target, { form: { ...hidden, ...fields } });
    if (answer.location?.startsWith(origin)) {
      const next = await this.follow(answer.location, origin);
      return next;
    }
    return { ...answer, url: target };
  }
}

/** Starts the authorization code flow (PKCE, state, nonce) and opens the hosted sign-in page. */
export async function beginSignIn(
  harness: OidcHarness,
  configuration: oidc.Configuration,
  options: { scope?: string; browser?: FormBrowser; prompt?: string } = {},
) {
  const browser = options.browser ?? new FormBrowser();
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(configuration, {
    redirect_uri: REDIRECT,
    scope: options.scope ?? "openid profile email",
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
    ...(options.prompt ? { prompt: options.prompt } : {}),
  });
  const page = await browser.follow(url.href, harness.baseUrl);
  return { page, verifier, state, nonce, browser };
}

/** `beginSignIn`, and the sign-in page is there (200). */
export async function startSignIn(
  harness: OidcHarness,
  configuration: oidc.Configuration,
  options: { scope?: string; browser?: FormBrowser; prompt?: string } = {},
) {
  const flow = await beginSignIn(harness, configuration, options);
  expect(flow.page.status).toBe(200);
  return flow;
}

/** The authorization code flow through the hosted page, with plain form posts. */
export async function signIn(
  harness: OidcHarness,
  configuration: oidc.Configuration,
  options: { email?: string; password?: string; scope?: string; browser?: FormBrowser; prompt?: string } = {},
) {
  const { page, verifier, state, nonce, browser } = await startSignIn(harness, configuration, options);
  expect(page.text).toContain('<label for="email">Email</label>');
  expect(page.text).toContain('<label for="password">Password</label>');
  const done = await browser.submit(
    page,
    { email: options.email ?? "ada@example.com", password: options.password ?? PASSWORD },
    harness.baseUrl,
  );
  return { done, verifier, state, nonce, browser };
}

/** The RP's code exchange for a sign-in that reached the redirect URI (`location` of the last answer). */
export async function exchangeCode(
  configuration: oidc.Configuration,
  location: string | null,
  flow: { verifier: string; state: string; nonce: string },
) {
  expect(location?.startsWith(`${REDIRECT}?code=`)).toBe(true);
  return oidc.authorizationCodeGrant(configuration, new URL(location ?? ""), {
    pkceCodeVerifier: flow.verifier,
    expectedState: flow.state,
    expectedNonce: flow.nonce,
  });
}

/** A new web client of the issuer, and the RP's configuration for it (discovery; http on localhost). */
export async function relyingParty(harness: OidcHarness, issuerId: string): Promise<oidc.Configuration> {
  const client = await harness.newClient(issuerId);
  return oidc.discovery(new URL(harness.issuerUrl(issuerId)), client.id, client.secret ?? undefined, undefined, {
    execute: [oidc.allowInsecureRequests],
  });
}

/** Adds an auth method to the issuer (through the service, as the API does). */
export async function addAuthMethod(harness: OidcHarness, issuerId: string, input: Record<string, unknown>) {
  await harness.services.authMethods.create(
    harness.account.accountId,
    issuerId,
    parsed.authMethod({
      name: String(input.method),
      first_factor_only: true,
      settings: {},
      ...input,
    }),
  );
}
