import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { OAUTH2_PROVIDERS } from "@authpi/domain";
import { decodeProtectedHeader, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import type { ConfiguredMethod } from "../../oidc/provider.ts";
import { appleClientSecret } from "./apple.ts";
import { githubEndpoints } from "./github.ts";
import { federationState, sameState, uidOfState } from "./index.ts";
import { OAUTH2_PROVIDER_SPECS } from "./providers.ts";
import { rebase, standardProfile } from "./upstream.ts";

const method = (type: ConfiguredMethod["method"], settings: Record<string, unknown>): ConfiguredMethod => ({
  id: "am_01JDQ3S6A1B2C3D4E5F6G7H8J9",
  name: type,
  method: type,
  enabledLogin: true,
  enabledSignup: true,
  featured: false,
  firstFactorOnly: true,
  settings,
});

describe("github endpoints", () => {
  it("github.com, or a GitHub Enterprise Server under enterprise_url (its API at /api/v3)", () => {
    expect(githubEndpoints(method("github", { enterprise_url: null }), undefined)).toEqual({
      authorize: "https://github.com/login/oauth/authorize",
      token: "https://github.com/login/oauth/access_token",
      api: "https://api.github.com",
    });
    expect(githubEndpoints(method("github", { enterprise_url: "https://git.example.com/" }), undefined)).toEqual({
      authorize: "https://git.example.com/login/oauth/authorize",
      token: "https://git.example.com/login/oauth/access_token",
      api: "https://git.example.com/api/v3",
    });
  });

  it("a test origin replaces the origins and keeps the paths", () => {
    expect(rebase("https://api.github.com/user?x=1", "http://127.0.0.1:9999")).toBe("http://127.0.0.1:9999/user?x=1");
    expect(rebase("https://api.github.com/user", undefined)).toBe("https://api.github.com/user");
  });
});

describe("apple client secret", () => {
  it("is an ES256 JWT: kid key_id, iss team_id, sub client_id, aud Apple, exp within six months", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const apple = method("apple", {
      client_id: "com.example.web",
      team_id: "TEAM123456",
      key_id: "KEYID12345",
      private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    });
    const now = new Date();
    const secret = await appleClientSecret(apple, now);
    expect(decodeProtectedHeader(secret)).toEqual({ alg: "ES256", kid: "KEYID12345" });
    const { payload } = await jwtVerify(secret, createPublicKey(publicKey.export({ type: "spki", format: "pem" })), {
      issuer: "TEAM123456",
      subject: "com.example.web",
      audience: "https://appleid.apple.com",
      currentDate: now,
    });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBeLessThanOrEqual(15_777_000);
  });
});

describe("the oauth2 provider table", () => {
  it("has every provider of the contract, each on https", () => {
    expect(Object.keys(OAUTH2_PROVIDER_SPECS).sort()).toEqual([...OAUTH2_PROVIDERS].sort());
    for (const spec of Object.values(OAUTH2_PROVIDER_SPECS)) {
      for (const url of [spec.authorize, spec.token, spec.user]) expect(new URL(url).protocol).toBe("https:");
      expect(spec.scopes.length).toBeGreaterThan(0);
    }
  });

  it("trusts an email only where the provider says it is verified", () => {
    const { microsoft, facebook, spotify, twitter, bitbucket, google } = OAUTH2_PROVIDER_SPECS;
    expect(microsoft.profile({ sub: "m", email: "m@example.com" }, undefined).emailVerified).toBe(false);
    expect(facebook.profile({ id: "f", email: "f@example.com" }, undefined).emailVerified).toBe(false);
    expect(spotify.profile({ id: "s", email: "s@example.com" }, undefined).emailVerified).toBe(false);
    expect(twitter.profile({ data: { id: "t", name: "T" } }, undefined)).toMatchObject({ subject: "t", email: null });
    const emails = { values: [{ email: "b@example.com", is_primary: true, is_confirmed: true }] };
    expect(bitbucket.profile({ uuid: "{b}" }, emails)).toMatchObject({ email: "b@example.com", emailVerified: true });
    expect(google.profile({ sub: "g", email: "g@example.com", email_verified: "true" }, undefined).emailVerified).toBe(
      true,
    );
  });
});

describe("state", () => {
  it("names the interaction and is compared exactly", () => {
    const state = federationState("abcDEF_123-xyz");
    expect(uidOfState(state)).toBe("abcDEF_123-xyz");
    expect(uidOfState("no-dot")).toBeNull();
    expect(uidOfState(`${state}x`)).toBeNull();
    expect(sameState(state, state)).toBe(true);
    expect(sameState(state, `${state.slice(0, -1)}A`)).toBe(state.endsWith("A"));
    expect(sameState(state, undefined)).toBe(false);
  });

  it("a profile needs a subject", () => {
    expect(() => standardProfile({ email: "x@example.com" })).toThrow("no subject");
    expect(standardProfile({ id: 42 }).subject).toBe("42");
  });
});
