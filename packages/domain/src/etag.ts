import { createHash } from "node:crypto";

/** A strong ETag that changes with every write (the row's version). */
export function etagFor(id: string, version: number): string {
  const digest = createHash("sha256").update(`${id}:${version}`).digest("base64url").slice(0, 22);
  return `"${digest}"`;
}

/**
 * Whether an `If-Match` header value matches: `*` matches any existing
 * resource, otherwise one of the comma-separated strong ETags must be equal.
 * Weak ETags never match (RFC 9110 §13.1.1 uses strong comparison).
 */
export function ifMatchSatisfied(header: string, current: string): boolean {
  const value = header.trim();
  if (value === "*") return true;
  return value.split(",").some((tag) => tag.trim() === current);
}

/** `If-None-Match` uses weak comparison (RFC 9110 §13.1.2). */
export function ifNoneMatchSatisfied(header: string, current: string): boolean {
  const value = header.trim();
  if (value === "*") return true;
  return value.split(",").some((tag) => tag.trim().replace(/^W\//, "") === current);
}
