import { createHash, randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Env } from "../env.ts";

/** One AES-256 key with the id stored next to every ciphertext it made. */
export interface EncryptionKey {
  id: string;
  key: Buffer;
}

/**
 * The keys that encrypt auth method secrets, newest first. The newest encrypts;
 * any of them decrypts (found by the key id in the ciphertext), so a new key can
 * be added in front, `pnpm rotate-secrets` run, and the old key then removed.
 */
export interface Keyring {
  readonly current: EncryptionKey;
  find(id: string): EncryptionKey | undefined;
  readonly ids: readonly string[];
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const KEY_FILE = "encryption-key";

export class KeyringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KeyringError";
  }
}

export function createKeyring(keys: EncryptionKey[]): Keyring {
  const [current] = keys;
  if (!current) throw new KeyringError("At least one encryption key is required");
  const byId = new Map<string, EncryptionKey>();
  for (const key of keys) {
    if (!KEY_ID.test(key.id)) throw new KeyringError(`Encryption key id '${key.id}' must be 1-32 of [A-Za-z0-9_-]`);
    if (key.key.length !== 32) throw new KeyringError(`Encryption key '${key.id}' must be 32 bytes (AES-256)`);
    if (byId.has(key.id)) throw new KeyringError(`Encryption key id '${key.id}' appears twice`);
    byId.set(key.id, key);
  }
  return { current, find: (id) => byId.get(id), ids: keys.map((k) => k.id) };
}

/** A derived id for a key given without one: stable, and says nothing about the key. */
function derivedKeyId(key: Buffer): string {
  return `k${createHash("sha256").update("authpi-key-id:").update(key).digest("hex").slice(0, 12)}`;
}

function decodeKey(encoded: string, label: string): Buffer {
  const trimmed = encoded.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) throw new KeyringError(`${label}: the key is not base64`);
  const key = Buffer.from(trimmed, "base64");
  if (key.length !== 32) throw new KeyringError(`${label}: the key must decode to 32 bytes (got ${key.length})`);
  return key;
}

/**
 * Parses `kid:base64key[,kid:base64key…]`, newest first. A bare base64 key (no
 * `kid:`) gets an id derived from the key. Messages never include key material.
 */
export function parseKeys(value: string, source = "AUTHPI_ENCRYPTION_KEYS"): Keyring {
  const entries = value
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  const keys = entries.map((entry, index) => {
    const label = `${source} entry ${index + 1}`;
    const colon = entry.indexOf(":");
    if (colon === -1) {
      const key = decodeKey(entry, label);
      return { id: derivedKeyId(key), key };
    }
    const id = entry.slice(0, colon).trim();
    if (!KEY_ID.test(id)) throw new KeyringError(`${label}: the key id must be 1-32 of [A-Za-z0-9_-]`);
    return { id, key: decodeKey(entry.slice(colon + 1), label) };
  });
  return createKeyring(keys);
}

/** A fresh random key entry in the `kid:base64key` form. */
export function generateKeyEntry(now = new Date()): string {
  const stamp = now.toISOString().slice(0, 10).replaceAll("-", "");
  return `k${stamp}${randomBytes(3).toString("hex")}:${randomBytes(32).toString("base64")}`;
}

/**
 * The keyring the server and CLI use. From `AUTHPI_ENCRYPTION_KEYS` (or
 * `AUTHPI_ENCRYPTION_KEY`) when set; a production deployment (NODE_ENV=production
 * on a DATABASE_URL server) without either refuses to start. The embedded
 * database is a local set-up whatever NODE_ENV says (`pnpm start` runs a
 * production build on it): there a key is generated once into
 * `<AUTHPI_DATA_DIR>/encryption-key` (mode 0600) beside the data it protects.
 */
export async function loadKeyring(
  env: Pick<Env, "NODE_ENV" | "DATABASE_URL" | "AUTHPI_DATA_DIR" | "AUTHPI_ENCRYPTION_KEYS" | "AUTHPI_ENCRYPTION_KEY">,
  options: { log?: (line: string) => void } = {},
): Promise<Keyring> {
  if (env.AUTHPI_ENCRYPTION_KEYS) return parseKeys(env.AUTHPI_ENCRYPTION_KEYS);
  if (env.AUTHPI_ENCRYPTION_KEY) return parseKeys(env.AUTHPI_ENCRYPTION_KEY, "AUTHPI_ENCRYPTION_KEY");
  if (env.NODE_ENV === "production" && env.DATABASE_URL) {
    throw new KeyringError(
      "AUTHPI_ENCRYPTION_KEYS is not set. In production AuthPI refuses to start without an encryption key " +
        "for auth method secrets. Set AUTHPI_ENCRYPTION_KEYS=<kid>:<base64 of 32 random bytes>, e.g. " +
        `"main:$(openssl rand -base64 32)".`,
    );
  }
  const file = path.join(env.AUTHPI_DATA_DIR, KEY_FILE);
  let contents: string;
  try {
    contents = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    await mkdir(env.AUTHPI_DATA_DIR, { recursive: true });
    const entry = generateKeyEntry();
    try {
      // `wx`: when two processes start at once, exactly one writes the key and both read it.
      await writeFile(file, `${entry}\n`, { mode: 0o600, flag: "wx" });
      options.log?.(`generated an encryption key for auth method secrets in ${file}`);
    } catch (writeError) {
      if ((writeError as NodeJS.ErrnoException).code !== "EEXIST") throw writeError;
    }
    contents = await readFile(file, "utf8");
  }
  await chmod(file, 0o600).catch(() => {});
  return parseKeys(contents.replaceAll("\n", ",").replace(/,+$/, ""), file);
}
