import { randomInt } from "node:crypto";

// No 0/O, 1/l/I: a temporary password is read out or copied by hand.
const ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/** A random temporary password of `length` characters (uniform: `randomInt` does no modulo bias). */
export function generateTemporaryPassword(length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}
