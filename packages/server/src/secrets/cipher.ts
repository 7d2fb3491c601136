import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { Keyring } from "./keyring.ts";

/**
 * AES-256-GCM for auth method secrets. A ciphertext is one ASCII string,
 * `v1.<key id>.<iv>.<tag>.<data>` (base64url parts), so it carries the id of
 * the key that made it. The additional authenticated data binds it to its row
 * (the auth method id): a ciphertext copied onto another row does not decrypt.
 */
const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class DecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DecryptionError";
  }
}

export function encryptString(keyring: Keyring, plaintext: string, aad: string): string {
  const { id, key } = keyring.current;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, id, iv.toString("base64url"), tag.toString("base64url"), data.toString("base64url")].join(".");
}

/** The id of the key that made a ciphertext (without decrypting it). */
export function ciphertextKeyId(ciphertext: string): string {
  const parts = ciphertext.split(".");
  if (parts.length !== 5 || parts[0] !== VERSION || !parts[1]) throw new DecryptionError("Malformed ciphertext");
  return parts[1];
}

export function decryptString(keyring: Keyring, ciphertext: string, aad: string): string {
  const [version, keyId, iv, tag, data] = ciphertext.split(".");
  if (version !== VERSION || !keyId || iv === undefined || tag === undefined || data === undefined) {
    throw new DecryptionError("Malformed ciphertext");
  }
  const key = keyring.find(keyId);
  if (!key) throw new DecryptionError(`Encryption key '${keyId}' is not configured (AUTHPI_ENCRYPTION_KEYS)`);
  const decipher = createDecipheriv("aes-256-gcm", key.key, Buffer.from(iv, "base64url"), {
    authTagLength: TAG_BYTES,
  });
  decipher.setAAD(Buffer.from(aad, "utf8"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  try {
    return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    throw new DecryptionError(`Ciphertext failed authentication with key '${keyId}'`);
  }
}

/** Encrypts a secrets object as JSON; null when there is nothing to keep. */
export function encryptSecrets(keyring: Keyring, secrets: Record<string, string>, aad: string): string | null {
  if (Object.keys(secrets).length === 0) return null;
  return encryptString(keyring, JSON.stringify(secrets), aad);
}

export function decryptSecrets(keyring: Keyring, ciphertext: string | null, aad: string): Record<string, string> {
  if (ciphertext === null) return {};
  const parsed: unknown = JSON.parse(decryptString(keyring, ciphertext, aad));
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new DecryptionError("Decrypted secrets are not an object");
  }
  return parsed as Record<string, string>;
}
