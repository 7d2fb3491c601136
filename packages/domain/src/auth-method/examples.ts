import type { AuthMethodType } from "./schema.ts";

/**
 * A valid create body per method type, with made-up credentials. Tests, the
 * OpenAPI examples and the admin UI's "example" buttons use these.
 */

/** A throw-away EC P-256 key made for examples and tests only; it signs nothing anywhere. */
export const APPLE_TEST_PRIVATE_KEY = [
  "-----BEGIN PRIVATE KEY-----",
  "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgrvbcwMqm6W2sJiHK",
  "HAaVdTPwdbjCFf+hcqVSp3yQ2yGhRANCAATPhB1MdMDro+hPm0lzNqkXpjrrxxwb",
  "zf+E4tnmyl8xvrGz5LfxU6ZSJk6sUiFB7C7wTiXR2w0lCDl3AH6NKZoT",
  "-----END PRIVATE KEY-----",
  "",
].join("\n");

export function exampleAuthMethodBody(method: AuthMethodType, name: string = method): Record<string, unknown> {
  const base = { name, method, first_factor_only: method !== "totp" && method !== "backup_codes" };
  switch (method) {
    case "oauth2":
      return {
        ...base,
        settings: {
          provider: "google",
          client_id: "client-id-oauth2",
          client_secret: "oauth2-secret-value",
          redirect_uri: "https://auth.example.com/callback",
        },
      };
    case "oidc":
      return {
        ...base,
        settings: {
          issuer_url: "https://accounts.example.com",
          client_id: "client-id-oidc",
          client_secret: "oidc-secret-value",
        },
      };
    case "apple":
      return {
        ...base,
        settings: {
          client_id: "com.example.web",
          team_id: "ABCDE12345",
          key_id: "KEY1234567",
          private_key: APPLE_TEST_PRIVATE_KEY,
        },
      };
    case "github":
      return { ...base, settings: { client_id: "client-id-github", client_secret: "github-secret-value" } };
    case "oauth2_manual":
      return {
        ...base,
        settings: {
          authorization_url: "https://idp.example.com/authorize",
          token_url: "https://idp.example.com/token",
          client_id: "client-id-manual",
          client_secret: "manual-secret-value",
        },
      };
    case "password":
    case "email_link":
      return { ...base, settings: {} };
    case "passkey":
      return { ...base, settings: { rp_id: "example.com" } };
    default:
      return base;
  }
}
