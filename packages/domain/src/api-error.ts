import { z } from "zod";
import { ERRORS, type ErrorType } from "./errors.ts";

const ERROR_TYPES = [
  "invalid_request_error",
  "authentication_error",
  "permission_error",
  "not_found_error",
  "conflict_error",
  "precondition_failed_error",
  "rate_limit_error",
  "api_error",
] as const satisfies readonly ErrorType[];

/** Every code that can appear on the wire, taken from the one ERRORS table. */
const WIRE_CODES = [...new Set(Object.entries(ERRORS).map(([code, def]) => ("wire" in def ? def.wire : code)))] as [
  string,
  ...string[],
];

export const ErrorDetailSchema = z
  .strictObject({
    param: z.string().describe("The failing field, e.g. `settings.client_id`."),
    message: z.string(),
  })
  .meta({ id: "ErrorDetail" });

const errorFields = {
  type: z.enum(ERROR_TYPES).describe("The error family; one per HTTP status class."),
  code: z.enum(WIRE_CODES).describe("A stable, machine-readable code from the error table."),
  message: z.string().describe("A human-readable explanation; never contains a secret."),
  param: z.string().optional().describe("The field the error is about, when there is one."),
  details: z.array(ErrorDetailSchema).optional().describe("Every failing field of a validation error."),
  rule: z
    .string()
    .optional()
    .describe(
      "`weak_password` only: the password method's setting the password breaks (`min_length`, `check_breached`, …).",
    ),
  request_id: z.string().describe("The request's id, also in the `Request-Id` header."),
};

/** The body of every non-2xx response but 412. */
export const ApiErrorSchema = z
  .strictObject({ error: z.strictObject(errorFields) })
  .describe("The body of every error response.")
  .meta({ id: "ApiError" });
export type ApiErrorBody = z.infer<typeof ApiErrorSchema>;

/** The 412 body: an ApiError that also names the resource's current ETag. */
export const PreconditionFailedErrorSchema = z
  .strictObject({
    error: z.strictObject({
      ...errorFields,
      type: z.literal("precondition_failed_error"),
      code: z.literal("precondition_failed"),
      current_etag: z.string().describe("The resource's current ETag; retry with it in `If-Match`."),
    }),
  })
  .describe("If-Match did not match: nothing changed.")
  .meta({ id: "PreconditionFailedError" });
