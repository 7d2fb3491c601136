import { z } from "zod";
import { defineAuthMethodType } from "../define.ts";

/** email_link: a magic link. */

export const EmailLinkSettings = z.strictObject({
  ttl_seconds: z.number().int().min(60).max(86_400).default(900).describe("Link validity (60-86400 s)."),
});

export const email_link = defineAuthMethodType({
  method: "email_link",
  title: "Email link",
  firstFactorOnly: true,
  federated: false,
  singleton: true,
  settingsRequiredOnCreate: true,
  settingsDescription: "Required, but may be {} for the defaults.",
  settings: EmailLinkSettings,
  secretKeys: [],
  schemaIds: { create: "CreateEmailLinkAuthMethod", response: "EmailLinkAuthMethod" },
  exampleSettings: {},
});
