import type { Clock } from "@authpi/server";
import { parsed } from "@authpi/server/testing/bodies";
import * as oidc from "openid-client";
import { generate, type HashAlgorithm } from "otplib";
import { expect } from "vitest";
import { FormBrowser, type OidcHarness, REDIRECT, signIn } from "./harness.ts";

/** Helpers of the second-factor tests (mfa, totp, backup-codes). */

/** A clock the test moves. */
export function movableClock(start = Date.now()): { clock: Clock; advance(ms: number): void; now(): number } {
  let now = start;
  return {
    clock: () => new Date(now),
    advance: (ms) => {
      now += ms;
    },
    now: () => now,
  };
}

export const DAY_MS = 86_400_000;

export interface SecondFactorInput {
  method: "totp" | "backup_codes";
  settings?: Record<string, unknown>;
  enabled_login?: boolean;
}

/** An issuer with `password` and these second factors, its MFA settings, and an RP for it. */
export async function mfaIssuer(
  h: OidcHarness,
  mfa: { policy: "off" | "optional" | "required"; remember_device_days?: number },
  factors: SecondFactorInput[],
): Promise<{ issuerId: string; config: oidc.Configuration }> {
  const issuerId = await h.newIssuer({
    settings: { mfa: { remember_device_days: 0, ...mfa } },
  });
  for (const factor of factors) {
    await h.services.authMethods.create(
      h.account.accountId,
      issuerId,
      parsed.authMethod({
        name: factor.method === "totp" ? "Authenticator app" : "Backup codes",
        method: factor.method,
        first_factor_only: false,
        ...(factor.enabled_login === undefined ? {} : { enabled_login: factor.enabled_login }),
        ...(factor.settings ? { settings: factor.settings } : {}),
      }),
    );
  }
  const client = await h.newClient(issuerId);
  const config = await oidc.discovery(
    new URL(h.issuerUrl(issuerId)),
    client.id,
    client.secret ?? undefined,
    undefined,
    {
      execute: [oidc.allowInsecureRequests],
    },
  );
  return { issuerId, config };
}

/** The password step of a new sign-in (`prompt=login`: the browser's session is not reused). */
export async function passwordStep(
  h: OidcHarness,
  config: oidc.Configuration,
  email: string,
  browser = new FormBrowser(),
) {
  const flow = await signIn(h, config, { email, browser, prompt: "login" });
  return { page: flow.done, flow };
}

export type Flow = Awaited<ReturnType<typeof passwordStep>>["flow"];

/** Asserts the sign-in went back to the RP with a code, and exchanges it. */
export async function tokensAt(
  config: oidc.Configuration,
  page: { status: number; location: string | null },
  flow: Flow,
) {
  expect(page.status).toBe(303);
  expect(page.location?.startsWith(`${REDIRECT}?`)).toBe(true);
  return oidc.authorizationCodeGrant(config, new URL(page.location ?? ""), {
    pkceCodeVerifier: flow.verifier,
    expectedState: flow.state,
    expectedNonce: flow.nonce,
  });
}

/** The page is a step of the hosted sign-in (its URL ends with `/step`), not a redirect to the RP. */
export function expectStep(page: { status: number; url: string; location: string | null }, step: string): void {
  expect(page.location ?? "").not.toContain(REDIRECT);
  expect(new URL(page.url).pathname.endsWith(`/${step}`)).toBe(true);
}

/** The otpauth URI an enrolment page shows as text. */
export function otpauthUri(text: string): URL {
  const match = /<code id="otpauth-uri">(otpauth:\/\/[^<]+)<\/code>/.exec(text);
  expect(match).not.toBeNull();
  return new URL((match?.[1] ?? "").replaceAll("&amp;", "&"));
}

/** The code an authenticator app shows at `epochMs` for this URI (its own digits, period, algorithm). */
export async function codeFor(uri: URL, epochMs: number): Promise<string> {
  const params = uri.searchParams;
  return generate({
    secret: params.get("secret") ?? "",
    digits: Number(params.get("digits") ?? 6) as 6 | 8,
    period: Number(params.get("period") ?? 30),
    algorithm: (params.get("algorithm") ?? "SHA1").toLowerCase() as HashAlgorithm,
    epoch: Math.floor(epochMs / 1000),
  });
}

/**
 * A first sign-in that enrols TOTP (MFA required, TOTP the issuer's only primary factor) with the
 * code of `epochMs`: the answer to that code, the flow, the app's otpauth URI and the browser.
 */
export async function enrolTotp(
  h: OidcHarness,
  config: oidc.Configuration,
  email: string,
  epochMs: number,
  browser = new FormBrowser(),
) {
  const { page, flow } = await passwordStep(h, config, email, browser);
  expectStep(page, "totp-enrol");
  const uri = otpauthUri(page.text);
  const after = await browser.submit(page, { code: await codeFor(uri, epochMs) }, h.baseUrl, "totp-enrol");
  return { page: after, flow, uri, browser };
}

/** The backup codes listed on an enrolment page. */
export function backupCodesOn(text: string): string[] {
  const list = /<ol class="backup-codes">([\s\S]*?)<\/ol>/.exec(text)?.[1] ?? "";
  return [...list.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((match) => match[1] ?? "");
}

/** Everything a test can read of the user outside the sign-in: the API's user, the audit events, the log. */
export async function visibleOutside(h: OidcHarness, issuerId: string, userId: string): Promise<string> {
  const user = await h.services.users.get(h.account.accountId, issuerId, userId);
  const events = await h.services.events.list(h.account.accountId, { limit: 100 });
  return [JSON.stringify(user.value), events.json, ...h.logLines].join("\n");
}
