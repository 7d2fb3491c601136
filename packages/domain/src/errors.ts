import type { z } from "zod";

export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "conflict_error"
  | "precondition_failed_error"
  | "rate_limit_error"
  | "api_error";

interface ErrorDef {
  status: number;
  type: ErrorType;
  /** The code on the wire when it differs from the key (one wire code, two statuses). */
  wire?: string;
  doc: string;
}

/** Every error the API can answer, with its HTTP status: the one table. */
export const ERRORS = {
  validation_failed: {
    status: 400,
    type: "invalid_request_error",
    doc: "The body or a parameter failed validation; `param` names the first failing field.",
  },
  invalid_json: { status: 400, type: "invalid_request_error", doc: "The body is not valid JSON." },
  invalid_cursor: {
    status: 400,
    type: "invalid_request_error",
    doc: "The pagination cursor is malformed or not an item of this list (issuer, client, user).",
  },
  immutable_field: {
    status: 400,
    type: "invalid_request_error",
    doc: "The field cannot change after creation; delete and re-create instead.",
  },
  invalid_header: {
    status: 400,
    type: "invalid_request_error",
    doc: "A request header is malformed (If-Match, Idempotency-Key, …).",
  },
  weak_password: {
    status: 400,
    type: "invalid_request_error",
    doc: "The password breaks a rule of the issuer's password auth method; `rule` names it.",
  },
  auth_method_disabled: {
    status: 400,
    type: "invalid_request_error",
    doc: "The issuer has no auth method of the kind this field needs (password, temporary_password).",
  },
  public_client: {
    status: 400,
    type: "invalid_request_error",
    doc: "The client is public (token_endpoint_auth_method none) and has no secret.",
  },
  body_too_large: { status: 413, type: "invalid_request_error", doc: "The body is larger than 100 KB." },
  unsupported_media_type: { status: 415, type: "invalid_request_error", doc: "The body is not `application/json`." },
  use_delete_endpoint: {
    status: 422,
    type: "invalid_request_error",
    doc: "`status: deleted` cannot be set; use DELETE.",
  },
  idempotency_key_reused: {
    status: 422,
    type: "invalid_request_error",
    doc: "The Idempotency-Key was used with a different request.",
  },
  batch_not_allowed: {
    status: 400,
    type: "invalid_request_error",
    doc: "The tRPC procedure cannot be sent in a batch (sign-in: one request is one attempt).",
  },
  method_not_allowed: {
    status: 405,
    type: "invalid_request_error",
    doc: "The path exists but not with this HTTP method.",
  },
  missing_api_key: { status: 401, type: "authentication_error", doc: "No `Authorization: Bearer` API key was sent." },
  invalid_api_key: { status: 401, type: "authentication_error", doc: "The API key is unknown or revoked." },
  unauthenticated: { status: 401, type: "authentication_error", doc: "The admin session is missing or expired." },
  invalid_credentials: { status: 401, type: "authentication_error", doc: "The email or password is wrong." },
  account_mismatch: {
    status: 403,
    type: "permission_error",
    doc: "The credentials belong to another account than the path names.",
  },
  operator_only: {
    status: 403,
    type: "permission_error",
    doc: "Only a signed-in operator may do this (managing API keys); an API key may not.",
  },
  resource_missing: { status: 404, type: "not_found_error", doc: "No such resource (or the ID is malformed)." },
  route_not_found: { status: 404, type: "not_found_error", doc: "No such endpoint." },
  issuer_deleted_not_found: {
    status: 404,
    type: "not_found_error",
    wire: "issuer_deleted",
    doc: "The issuer is soft-deleted; its sub-resources are unavailable until it is restored.",
  },
  issuer_deleted: {
    status: 409,
    type: "conflict_error",
    doc: "The issuer is soft-deleted; only a PATCH that sets `status: active` is accepted.",
  },
  auth_method_exists: {
    status: 409,
    type: "conflict_error",
    doc: "The issuer already has an auth method of this singleton type.",
  },
  name_taken: {
    status: 409,
    type: "conflict_error",
    doc: "Another auth method of this issuer has that name (case-insensitive).",
  },
  limit_reached: {
    status: 409,
    type: "conflict_error",
    doc: "The issuer already has the maximum number of auth methods.",
  },
  email_taken: {
    status: 409,
    type: "conflict_error",
    doc: "Another user of this issuer has that email (case-insensitive).",
  },
  phone_taken: {
    status: 409,
    type: "conflict_error",
    doc: "Another user of this issuer has that phone number.",
  },
  idempotency_request_in_progress: {
    status: 409,
    type: "conflict_error",
    doc: "A request with this Idempotency-Key is still running.",
  },
  precondition_failed: {
    status: 412,
    type: "precondition_failed_error",
    doc: "If-Match does not match the current ETag.",
  },
  rate_limited: { status: 429, type: "rate_limit_error", doc: "Too many requests; retry after `Retry-After` seconds." },
  too_many_attempts: {
    status: 429,
    type: "rate_limit_error",
    doc: "Too many failed sign-in attempts; wait before trying again.",
  },
  database_unavailable: {
    status: 503,
    type: "api_error",
    doc: "The database cannot be reached; retry after `Retry-After` seconds.",
  },
  internal_error: { status: 500, type: "api_error", doc: "An unexpected error; the request id helps support find it." },
} as const satisfies Record<string, ErrorDef>;

export type ErrorCode = keyof typeof ERRORS;

export interface ErrorDetail {
  param: string;
  message: string;
}

export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly param: string | undefined;
  readonly details: ErrorDetail[] | undefined;
  /** Extra fields for the error body, e.g. `current_etag` on a 412. */
  readonly extra: Record<string, string> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { param?: string; details?: ErrorDetail[]; extra?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = "DomainError";
    this.code = code;
    this.param = options.param;
    this.details = options.details;
    this.extra = options.extra;
  }

  get status(): number {
    return ERRORS[this.code].status;
  }
}

export function errorStatus(code: ErrorCode): number {
  return ERRORS[code].status;
}

export function errorType(code: ErrorCode): ErrorType {
  return ERRORS[code].type;
}

export function wireCode(code: ErrorCode): string {
  const def: ErrorDef = ERRORS[code];
  return def.wire ?? code;
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("");
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_type" && issue.input === undefined) return "Required";
  return issue.message;
}

function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ERRORS, value);
}

/**
 * Turns a Zod failure into the contract's 400, naming the first failing field.
 * A custom issue that names its own code (`params: { code: "immutable_field" }`,
 * see `refuseKeys`) is that error instead, with its message and param.
 */
export function fromZodError(error: z.ZodError, prefix: ReadonlyArray<PropertyKey> = []): DomainError {
  const [head] = error.issues;
  if (head?.code === "custom" && isErrorCode(head.params?.code)) {
    return new DomainError(head.params.code, head.message, { param: formatPath([...prefix, ...head.path]) });
  }
  const details: ErrorDetail[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        details.push({ param: formatPath([...prefix, ...issue.path, key]), message: "Unknown field" });
      }
    } else {
      details.push({ param: formatPath([...prefix, ...issue.path]), message: issueMessage(issue) });
    }
  }
  const first = details[0] ?? { param: "", message: "Invalid input" };
  const message = first.param ? `${first.param}: ${first.message}` : first.message;
  return new DomainError("validation_failed", message, { param: first.param || undefined, details });
}

/** Parses with a schema, throwing the contract's 400 on failure. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  input: unknown,
  prefix: ReadonlyArray<PropertyKey> = [],
): z.output<S> {
  const result = schema.safeParse(input, { reportInput: true });
  if (!result.success) throw fromZodError(result.error, prefix);
  return result.data;
}
