import { createHash, randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import type { BackupCodesSettings } from "@authpi/domain";
import type { z } from "zod";
import type { FactorStore, StoredFactor } from "../users/factors.ts";

export type BackupCodesConfig = z.output<typeof BackupCodesSettings>;

/** How the factor is named in the user resource's `factors`. */
export const BACKUP_CODES_FACTOR_NAME = "Backup codes";

/** Lower-case letters and digits without the look-alikes (0/o, 1/l/i): about 5 bits a character. */
const ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz";

/** A set of codes as kept: a salt and one SHA-256 per code. The codes themselves are never stored. */
export interface BackupCodeHashes {
  salt: string;
  hashes: string[];
}

/** A `backup_codes` factor's secret (JSON): the hashes, each with whether it was used. */
interface BackupCodesSecret {
  salt: string;
  codes: { hash: string; used: boolean }[];
}

const normalize = (code: string) => code.toLowerCase().replace(/[\s-]+/g, "");

// The codes are random (40+ bits each) and the hashes sit inside the factor's AES-GCM secret:
// a salted SHA-256 is enough, and checking a code costs no password hash per stored code.
const hashOf = (salt: string, code: string) =>
  createHash("sha256")
    .update(`${salt}:${normalize(code)}`)
    .digest("base64url");

function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Backup codes: `count` random codes of `length` characters, shown once at enrolment (the page
 * that makes them is the only place they exist in the clear), each accepted once.
 */
export function createBackupCodes(factors: FactorStore) {
  return {
    /** A new set: the codes to show now, and the hashes to keep until the user confirms. */
    generate(config: BackupCodesConfig): { codes: string[]; pending: BackupCodeHashes } {
      const salt = randomBytes(16).toString("base64url");
      const codes = Array.from({ length: config.count }, () =>
        Array.from({ length: config.length }, () => ALPHABET[randomInt(ALPHABET.length)]).join(""),
      );
      return { codes, pending: { salt, hashes: codes.map((code) => hashOf(salt, code)) } };
    },

    /** Stores a confirmed set as the user's backup codes, replacing a previous set. */
    async enrol(userId: string, pending: BackupCodeHashes): Promise<StoredFactor> {
      const secret: BackupCodesSecret = {
        salt: pending.salt,
        codes: pending.hashes.map((hash) => ({ hash, used: false })),
      };
      const previous = await factors.list(userId, "backup_codes");
      const factor = await factors.add(userId, {
        type: "backup_codes",
        name: BACKUP_CODES_FACTOR_NAME,
        secret: JSON.stringify(secret),
      });
      for (const old of previous) await factors.remove(userId, old.id);
      return factor;
    },

    /**
     * Whether `code` is an unused code of the user's; it is then used up. The use is recorded
     * only if the set is still the one read: of two concurrent uses of one code, one passes.
     */
    async verify(userId: string, code: string): Promise<boolean> {
      if (normalize(code).length === 0) return false;
      for (const factor of await factors.list(userId, "backup_codes")) {
        if (factor.secret === null) continue;
        const secret = JSON.parse(factor.secret) as BackupCodesSecret;
        const presented = hashOf(secret.salt, code);
        const index = secret.codes.findIndex((entry) => !entry.used && sameHash(entry.hash, presented));
        if (index < 0) continue;
        const next: BackupCodesSecret = {
          ...secret,
          codes: secret.codes.map((entry, i) => (i === index ? { ...entry, used: true } : entry)),
        };
        if (!(await factors.used(factor.id, { secret: JSON.stringify(next), expected: factor.secret }))) return false;
        // A set used up is no factor any more: the next sign-in asks for a new set where MFA is required.
        if (next.codes.every((entry) => entry.used)) await factors.remove(userId, factor.id);
        return true;
      }
      return false;
    },
  };
}

export type BackupCodesSignIn = ReturnType<typeof createBackupCodes>;
