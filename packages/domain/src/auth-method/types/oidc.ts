import { z } from "zod";
import { httpsUrl } from "../../common.ts";
import { ClientId, ClientSecret, defineAuthMethodType, Scopes } from "../define.ts";

/** oidc: any OpenID Connect provider found by discovery. */

export const OidcSettings = z.strictObject({
  issuer_url: httpsUrl({ allowLocalHttp: true }).describe(
    "The provider's issuer URL (https; http only for localhost); discovery reads /.well-known/openid-configuration.",
  ),
  client_id: ClientId,
  client_secret: ClientSecret,
  scopes: Scopes.default(["openid", "profile", "email"]).describe("Scopes to request."),
});

export const oidc = defineAuthMethodType({
  method: "oidc",
  title: "OpenID Connect",
  firstFactorOnly: true,
  federated: true,
  singleton: false,
  settingsRequiredOnCreate: true,
  settings: OidcSettings,
  secretKeys: ["client_secret"],
  schemaIds: { create: "CreateOidcAuthMethod", response: "OidcAuthMethod" },
  exampleSettings: {
    issuer_url: "https://accounts.example.com",
    client_id: "client-id-oidc",
    client_secret: "oidc-secret-value",
  },
});
