import { calculatePKCECodeChallenge } from "openid-client";
import type { ConfiguredMethod } from "../../oidc/provider.ts";
import { exchangeCode, fetchJson } from "./oauth2-http.ts";
import { settingScopes, settingString, standardProfile, type UpstreamAdapter, UpstreamError } from "./upstream.ts";

/**
 * `oauth2_manual`: any OAuth 2.0 server by its endpoints. The person is read from `userinfo_url`
 * (OpenID Connect claim names; `id` stands for `sub` where an API names it so); without one there
 * is nobody to link, and the sign-in is refused. PKCE S256 unless `pkce: false`.
 */
export function oauth2ManualUpstream(): UpstreamAdapter {
  return {
    async authorizationUrl(method, request) {
      const url = new URL(settingString(method, "authorization_url"));
      url.searchParams.set("response_type", "code");
      url.searchParams.set("client_id", settingString(method, "client_id"));
      url.searchParams.set("redirect_uri", request.redirectUri);
      const scopes = settingScopes(method, []);
      if (scopes.length > 0) url.searchParams.set("scope", scopes.join(" "));
      url.searchParams.set("state", request.state);
      if (usesPkce(method)) {
        url.searchParams.set("code_challenge", await calculatePKCECodeChallenge(request.codeVerifier));
        url.searchParams.set("code_challenge_method", "S256");
      }
      return url;
    },

    async exchange(method, callback) {
      const userinfoUrl = method.settings.userinfo_url;
      if (typeof userinfoUrl !== "string") {
        throw new UpstreamError("invalid_response", "the auth method has no userinfo_url to read the person from");
      }
      const { accessToken } = await exchangeCode({
        tokenUrl: settingString(method, "token_url"),
        clientId: settingString(method, "client_id"),
        clientSecret: settingString(method, "client_secret"),
        clientAuth: "basic",
        code: callback.params.code ?? "",
        redirectUri: callback.redirectUri,
        codeVerifier: usesPkce(method) ? callback.codeVerifier : undefined,
      });
      const user = await fetchJson(userinfoUrl, accessToken);
      return standardProfile(user as Record<string, unknown>);
    },
  };
}

const usesPkce = (method: ConfiguredMethod) => method.settings.pkce !== false;
