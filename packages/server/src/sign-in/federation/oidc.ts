import * as client from "openid-client";
import type { ConfiguredMethod } from "../../oidc/provider.ts";
import {
  type AuthorizationRequest,
  settingScopes,
  settingString,
  standardProfile,
  UPSTREAM_TIMEOUT_MS,
  type UpstreamAdapter,
  type UpstreamCallback,
  UpstreamError,
} from "./upstream.ts";

/** Discovery answers are kept this long per auth method (a sign-in then costs no discovery request). */
const DISCOVERY_TTL_MS = 10 * 60 * 1000;

const isLocalHttp = (url: URL) =>
  url.protocol === "http:" && (url.hostname === "localhost" || url.hostname === "127.0.0.1");

/**
 * `oidc`: any OpenID Provider, through openid-client (a certified relying party): discovery from
 * `issuer_url`, PKCE S256, state, nonce, the code exchanged with the stored secret (HTTP Basic, the
 * OpenID Connect default), the ID token validated (signature from the JWKS, iss, aud, exp, nonce)
 * and the userinfo read when the provider has one.
 */
export function oidcUpstream(): UpstreamAdapter {
  const configurations = new Map<string, { at: number; config: Promise<client.Configuration> }>();

  function configuration(method: ConfiguredMethod): Promise<client.Configuration> {
    const cached = configurations.get(method.id);
    if (cached && Date.now() - cached.at < DISCOVERY_TTL_MS) return cached.config;
    const issuer = new URL(settingString(method, "issuer_url"));
    const secret = settingString(method, "client_secret");
    const config = client
      .discovery(
        issuer,
        settingString(method, "client_id"),
        { client_secret: secret },
        client.ClientSecretBasic(secret),
        {
          timeout: UPSTREAM_TIMEOUT_MS / 1000,
          // The settings allow http only for localhost / 127.0.0.1 (a local upstream).
          ...(isLocalHttp(issuer) ? { execute: [client.allowInsecureRequests] } : {}),
        },
      )
      .catch((error: unknown) => {
        configurations.delete(method.id);
        throw new UpstreamError("exchange_failed", `discovery failed: ${describe(error)}`);
      });
    configurations.set(method.id, { at: Date.now(), config });
    return config;
  }

  return {
    async authorizationUrl(method: ConfiguredMethod, request: AuthorizationRequest) {
      const config = await configuration(method);
      return client.buildAuthorizationUrl(config, {
        redirect_uri: request.redirectUri,
        scope: settingScopes(method, ["openid", "profile", "email"]).join(" "),
        response_type: "code",
        state: request.state,
        nonce: request.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(request.codeVerifier),
        code_challenge_method: "S256",
      });
    },

    async exchange(method: ConfiguredMethod, callback: UpstreamCallback) {
      const config = await configuration(method);
      const current = new URL(callback.redirectUri);
      for (const [key, value] of Object.entries(callback.params)) current.searchParams.set(key, value);
      try {
        const tokens = await client.authorizationCodeGrant(config, current, {
          pkceCodeVerifier: callback.codeVerifier,
          expectedState: callback.state,
          expectedNonce: callback.nonce,
          idTokenExpected: true,
        });
        const claims = tokens.claims();
        if (!claims) throw new UpstreamError("invalid_response", "no ID token");
        const userinfo = config.serverMetadata().userinfo_endpoint
          ? await client.fetchUserInfo(config, tokens.access_token, claims.sub)
          : {};
        return standardProfile({ ...claims, ...userinfo });
      } catch (error) {
        if (error instanceof UpstreamError) throw error;
        throw new UpstreamError(
          error instanceof client.ResponseBodyError ? "exchange_failed" : "invalid_response",
          describe(error),
        );
      }
    },
  };
}

/** An openid-client error as a log line: its code and message, which carry no token or secret. */
function describe(error: unknown): string {
  if (error instanceof client.ResponseBodyError)
    return `${error.error}${error.error_description ? `: ${error.error_description}` : ""}`;
  if (error instanceof Error) return `${(error as Error & { code?: string }).code ?? error.name}: ${error.message}`;
  return String(error);
}
