/**
 * The breached-password check: a sorted list (one lower-cased password per
 * line, sorted by UTF-16 code units as `Array.prototype.sort` does) searched
 * by bisection, so a lookup costs ~16 comparisons for 50,000 entries and
 * nothing is scanned. The list itself is an asset of the server
 * (`packages/server/assets/breached-passwords.txt`); this file stays pure.
 */
export interface BreachedList {
  /** How many passwords the list holds. */
  readonly size: number;
  has(password: string): boolean;
}

/** Passwords are compared lower-cased: `Password1` is as guessable as `password1`. */
export function normalizeForBreachCheck(password: string): string {
  return password.toLowerCase();
}

/** Builds the lookup from the asset's text, refusing a list that is not sorted (it would miss entries). */
export function parseBreachedList(text: string): BreachedList {
  const entries = text.split("\n").filter((line) => line.length > 0);
  for (let i = 1; i < entries.length; i++) {
    if ((entries[i - 1] as string) >= (entries[i] as string)) {
      throw new Error(`breached-password list is not sorted and unique at line ${i + 1}`);
    }
  }
  return {
    size: entries.length,
    has(password: string): boolean {
      const needle = normalizeForBreachCheck(password);
      let low = 0;
      let high = entries.length - 1;
      while (low <= high) {
        const mid = (low + high) >>> 1;
        const entry = entries[mid] as string;
        if (entry === needle) return true;
        if (entry < needle) low = mid + 1;
        else high = mid - 1;
      }
      return false;
    },
  };
}
