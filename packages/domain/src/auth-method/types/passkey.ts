import { z } from "zod";
import { Hostname, safeString } from "../../common.ts";
import { defineAuthMethodType } from "../define.ts";

/** passkey (WebAuthn): first factor or second, as the client chooses. */

export const PasskeySettings = z.strictObject({
  rp_id: Hostname.describe("The WebAuthn relying party ID: a hostname, e.g. example.com."),
  rp_name: safeString()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .describe("The relying party name shown by authenticators; defaults to the issuer name."),
  user_verification: z.enum(["required", "preferred", "discouraged"]).default("preferred"),
  attestation: z.enum(["none", "indirect", "direct"]).default("none"),
  authenticator_attachment: z.enum(["platform", "cross-platform"]).nullable().default(null),
});

export const passkey = defineAuthMethodType({
  method: "passkey",
  title: "Passkey",
  firstFactorOnly: null,
  firstFactorOnlyDescription:
    "True: passkeys sign users in on their own. False: they also serve as a second factor (MFA enrolment and challenge).",
  federated: false,
  singleton: true,
  settingsRequiredOnCreate: true,
  settings: PasskeySettings,
  secretKeys: [],
  schemaIds: { create: "CreatePasskeyAuthMethod", response: "PasskeyAuthMethod" },
  exampleSettings: { rp_id: "example.com" },
});
