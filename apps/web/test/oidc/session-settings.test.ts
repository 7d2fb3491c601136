import * as oidc from "openid-client";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type OidcHarness, oidcHarness, signIn } from "./harness.ts";

/**
 * `settings.session` through a controllable clock: oidc-provider, the adapter and the services all
 * read `Date.now()`, which the test moves (only Date is faked; timers run for real).
 */
let h: OidcHarness;

const insecure = { execute: [oidc.allowInsecureRequests] };

beforeAll(async () => {
  h = await oidcHarness();
});

afterEach(() => {
  vi.useRealTimers();
});

afterAll(() => h.close());

async function issuerWith(session: Record<string, unknown>) {
  const issuerId = await h.newIssuer({ settings: { session } });
  const client = await h.newClient(issuerId);
  await h.newUser(issuerId, "ada@example.com");
  const config = await oidc.discovery(
    new URL(h.issuerUrl(issuerId)),
    client.id,
    client.secret ?? undefined,
    undefined,
    insecure,
  );
  const { done, verifier, state, nonce } = await signIn(h, config);
  const tokens = await oidc.authorizationCodeGrant(config, new URL(done.location ?? ""), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
  });
  return { config, refreshToken: tokens.refresh_token ?? "" };
}

function advance(seconds: number) {
  vi.setSystemTime(new Date(Date.now() + seconds * 1000));
}

async function refresh(config: oidc.Configuration, refreshToken: string): Promise<string | "invalid_grant"> {
  try {
    const set = await oidc.refreshTokenGrant(config, refreshToken);
    return set.refresh_token ?? refreshToken;
  } catch (error) {
    return (error as { error?: string }).error === "invalid_grant" ? "invalid_grant" : Promise.reject(error);
  }
}

describe("session settings take effect", () => {
  it("expires a refresh token unused for idle_timeout_seconds", async () => {
    const { config, refreshToken } = await issuerWith({ lifetime_seconds: 3600, idle_timeout_seconds: 60 });
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    advance(40);
    const next = await refresh(config, refreshToken);
    expect(next).not.toBe("invalid_grant");
    // Used 40 s in: the new token has a fresh idle timeout.
    advance(40);
    const after = await refresh(config, next);
    expect(after).not.toBe("invalid_grant");
    advance(80);
    expect(await refresh(config, after)).toBe("invalid_grant");
  });

  it("ends the whole chain at lifetime_seconds, however often it is used", async () => {
    const { config, refreshToken } = await issuerWith({ lifetime_seconds: 300, idle_timeout_seconds: 120 });
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    let current = refreshToken;
    for (let elapsed = 0; elapsed < 280; elapsed += 70) {
      advance(70);
      const next = await refresh(config, current);
      expect(next).not.toBe("invalid_grant");
      current = next;
    }
    advance(40);
    expect(await refresh(config, current)).toBe("invalid_grant");
  });

  it("with rotation off keeps one refresh token, and each use restarts its idle timeout", async () => {
    const { config, refreshToken } = await issuerWith({
      lifetime_seconds: 3600,
      idle_timeout_seconds: 60,
      refresh_token_rotation: false,
    });
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    advance(45);
    expect(await refresh(config, refreshToken)).toBe(refreshToken);
    advance(45);
    expect(await refresh(config, refreshToken)).toBe(refreshToken);
    advance(80);
    expect(await refresh(config, refreshToken)).toBe("invalid_grant");
  });

  it("without reuse detection a consumed refresh token is refused without revoking the grant", async () => {
    const { config, refreshToken } = await issuerWith({ refresh_token_reuse_detection: false });
    const next = await refresh(config, refreshToken);
    expect(next).not.toBe(refreshToken);
    expect(await refresh(config, refreshToken)).toBe("invalid_grant");
    // The grant lives on: the current token still works.
    expect(await refresh(config, next)).not.toBe("invalid_grant");
  });
});
