import { z } from "zod";
import type { ErrorCode } from "./errors.ts";

export interface KeyRefusal {
  key: string;
  code: ErrorCode;
  message: string;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * `schema`, with `refusals` checked first: the first key of the list that the
 * body sends, whatever its value, fails the parse with its own code (through
 * `fromZodError`) before any other field is looked at. A PATCH refuses its
 * immutable fields this way, so a client never believes it changed one. The
 * input type and the JSON Schema stay those of `schema` (a preprocess is
 * documented by its output schema).
 */
export function refuseKeys<S extends z.ZodType>(schema: S, refusals: readonly KeyRefusal[]) {
  return z.preprocess((input: z.input<S>, ctx) => {
    const refused = isPlainObject(input) ? refusals.find(({ key }) => key in input) : undefined;
    if (refused) {
      ctx.addIssue({ code: "custom", path: [refused.key], message: refused.message, params: { code: refused.code } });
    }
    return input;
  }, schema);
}
