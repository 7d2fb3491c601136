import { randomBytes, timingSafeEqual } from "node:crypto";
import type { AuthMethodType } from "@authpi/domain";
import { randomNonce, randomPKCECodeVerifier } from "openid-client";
import type { Clock } from "../../clock.ts";
import type { ConfiguredMethod } from "../../oidc/provider.ts";
import { appleUpstream } from "./apple.ts";
import { githubUpstream } from "./github.ts";
import { oauth2ManualUpstream } from "./oauth2-manual.ts";
import { oidcUpstream } from "./oidc.ts";
import { type OAuth2Provider, oauth2Upstream } from "./providers.ts";
import { type AuthorizationRequest, type UpstreamAdapter, UpstreamError, type UpstreamProfile } from "./upstream.ts";

export { APPLE_ISSUER, appleClientSecret } from "./apple.ts";
export { githubEndpoints } from "./github.ts";
export { OAUTH2_PROVIDER_SPECS, type OAuth2Provider } from "./providers.ts";
export { UpstreamError, type UpstreamProfile } from "./upstream.ts";

/**
 * Where the well-known upstreams are reached, by name (`github`, `apple`, an `oauth2` provider):
 * an origin that replaces theirs, for tests with a local upstream. Production sets none.
 */
export type UpstreamOrigins = Partial<Record<"github" | "apple" | OAuth2Provider, string>>;

export type FederatedMethodType = "oidc" | "oauth2_manual" | "github" | "apple" | "oauth2";

export const FEDERATED_METHODS: readonly FederatedMethodType[] = ["oidc", "oauth2_manual", "github", "apple", "oauth2"];

export const isFederated = (type: AuthMethodType): type is FederatedMethodType =>
  (FEDERATED_METHODS as readonly string[]).includes(type);

/** What a started sign-in keeps (server-side, in its sign-in state) to check the upstream's answer. */
export type PendingUpstream = AuthorizationRequest;

/**
 * Federated sign-in: one adapter per federated auth-method type behind one interface. `start`
 * makes the nonce and PKCE verifier and the upstream's authorization URL; `finish` refuses an
 * upstream error or a wrong state, then exchanges the code and returns the person.
 */
export function createFederation(options: { upstreams?: UpstreamOrigins; clock: Clock }) {
  const origins = options.upstreams ?? {};
  const adapters: Record<FederatedMethodType, UpstreamAdapter> = {
    oidc: oidcUpstream(),
    oauth2_manual: oauth2ManualUpstream(),
    github: githubUpstream(origins.github),
    apple: appleUpstream(origins.apple, options.clock),
    oauth2: oauth2Upstream(origins),
  };
  const adapter = (method: ConfiguredMethod) => {
    if (!isFederated(method.method)) throw new Error(`${method.method} is not a federated method`);
    return adapters[method.method];
  };

  return {
    /** How the upstream returns to the callback: Apple POSTs it (form_post), the others redirect. */
    responseMode: (method: ConfiguredMethod): "query" | "form_post" =>
      method.method === "apple" ? "form_post" : "query",

    async start(method: ConfiguredMethod, at: { redirectUri: string; state: string }) {
      const pending: PendingUpstream = {
        redirectUri: at.redirectUri,
        state: at.state,
        nonce: randomNonce(),
        codeVerifier: randomPKCECodeVerifier(),
      };
      return { url: await adapter(method).authorizationUrl(method, pending), pending };
    },

    async finish(
      method: ConfiguredMethod,
      pending: PendingUpstream,
      params: Record<string, string>,
    ): Promise<UpstreamProfile> {
      if (params.error !== undefined) {
        throw new UpstreamError(
          params.error === "access_denied" ? "access_denied" : "exchange_failed",
          `the upstream answered ${params.error.slice(0, 100)}`,
        );
      }
      if (!sameState(pending.state, params.state)) {
        throw new UpstreamError("invalid_response", "state mismatch");
      }
      if (!params.code) throw new UpstreamError("invalid_response", "no code in the upstream's answer");
      return adapter(method).exchange(method, { ...pending, params });
    },
  };
}

export type Federation = ReturnType<typeof createFederation>;

/** A state value: the interaction's uid (so the callback finds its sign-in) and 128 random bits. */
export const federationState = (uid: string) => `${uid}.${randomBytes(16).toString("base64url")}`;

/** The interaction uid a state names, or null for a value no start made. */
export function uidOfState(state: string | null | undefined): string | null {
  const match = /^([A-Za-z0-9_-]{1,64})\.[A-Za-z0-9_-]{22}$/.exec(state ?? "");
  return match?.[1] ?? null;
}

/** Whether an upstream's `state` is the one this sign-in sent (compared in constant time). */
export function sameState(expected: string, actual: string | undefined): boolean {
  const left = Buffer.from(expected);
  const right = Buffer.from(actual ?? "");
  return left.length > 0 && left.length === right.length && timingSafeEqual(left, right);
}
