import { z } from "zod";
import { ClientId, defineAuthMethodType } from "../define.ts";

/** apple: Sign in with Apple (the client secret is a JWT signed with this key). */

const AppleId = z.string().regex(/^[A-Z0-9]{10}$/, "Must be 10 upper-case letters or digits");
const PEM_PRIVATE_KEY = /^-----BEGIN PRIVATE KEY-----\r?\n(?:[A-Za-z0-9+/=]+\r?\n)+-----END PRIVATE KEY-----\r?\n?$/;

/** A throw-away EC P-256 key made for examples and tests only; it signs nothing anywhere. */
export const APPLE_TEST_PRIVATE_KEY = [
  "-----BEGIN PRIVATE KEY-----",
  "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgrvbcwMqm6W2sJiHK",
  "HAaVdTPwdbjCFf+hcqVSp3yQ2yGhRANCAATPhB1MdMDro+hPm0lzNqkXpjrrxxwb",
  "zf+E4tnmyl8xvrGz5LfxU6ZSJk6sUiFB7C7wTiXR2w0lCDl3AH6NKZoT",
  "-----END PRIVATE KEY-----",
  "",
].join("\n");

export const AppleSettings = z.strictObject({
  client_id: ClientId.describe("The Services ID registered with Apple."),
  team_id: AppleId.describe("The Apple Developer team ID (10 characters)."),
  key_id: AppleId.describe("The ID of the Sign in with Apple key (10 characters)."),
  private_key: z
    .string()
    .max(8192)
    .regex(PEM_PRIVATE_KEY, "Must be a PEM -----BEGIN PRIVATE KEY----- block")
    .describe("The .p8 private key as PEM. Write-only: never returned, encrypted at rest."),
});

export const apple = defineAuthMethodType({
  method: "apple",
  title: "Sign in with Apple",
  firstFactorOnly: true,
  federated: true,
  singleton: false,
  settingsRequiredOnCreate: true,
  settings: AppleSettings,
  secretKeys: ["private_key"],
  schemaIds: { create: "CreateAppleAuthMethod", response: "AppleAuthMethod" },
  exampleSettings: {
    client_id: "com.example.web",
    team_id: "ABCDE12345",
    key_id: "KEY1234567",
    private_key: APPLE_TEST_PRIVATE_KEY,
  },
});
