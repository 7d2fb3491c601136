import { z } from "zod";
import { defineAuthMethodType } from "../define.ts";

/** totp: an authenticator app; a second factor only. */

export const TotpSettings = z.strictObject({
  digits: z
    .union([z.literal(6), z.literal(8)])
    .default(6)
    .describe("Digits per code (6 or 8)."),
  period_seconds: z
    .union([z.literal(30), z.literal(60)])
    .default(30)
    .describe("Code period (30 or 60 s)."),
  algorithm: z.enum(["SHA1", "SHA256", "SHA512"]).default("SHA1"),
});

export const totp = defineAuthMethodType({
  method: "totp",
  title: "Authenticator app (TOTP)",
  firstFactorOnly: false,
  federated: false,
  singleton: true,
  settingsRequiredOnCreate: false,
  settings: TotpSettings,
  secretKeys: [],
  schemaIds: { create: "CreateTotpAuthMethod", response: "TotpAuthMethod" },
});
