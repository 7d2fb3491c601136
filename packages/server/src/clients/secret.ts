import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** 32 random bytes as 43 base62 characters. */
function base62(bytes: Buffer): string {
  let n = BigInt(`0x${bytes.toString("hex")}`);
  let out = "";
  while (n > 0n) {
    out = BASE62[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out.padStart(43, "0");
}

/** A new client secret, `cs_` + 256 random bits (api-contract §1); the caller never chooses it. */
export function generateClientSecret(): string {
  return `cs_${base62(randomBytes(32))}`;
}

/** What is stored of a secret: its SHA-256 (a 256-bit random secret needs no slow hash). */
export function hashClientSecret(secret: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash("sha256").update(secret, "utf8").digest());
}

/** Constant-time equality of a presented secret's hash with a stored one. */
export function hashMatches(presented: Uint8Array, stored: Uint8Array | null): boolean {
  if (stored === null || stored.length !== presented.length) return false;
  return timingSafeEqual(presented, stored);
}
