import type { z } from "zod";
import { DomainError, formatPath, parseOrThrow } from "./errors.ts";

/**
 * What every door checks on every parsed input before validation, so that no
 * input can reach Postgres in a form it refuses (a 500) or silently alters:
 *
 * - U+0000 cannot be stored in `text` or `jsonb` (Postgres 22021);
 * - an unpaired UTF-16 surrogate (`"\ud800"`) is "invalid input syntax for
 *   type json" in `jsonb` and silently becomes U+FFFD in `text`;
 * - `JSON.parse("1e309")` is `Infinity`, which JSON cannot carry back out;
 * - `__proto__`, `constructor` and `prototype` as object keys: JSON.parse makes
 *   `__proto__` an own key that record schemas then silently drop, and merge
 *   code must never meet them. No body of this API has such a field (every
 *   object is strict, and user-keyed records such as `metadata` refuse them),
 *   so they are refused everywhere, which keeps the rule one rule;
 * - nesting deeper than MAX_JSON_DEPTH, which keeps recursive validation bounded.
 */

/** Deeper JSON than any valid body needs. */
export const MAX_JSON_DEPTH = 32;

/** Object keys no input may use. */
export const RESERVED_KEYS: readonly string[] = ["__proto__", "constructor", "prototype"];

// With the `u` flag a well-formed pair is one code point, so this matches lone surrogates only.
const LONE_SURROGATE = /\p{Cs}/u;

/** Why a string cannot be stored as given (a message for a 400), or null when it can. */
export function unsafeTextReason(value: string): string | null {
  if (value.includes("\u0000")) return "Must not contain NUL characters";
  if (LONE_SURROGATE.test(value)) return "Must not contain unpaired UTF-16 surrogates";
  return null;
}

function invalid(path: ReadonlyArray<PropertyKey>, message: string): DomainError {
  const param = formatPath(path);
  return new DomainError("validation_failed", `${param || "body"}: ${message}`, {
    param: param || undefined,
    details: [{ param, message }],
  });
}

/**
 * Throws the contract's 400 (`validation_failed` naming the dotted `param`, or
 * `invalid_json` for too deep a nesting) for the first unsafe value of a parsed
 * body, query or tRPC input; returns nothing when all of it is safe. A bad key
 * is reported at its parent's path, so the error never echoes the bad text.
 */
export function assertJsonBodySafe(value: unknown, path: PropertyKey[] = []): void {
  if (path.length > MAX_JSON_DEPTH) {
    throw new DomainError("invalid_json", `The request body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  if (typeof value === "string") {
    const reason = unsafeTextReason(value);
    if (reason !== null) throw invalid(path, reason);
  } else if (typeof value === "number") {
    if (!Number.isFinite(value)) throw invalid(path, "Must be a finite number");
  } else if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) assertJsonBodySafe(item, [...path, i]);
  } else if (typeof value === "object" && value !== null) {
    for (const key of Object.keys(value)) {
      const reason = unsafeTextReason(key);
      if (reason !== null) throw invalid(path, `Keys ${reason.charAt(0).toLowerCase()}${reason.slice(1)}`);
      if (RESERVED_KEYS.includes(key)) throw invalid([...path, key], `'${key}' is a reserved key`);
      assertJsonBodySafe((value as Record<string, unknown>)[key], [...path, key]);
    }
  }
}

/** @deprecated The same check under its first name; use assertJsonBodySafe. */
export const assertNoNulCharacters = assertJsonBodySafe;

/**
 * A door's parse of a request body: the checks above, then the operation's
 * schema, into the typed value the services take (the contract's 400s).
 */
export function parseBody<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  assertJsonBodySafe(raw);
  return parseOrThrow(schema, raw);
}
