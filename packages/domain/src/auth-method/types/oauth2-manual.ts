import { z } from "zod";
import { httpsUrl } from "../../common.ts";
import { ClientId, ClientSecret, defineAuthMethodType, Scopes } from "../define.ts";

/** oauth2_manual: any OAuth 2.0 provider configured by its endpoints. */

export const OAuth2ManualSettings = z.strictObject({
  authorization_url: httpsUrl({ allowLocalHttp: true }).describe(
    "The provider's authorization endpoint (https; http only for localhost).",
  ),
  token_url: httpsUrl({ allowLocalHttp: true }).describe(
    "The provider's token endpoint (https; http only for localhost).",
  ),
  userinfo_url: httpsUrl({ allowLocalHttp: true })
    .nullable()
    .default(null)
    .describe("The provider's userinfo endpoint, if any."),
  client_id: ClientId,
  client_secret: ClientSecret,
  scopes: Scopes.default([]).describe("Scopes to request."),
  pkce: z.boolean().default(true).describe("Whether to use PKCE (S256)."),
});

export const oauth2_manual = defineAuthMethodType({
  method: "oauth2_manual",
  title: "OAuth 2.0 (manual endpoints)",
  firstFactorOnly: true,
  federated: true,
  singleton: false,
  settingsRequiredOnCreate: true,
  settings: OAuth2ManualSettings,
  secretKeys: ["client_secret"],
  schemaIds: { create: "CreateOAuth2ManualAuthMethod", response: "OAuth2ManualAuthMethod" },
  exampleSettings: {
    authorization_url: "https://idp.example.com/authorize",
    token_url: "https://idp.example.com/token",
    client_id: "client-id-manual",
    client_secret: "manual-secret-value",
  },
});
