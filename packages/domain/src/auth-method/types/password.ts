import { z } from "zod";
import { defineAuthMethodType } from "../define.ts";

/** password: the issuer's password policy. */

export const PasswordSettings = z.strictObject({
  min_length: z.number().int().min(8).max(128).default(12).describe("Minimum password length (8-128)."),
  require_uppercase: z.boolean().default(false),
  require_lowercase: z.boolean().default(false),
  require_digit: z.boolean().default(false),
  require_symbol: z.boolean().default(false),
  check_breached: z.boolean().default(true).describe("Reject passwords known from breaches."),
  history_count: z
    .number()
    .int()
    .min(0)
    .max(24)
    .default(0)
    .describe("How many previous passwords may not be reused (0-24)."),
});

export const password = defineAuthMethodType({
  method: "password",
  title: "Password",
  firstFactorOnly: true,
  federated: false,
  singleton: true,
  settingsRequiredOnCreate: true,
  settingsDescription: "Password policy; required, but may be {} for the defaults.",
  settings: PasswordSettings,
  secretKeys: [],
  schemaIds: { create: "CreatePasswordAuthMethod", response: "PasswordAuthMethod" },
  exampleSettings: {},
});
