import { createHash } from "node:crypto";
import { DomainError } from "./errors.ts";

/** How long a key is remembered (api-contract §2). */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

const PRINTABLE_ASCII = /^[\x20-\x7e]{1,255}$/;
// RFC 8941 sf-string: printable ASCII, with `"` and `\` escaped by a backslash.
const SF_STRING = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/;

/**
 * The key named by an `Idempotency-Key` header. The draft's sf-string form
 * (`"abc"`) and the bare form (`abc`) name the same key; 1–255 printable ASCII
 * characters, otherwise a 400 `invalid_header`.
 */
export function parseIdempotencyKey(header: string): string {
  const trimmed = header.trim();
  const quoted = SF_STRING.exec(trimmed);
  const key = quoted ? (quoted[1] as string).replace(/\\(["\\])/g, "$1") : trimmed;
  if (!PRINTABLE_ASCII.test(key)) {
    throw new DomainError(
      "invalid_header",
      "Idempotency-Key must be 1–255 printable ASCII characters, bare or as a quoted string",
      { param: "Idempotency-Key" },
    );
  }
  return key;
}

/**
 * JSON with object keys sorted at every depth, so key order never changes a
 * fingerprint. A non-finite number (`1e309` parses to Infinity) throws: JSON
 * would write it as `null` and make two different requests one.
 */
export function canonicalJson(value: unknown): string {
  if (typeof value === "number" && !Number.isFinite(value)) throw new RangeError("Not a finite number");
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * What makes two requests "the same request": method, path and the body's
 * canonical JSON (its raw bytes when it is not JSON, or holds a number JSON
 * cannot write back, such as `1e309`). Only this hash is
 * stored, never the body, so no secret sent in a body reaches the table.
 */
export function requestFingerprint(method: string, path: string, body: Uint8Array): string {
  let canonical: string;
  try {
    canonical = `json:${canonicalJson(JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body)))}`;
  } catch {
    canonical = `raw:${Buffer.from(body).toString("base64")}`;
  }
  return createHash("sha256").update(`${method.toUpperCase()}\n${path}\n${canonical}`).digest("hex");
}
