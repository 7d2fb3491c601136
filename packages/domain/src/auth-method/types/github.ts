import { z } from "zod";
import { httpsUrl } from "../../common.ts";
import { ClientId, ClientSecret, defineAuthMethodType, Scopes } from "../define.ts";

/** github: GitHub or GitHub Enterprise. */

export const GithubSettings = z.strictObject({
  client_id: ClientId,
  client_secret: ClientSecret,
  scopes: Scopes.default(["read:user", "user:email"]).describe("Scopes to request."),
  enterprise_url: httpsUrl()
    .nullable()
    .default(null)
    .describe("The GitHub Enterprise Server URL; null for github.com."),
});

export const github = defineAuthMethodType({
  method: "github",
  title: "GitHub",
  firstFactorOnly: true,
  federated: true,
  singleton: false,
  settingsRequiredOnCreate: true,
  settings: GithubSettings,
  secretKeys: ["client_secret"],
  schemaIds: { create: "CreateGithubAuthMethod", response: "GithubAuthMethod" },
  exampleSettings: { client_id: "client-id-github", client_secret: "github-secret-value" },
});
