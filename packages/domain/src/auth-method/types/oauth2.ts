import { z } from "zod";
import { httpsUrl } from "../../common.ts";
import { ClientId, ClientSecret, defineAuthMethodType, Scopes } from "../define.ts";

/** oauth2: a well-known provider. */

export const OAUTH2_PROVIDERS = [
  "google",
  "microsoft",
  "gitlab",
  "bitbucket",
  "discord",
  "slack",
  "linkedin",
  "facebook",
  "twitter",
  "twitch",
  "spotify",
] as const;

export const OAuth2Settings = z.strictObject({
  provider: z.enum(OAUTH2_PROVIDERS).describe("The identity provider."),
  client_id: ClientId,
  client_secret: ClientSecret,
  redirect_uri: httpsUrl({ allowLocalHttp: true }).describe(
    "The callback URL registered with the provider (https; http only for localhost).",
  ),
  scopes: Scopes.default([]).describe("Scopes to request; empty means the provider's defaults."),
});

export const oauth2 = defineAuthMethodType({
  method: "oauth2",
  title: "OAuth 2.0 provider",
  firstFactorOnly: true,
  federated: true,
  singleton: false,
  settingsRequiredOnCreate: true,
  settings: OAuth2Settings,
  secretKeys: ["client_secret"],
  schemaIds: { create: "CreateOAuth2AuthMethod", response: "OAuth2AuthMethod" },
  exampleSettings: {
    provider: "google",
    client_id: "client-id-oauth2",
    client_secret: "oauth2-secret-value",
    redirect_uri: "https://auth.example.com/callback",
  },
});
