import type { OAUTH2_PROVIDERS } from "@authpi/domain";
import { calculatePKCECodeChallenge } from "openid-client";
import type { ConfiguredMethod } from "../../oidc/provider.ts";
import { exchangeCode, fetchJson } from "./oauth2-http.ts";
import {
  rebase,
  settingScopes,
  settingString,
  standardProfile,
  type UpstreamAdapter,
  UpstreamError,
  type UpstreamProfile,
} from "./upstream.ts";

export type OAuth2Provider = (typeof OAUTH2_PROVIDERS)[number];

type Json = Record<string, unknown>;

/** One well-known provider: its documented endpoints, default scopes and how its user reads. */
interface ProviderSpec {
  authorize: string;
  token: string;
  user: string;
  scopes: readonly string[];
  /** Whether its documentation accepts PKCE (S256) from a web application. */
  pkce: boolean;
  clientAuth: "basic" | "post";
  /** Extra authorization parameters (Twitch asks for its userinfo claims there). */
  params?: Record<string, string>;
  /** A second resource for the email when the user resource lacks it (Bitbucket). */
  emails?: string;
  /** The person; an email counts as verified only where the provider says so. */
  profile(user: Json, emails: unknown): UpstreamProfile;
}

const str = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);

const person = (fields: Omit<Partial<UpstreamProfile>, "subject"> & { subject: unknown }): UpstreamProfile => {
  const subject = typeof fields.subject === "number" ? String(fields.subject) : str(fields.subject);
  if (!subject) throw new UpstreamError("invalid_response", "the provider named no user id");
  return {
    subject,
    email: fields.email ?? null,
    emailVerified: (fields.email ?? null) !== null && fields.emailVerified === true,
    name: fields.name ?? null,
    givenName: fields.givenName ?? null,
    familyName: fields.familyName ?? null,
    picture: fields.picture ?? null,
    amr: [],
  };
};

/** OpenID Connect userinfo: the standard claims (Google, GitLab, Slack, LinkedIn, Twitch, Microsoft). */
const oidcClaims = (user: Json) => standardProfile(user);

/**
 * The `oauth2` providers (api-contract §1), each from its own documentation. Microsoft's
 * userinfo has no `email_verified` and Facebook, Spotify and Twitter say nothing of
 * verification: their emails are kept but never trusted (not verified, never linked on).
 */
export const OAUTH2_PROVIDER_SPECS: Record<OAuth2Provider, ProviderSpec> = {
  google: {
    authorize: "https://accounts.google.com/o/oauth2/v2/auth",
    token: "https://oauth2.googleapis.com/token",
    user: "https://openidconnect.googleapis.com/v1/userinfo",
    scopes: ["openid", "email", "profile"],
    pkce: true,
    clientAuth: "post",
    profile: oidcClaims,
  },
  microsoft: {
    authorize: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
    token: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
    user: "https://graph.microsoft.com/oidc/userinfo",
    scopes: ["openid", "email", "profile"],
    pkce: true,
    clientAuth: "post",
    profile: (user) => ({ ...oidcClaims(user), picture: null }),
  },
  gitlab: {
    authorize: "https://gitlab.com/oauth/authorize",
    token: "https://gitlab.com/oauth/token",
    user: "https://gitlab.com/oauth/userinfo",
    scopes: ["openid", "email", "profile"],
    pkce: true,
    clientAuth: "post",
    profile: oidcClaims,
  },
  bitbucket: {
    authorize: "https://bitbucket.org/site/oauth2/authorize",
    token: "https://bitbucket.org/site/oauth2/access_token",
    user: "https://api.bitbucket.org/2.0/user",
    emails: "https://api.bitbucket.org/2.0/user/emails",
    scopes: ["account", "email"],
    pkce: false,
    clientAuth: "basic",
    profile(user, emails) {
      const values = ((emails as { values?: { email: string; is_primary: boolean; is_confirmed: boolean }[] })
        ?.values ?? []) as { email: string; is_primary: boolean; is_confirmed: boolean }[];
      const primary = values.find((e) => e.is_primary);
      const avatar = (user.links as { avatar?: { href?: unknown } } | undefined)?.avatar?.href;
      return person({
        subject: user.uuid,
        email: primary?.email ?? null,
        emailVerified: primary?.is_confirmed === true,
        name: str(user.display_name),
        picture: str(avatar),
      });
    },
  },
  discord: {
    authorize: "https://discord.com/oauth2/authorize",
    token: "https://discord.com/api/oauth2/token",
    user: "https://discord.com/api/users/@me",
    scopes: ["identify", "email"],
    pkce: true,
    clientAuth: "post",
    profile: (user) =>
      person({
        subject: user.id,
        email: str(user.email),
        emailVerified: user.verified === true,
        name: str(user.global_name) ?? str(user.username),
        picture:
          str(user.avatar) && str(user.id) ? `https://cdn.discordapp.com/avatars/${user.id}/${user.avatar}.png` : null,
      }),
  },
  slack: {
    authorize: "https://slack.com/openid/connect/authorize",
    token: "https://slack.com/api/openid.connect.token",
    user: "https://slack.com/api/openid.connect.userInfo",
    scopes: ["openid", "email", "profile"],
    pkce: false,
    clientAuth: "post",
    profile: oidcClaims,
  },
  linkedin: {
    authorize: "https://www.linkedin.com/oauth/v2/authorization",
    token: "https://www.linkedin.com/oauth/v2/accessToken",
    user: "https://api.linkedin.com/v2/userinfo",
    scopes: ["openid", "email", "profile"],
    pkce: false,
    clientAuth: "post",
    profile: oidcClaims,
  },
  facebook: {
    authorize: "https://www.facebook.com/v19.0/dialog/oauth",
    token: "https://graph.facebook.com/v19.0/oauth/access_token",
    user: "https://graph.facebook.com/me?fields=id,name,first_name,last_name,email,picture",
    scopes: ["email", "public_profile"],
    pkce: true,
    clientAuth: "post",
    profile: (user) =>
      person({
        subject: user.id,
        email: str(user.email),
        name: str(user.name),
        givenName: str(user.first_name),
        familyName: str(user.last_name),
        picture: str((user.picture as { data?: { url?: unknown } } | undefined)?.data?.url),
      }),
  },
  twitter: {
    authorize: "https://x.com/i/oauth2/authorize",
    token: "https://api.x.com/2/oauth2/token",
    user: "https://api.x.com/2/users/me?user.fields=profile_image_url",
    scopes: ["users.read", "tweet.read"],
    pkce: true,
    clientAuth: "basic",
    profile: (user) => {
      const data = (user.data ?? {}) as Json;
      return person({ subject: data.id, name: str(data.name), picture: str(data.profile_image_url) });
    },
  },
  twitch: {
    authorize: "https://id.twitch.tv/oauth2/authorize",
    token: "https://id.twitch.tv/oauth2/token",
    user: "https://id.twitch.tv/oauth2/userinfo",
    scopes: ["openid", "user:read:email"],
    pkce: false,
    clientAuth: "post",
    params: {
      claims: JSON.stringify({
        userinfo: { email: null, email_verified: null, picture: null, preferred_username: null },
      }),
    },
    profile: (user) => ({ ...oidcClaims(user), name: str(user.preferred_username) }),
  },
  spotify: {
    authorize: "https://accounts.spotify.com/authorize",
    token: "https://accounts.spotify.com/api/token",
    user: "https://api.spotify.com/v1/me",
    scopes: ["user-read-email"],
    pkce: true,
    clientAuth: "basic",
    profile: (user) =>
      person({
        subject: user.id,
        email: str(user.email),
        name: str(user.display_name),
        picture: str((user.images as { url?: unknown }[] | undefined)?.[0]?.url),
      }),
  },
};

/**
 * `oauth2`: a provider of the table above. The upstream is sent the method's `redirect_uri`
 * setting (which must lead back to its `callback_url`), at authorization and at the exchange.
 */
export function oauth2Upstream(overrides: Partial<Record<string, string>>): UpstreamAdapter {
  const spec = (method: ConfiguredMethod) => {
    const provider = settingString(method, "provider") as OAuth2Provider;
    const found = OAUTH2_PROVIDER_SPECS[provider];
    if (!found) throw new UpstreamError("invalid_response", `unknown provider ${provider}`);
    const at = (url: string) => rebase(url, overrides[provider]);
    return { ...found, at };
  };
  return {
    async authorizationUrl(method, request) {
      const provider = spec(method);
      const url = new URL(provider.at(provider.authorize));
      url.searchParams.set("response_type", "code");
      url.searchParams.set("client_id", settingString(method, "client_id"));
      url.searchParams.set("redirect_uri", request.redirectUri);
      url.searchParams.set("scope", settingScopes(method, provider.scopes).join(" "));
      url.searchParams.set("state", request.state);
      if (provider.scopes.includes("openid")) url.searchParams.set("nonce", request.nonce);
      if (provider.pkce) {
        url.searchParams.set("code_challenge", await calculatePKCECodeChallenge(request.codeVerifier));
        url.searchParams.set("code_challenge_method", "S256");
      }
      for (const [key, value] of Object.entries(provider.params ?? {})) url.searchParams.set(key, value);
      return url;
    },

    async exchange(method, callback) {
      const provider = spec(method);
      const { accessToken } = await exchangeCode({
        tokenUrl: provider.at(provider.token),
        clientId: settingString(method, "client_id"),
        clientSecret: settingString(method, "client_secret"),
        clientAuth: provider.clientAuth,
        code: callback.params.code ?? "",
        redirectUri: callback.redirectUri,
        codeVerifier: provider.pkce ? callback.codeVerifier : undefined,
      });
      // Twitch's userinfo wants the client id beside the token, as its Helix API does.
      const headers = { "client-id": settingString(method, "client_id") };
      const user = (await fetchJson(provider.at(provider.user), accessToken, headers)) as Json;
      const emails = provider.emails ? await fetchJson(provider.at(provider.emails), accessToken) : undefined;
      return provider.profile(user, emails);
    },
  };
}
