import { z } from "zod";
import { RESERVED_KEYS, unsafeTextReason } from "./input-safety.ts";

/** RFC 3339 UTC with milliseconds, e.g. `2026-11-27T22:40:00.000Z`. */
export const Timestamp = z.iso.datetime({ precision: 3 }).describe("RFC 3339 UTC timestamp with milliseconds.");

export function toTimestamp(date: Date): string {
  return date.toISOString();
}

const CONTROL = /\p{Cc}/u;

/**
 * A string Postgres stores exactly as sent: no NUL, no unpaired UTF-16
 * surrogate (see input-safety.ts). Every input string that reaches the
 * database starts here, so inputs that only Zod parses (tRPC) are as safe as
 * bodies the REST door checks whole. A refinement, not a pattern, so the
 * OpenAPI document is unchanged.
 */
export function safeString(params?: Parameters<typeof z.string>[0]) {
  return z.string(params).superRefine((value, ctx) => {
    const reason = unsafeTextReason(value);
    if (reason !== null) ctx.addIssue({ code: "custom", message: reason });
  });
}

/** Reasonably strict absolute https URL (≤ 2048 chars). */
export function httpsUrl(options: { allowLocalHttp?: boolean } = {}) {
  return safeString()
    .max(2048)
    .refine(
      (value) => {
        if (!URL.canParse(value)) return false;
        const url = new URL(value);
        if (url.protocol === "https:") return url.hostname !== "";
        return (
          options.allowLocalHttp === true &&
          url.protocol === "http:" &&
          (url.hostname === "localhost" || url.hostname === "127.0.0.1")
        );
      },
      {
        message: options.allowLocalHttp
          ? "Must be an absolute https URL (http only for localhost)"
          : "Must be an absolute https URL",
      },
    );
}

/** A resource name: 1–100 characters after trimming, no control characters. */
export const Name = safeString()
  .trim()
  .min(1, "Must not be empty")
  .max(100, "Must be at most 100 characters")
  .refine((v) => !CONTROL.test(v), "Must not contain control characters")
  .describe("A name for the resource.");

/** RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`. */
export const ScopeToken = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, "Must be an RFC 6749 scope token");

export function uniqueList<T extends z.ZodType>(item: T, max: number) {
  return z
    .array(item)
    .max(max)
    .refine((list) => new Set(list).size === list.length, "Items must be unique");
}

export const Hostname = z
  .string()
  .max(253)
  .regex(
    /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/,
    "Must be a hostname",
  );

export const EmailDomain = z
  .string()
  .max(253)
  .regex(/^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$/, "Must be a domain name like example.com")
  // An overwrite, not a transform: the type stays a string, so it renders in OpenAPI output schemas.
  .toLowerCase();

export const Metadata = z
  .record(
    safeString()
      .min(1, "Metadata keys must not be empty")
      .max(40, "Metadata keys are at most 40 characters")
      .refine((key) => !RESERVED_KEYS.includes(key), "Metadata keys must not be __proto__, constructor or prototype"),
    safeString().max(500, "Metadata values are at most 500 characters"),
  )
  .refine((m) => Object.keys(m).length <= 50, "At most 50 metadata keys")
  .describe("Up to 50 string key-value pairs for your own use (keys ≤ 40 chars, values ≤ 500).");

const LIMIT_MESSAGE = "Must be an integer between 1 and 100";

/** `limit` of a list: a number (tRPC) or a decimal string (query string), 1–100, default 50. */
export const ListLimit = z
  .union(
    [
      z.number(),
      z
        .string()
        .regex(/^[0-9]{1,3}$/, LIMIT_MESSAGE)
        .transform(Number),
    ],
    { message: LIMIT_MESSAGE },
  )
  .pipe(z.number().int(LIMIT_MESSAGE).min(1, LIMIT_MESSAGE).max(100, LIMIT_MESSAGE))
  .default(50)
  .describe("Maximum number of items to return (1-100, default: 50)");

export function listOf<T extends z.ZodType>(item: T) {
  return z.object({
    object: z.literal("list"),
    data: z.array(item),
    has_more: z.boolean(),
    next_cursor: z.string().nullable(),
  });
}

export interface List<T> {
  object: "list";
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}
