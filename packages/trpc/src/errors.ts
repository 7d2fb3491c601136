import { DomainError, ERRORS, type ErrorCode, fromZodError } from "@authpi/domain";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server";
import { z } from "zod";

type Status = (typeof ERRORS)[ErrorCode]["status"];

/** Every HTTP status of the ERRORS table as a tRPC code: adding a status there fails typecheck here. */
const TRPC_CODES = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  405: "METHOD_NOT_SUPPORTED",
  409: "CONFLICT",
  412: "PRECONDITION_FAILED",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  422: "UNPROCESSABLE_CONTENT",
  429: "TOO_MANY_REQUESTS",
  500: "INTERNAL_SERVER_ERROR",
  503: "SERVICE_UNAVAILABLE",
} as const satisfies Record<Status, TRPC_ERROR_CODE_KEY>;

export function trpcCode(error: DomainError): TRPC_ERROR_CODE_KEY {
  return TRPC_CODES[ERRORS[error.code].status];
}

/** The DomainError behind a failure: thrown by a service, or a Zod input failure turned into one. */
export function asDomainError(cause: unknown): DomainError | undefined {
  if (cause instanceof DomainError) return cause;
  if (cause instanceof z.ZodError) return fromZodError(cause);
  return undefined;
}
