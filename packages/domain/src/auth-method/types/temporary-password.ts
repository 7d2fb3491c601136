import { z } from "zod";
import { defineAuthMethodType } from "../define.ts";

/** temporary_password: a one-time password set through the API, replaced at first sign-in. */

export const TemporaryPasswordSettings = z.strictObject({
  ttl_seconds: z.number().int().min(300).max(604_800).default(86_400).describe("Validity (300-604800 s)."),
  length: z.number().int().min(12).max(64).default(16).describe("Generated password length (12-64)."),
});

export const temporary_password = defineAuthMethodType({
  method: "temporary_password",
  title: "Temporary password",
  firstFactorOnly: true,
  federated: false,
  singleton: true,
  settingsRequiredOnCreate: false,
  settings: TemporaryPasswordSettings,
  secretKeys: [],
  schemaIds: { create: "CreateTemporaryPasswordAuthMethod", response: "TemporaryPasswordAuthMethod" },
});
