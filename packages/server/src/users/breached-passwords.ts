import { readFile } from "node:fs/promises";
import path from "node:path";
import { type BreachedList, parseBreachedList } from "@authpi/domain";

/**
 * The shipped list: the 49,233 most common passwords of the zxcvbn-ts
 * "common" dictionary (@zxcvbn-ts/language-common 4.1.3, MIT; itself from
 * breach corpora), lower-cased, sorted and de-duplicated (380 KB). See
 * assets/breached-passwords.LICENSE.txt.
 */
export const BREACHED_PASSWORDS_FILE = path.resolve(import.meta.dirname, "../../assets/breached-passwords.txt");

let loaded: Promise<BreachedList> | undefined;

/** Read once per process, on the first password check (≈ 10 ms), then searched in memory. */
export function breachedPasswords(): Promise<BreachedList> {
  loaded ??= readFile(BREACHED_PASSWORDS_FILE, "utf8").then(parseBreachedList);
  return loaded;
}
