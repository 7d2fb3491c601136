import { type AuthMethodType, authMethodDefinition } from "./schema.ts";

/** The plaintext secret settings of one auth method, e.g. `{ client_secret: "…" }`. */
export type SecretValues = Record<string, string>;

/**
 * Splits validated settings into what may be stored and shown (`settings`) and
 * the write-only values that are encrypted at rest (`secrets`). Every path that
 * persists settings goes through here, so a secret never reaches the jsonb column.
 */
export function splitSecrets(
  method: AuthMethodType,
  settings: Record<string, unknown>,
): { settings: Record<string, unknown>; secrets: SecretValues } {
  const { secretKeys } = authMethodDefinition(method);
  const publicSettings: Record<string, unknown> = {};
  const secrets: SecretValues = {};
  for (const [key, value] of Object.entries(settings)) {
    if (!secretKeys.includes(key)) publicSettings[key] = value;
    else if (typeof value === "string") secrets[key] = value;
  }
  return { settings: publicSettings, secrets };
}

/** Puts decrypted secrets back next to the stored settings (only for validation, never for a response). */
export function joinSecrets(settings: Record<string, unknown>, secrets: SecretValues): Record<string, unknown> {
  return { ...settings, ...secrets };
}

/** The `secrets_set` of a response: the secret keys that hold a value, in declaration order. */
export function secretsSet(method: AuthMethodType, secretKeysPresent: Iterable<string>): string[] {
  const present = new Set(secretKeysPresent);
  return authMethodDefinition(method).secretKeys.filter((key) => present.has(key));
}

/** Removes every secret key from settings; responses never carry them. */
export function stripSecrets(method: AuthMethodType, settings: Record<string, unknown>): Record<string, unknown> {
  return splitSecrets(method, settings).settings;
}
