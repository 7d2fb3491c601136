import { calculatePKCECodeChallenge } from "openid-client";
import type { ConfiguredMethod } from "../../oidc/provider.ts";
import { exchangeCode, fetchJson } from "./oauth2-http.ts";
import { rebase, settingScopes, settingString, type UpstreamAdapter, UpstreamError } from "./upstream.ts";

/** GitHub's endpoints: github.com and its API, or a GitHub Enterprise Server (`enterprise_url`). */
export function githubEndpoints(method: ConfiguredMethod, override: string | undefined) {
  const enterprise = method.settings.enterprise_url;
  if (typeof enterprise === "string") {
    const base = enterprise.replace(/\/+$/, "");
    return {
      authorize: `${base}/login/oauth/authorize`,
      token: `${base}/login/oauth/access_token`,
      api: `${base}/api/v3`,
    };
  }
  return {
    authorize: rebase("https://github.com/login/oauth/authorize", override),
    token: rebase("https://github.com/login/oauth/access_token", override),
    api: rebase("https://api.github.com", override).replace(/\/$/, ""),
  };
}

interface GithubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

/**
 * `github`: GitHub's web application flow (docs.github.com, "Authorizing OAuth apps"): authorize,
 * the code exchanged at `login/oauth/access_token` (which answers a form unless asked for JSON:
 * both are read), then `GET /user` and `GET /user/emails` for the primary email and whether
 * GitHub verified it (`/user`'s public email says nothing about that).
 */
export function githubUpstream(override: string | undefined): UpstreamAdapter {
  return {
    async authorizationUrl(method, request) {
      const url = new URL(githubEndpoints(method, override).authorize);
      url.searchParams.set("client_id", settingString(method, "client_id"));
      url.searchParams.set("redirect_uri", request.redirectUri);
      url.searchParams.set("scope", settingScopes(method, ["read:user", "user:email"]).join(" "));
      url.searchParams.set("state", request.state);
      url.searchParams.set("code_challenge", await calculatePKCECodeChallenge(request.codeVerifier));
      url.searchParams.set("code_challenge_method", "S256");
      url.searchParams.set("allow_signup", "true");
      return url;
    },

    async exchange(method, callback) {
      const endpoints = githubEndpoints(method, override);
      const { accessToken } = await exchangeCode({
        tokenUrl: endpoints.token,
        clientId: settingString(method, "client_id"),
        clientSecret: settingString(method, "client_secret"),
        clientAuth: "post",
        code: callback.params.code ?? "",
        redirectUri: callback.redirectUri,
        codeVerifier: callback.codeVerifier,
      });
      // GitHub's REST API refuses requests without a User-Agent.
      const headers = {
        accept: "application/vnd.github+json",
        "user-agent": "AuthPI",
        "x-github-api-version": "2022-11-28",
      };
      const user = (await fetchJson(`${endpoints.api}/user`, accessToken, headers)) as Record<string, unknown>;
      if (typeof user.id !== "number" && typeof user.id !== "string") {
        throw new UpstreamError("invalid_response", "GitHub's /user named no id");
      }
      const emails = await fetchJson(`${endpoints.api}/user/emails`, accessToken, headers);
      const list = Array.isArray(emails) ? (emails as GithubEmail[]) : [];
      const chosen = list.find((e) => e.primary) ?? list.find((e) => e.verified);
      const name = typeof user.name === "string" && user.name !== "" ? user.name : null;
      return {
        subject: String(user.id),
        email: chosen?.email ?? null,
        emailVerified: chosen?.verified === true,
        name: name ?? (typeof user.login === "string" ? user.login : null),
        givenName: null,
        familyName: null,
        picture: typeof user.avatar_url === "string" ? user.avatar_url : null,
        amr: [],
      };
    },
  };
}
