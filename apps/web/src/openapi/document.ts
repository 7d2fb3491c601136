import { type AnyOperation, pathParams, restOperations, takesIfMatch } from "@authpi/api";
import { ApiErrorSchema, PreconditionFailedErrorSchema } from "@authpi/domain";
import { z } from "zod";
import {
  createDocument,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponseObject,
  type ZodOpenApiResponsesObject,
} from "zod-openapi";

/*
 * The OpenAPI 3.1 document, built from the same Zod schemas that validate requests
 * and allowlist responses, so the two cannot drift. Only wire details that Zod does
 * not describe (statuses, headers, examples) are written here.
 */

type HttpMethod = "get" | "post" | "patch" | "delete";

// ---- parameters -------------------------------------------------------------------------

const AccountId = z.string().describe("The unique identifier of the account (`acct_` + ULID).");

const IdempotencyKeyHeader = z.object({
  "Idempotency-Key": z
    .string()
    .min(1)
    .max(257)
    .optional()
    .describe(
      "Makes the request safe to retry: 1–255 printable ASCII characters (bare or as a quoted sf-string). " +
        "A retry with the same key and request replays the first response for 24 hours.",
    ),
});
const IfMatchHeader = z.object({
  "If-Match": z
    .string()
    .optional()
    .describe("Apply the change only if the resource's current ETag is one of these (`*`: any existing resource)."),
});
const IfNoneMatchHeader = z.object({
  "If-None-Match": z.string().optional().describe("Answer 304 Not Modified when the current ETag matches."),
});

// ---- response headers --------------------------------------------------------------------

const RequestIdHeader = z.string().describe("The request's id (`req_` + ULID); error bodies repeat it.");
const RateLimitPolicyHeader = z
  .string()
  .describe('The rate-limit policy of the API key (IETF httpapi draft), e.g. `"default";q=200;w=1`.');
const RateLimitHeader = z.string().describe('The remaining budget, e.g. `"default";r=137;t=1`.');
const RateLimitHeaders = { "RateLimit-Policy": RateLimitPolicyHeader, RateLimit: RateLimitHeader };
/** Before an API key is known (401) or when the database is down, there is no bucket to report. */
const OptionalRateLimitHeaders = {
  "RateLimit-Policy": RateLimitPolicyHeader.optional(),
  RateLimit: RateLimitHeader.optional(),
};
const EtagHeader = z.string().describe("The resource's strong ETag; changes on every modification.");

const commonHeaders = { "Request-Id": RequestIdHeader, ...RateLimitHeaders };

// ---- responses ---------------------------------------------------------------------------

/** Descriptions from the seed, with the contract's extra statuses. */
const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "Bad Request - The request is malformed or contains invalid data.",
  401: "Unauthorized - Authentication is required or has failed.",
  403: "Forbidden - You don't have permission to perform this action.",
  404: "Not Found - The requested resource does not exist.",
  409: "Conflict - The request conflicts with the current state of the resource.",
  412: "Precondition Failed - The resource has been modified since the provided ETag.",
  405: "Method Not Allowed - The path exists, but not with this HTTP method (see the `Allow` header).",
  413: "Payload Too Large - The request body is larger than 100 KB.",
  415: "Unsupported Media Type - The request body must be `application/json`.",
  422: "Unprocessable Entity - The request is well-formed but contains semantic errors.",
  429: "Too Many Requests - Rate limit or resource limit exceeded.",
  500: "Internal Server Error - An unexpected error occurred.",
  503: "Service Unavailable - The database cannot be reached; retry later.",
};

function errorResponse(status: number) {
  const description = ERROR_DESCRIPTIONS[status];
  if (!description) throw new Error(`no description for ${status}`);
  const headers: Record<string, z.ZodType> =
    status === 401 || status === 500 || status === 503
      ? { "Request-Id": RequestIdHeader, ...OptionalRateLimitHeaders }
      : { ...commonHeaders };
  if (status === 401) {
    headers["WWW-Authenticate"] = z.string().describe('`Bearer realm="authpi"`, with `error` for a bad key.');
  }
  if (status === 405) headers.Allow = z.string().describe("The methods the path accepts, e.g. `GET, PATCH, DELETE`.");
  if (status === 429 || status === 503) {
    headers["Retry-After"] = z.string().describe("Seconds to wait before retrying.");
  }
  return {
    description,
    headers: z.object(headers),
    content: {
      "application/json": { schema: status === 412 ? PreconditionFailedErrorSchema : ApiErrorSchema },
    },
  };
}

interface Success {
  status: 200 | 201 | 204;
  description: string;
  schema?: z.ZodType;
  example?: unknown;
  /** Single-resource responses carry an ETag (and GET answers 304 to If-None-Match). */
  etag?: boolean;
  /** POST and PATCH may be idempotent replays. */
  replayable?: boolean;
}

function responses(success: Success, errors: number[], options: { notModified?: boolean } = {}) {
  const headers: Record<string, z.ZodType> = { ...commonHeaders };
  if (success.etag) headers.ETag = EtagHeader;
  if (success.replayable) {
    headers["Idempotent-Replayed"] = z
      .literal("true")
      .optional()
      .describe("Present when this is the stored response of an earlier request with the same Idempotency-Key.");
  }
  const result: Record<string, ZodOpenApiResponseObject> = {
    [success.status]: {
      description: success.description,
      headers: z.object(headers),
      ...(success.schema
        ? {
            content: {
              "application/json": {
                schema: success.schema,
                ...(success.example === undefined ? {} : { example: success.example }),
              },
            },
          }
        : {}),
    },
  };
  if (options.notModified) {
    result["304"] = {
      description: "Not Modified - The resource still has the ETag sent in If-None-Match.",
      headers: z.object({ ...commonHeaders, ETag: EtagHeader }),
    };
  }
  for (const status of errors) result[String(status)] = errorResponse(status);
  return result as ZodOpenApiResponsesObject;
}

function jsonBody(schema: z.ZodType, example: unknown) {
  return { required: true, content: { "application/json": { schema, example } } };
}

// ---- operations, derived from their declarations -----------------------------------------

/** Statuses every authenticated operation can answer (405: the path exists with other methods). */
const ALWAYS = [401, 403, 405, 429, 500, 503];
/** Statuses of every operation that reads a JSON body. */
const WITH_BODY = [400, 409, 413, 415, 422];

function operationObject(op: AnyOperation): ZodOpenApiOperationObject & { operationId: string } {
  const names = pathParams(op.path ?? "");
  const path = z.object(
    Object.fromEntries(
      names.map((name) => [name, name === "account_id" ? AccountId : (op.params?.shape[name] as z.ZodType)]),
    ),
  );
  let header: z.ZodObject | undefined;
  if (op.method === "GET" && op.response.etag) header = IfNoneMatchHeader;
  if (takesIfMatch(op)) header = IfMatchHeader;
  if (op.idempotent) header = header ? header.extend(IdempotencyKeyHeader.shape) : IdempotencyKeyHeader;
  // A path parameter that cannot be percent-decoded matches no route: 404 route_not_found.
  const notFound = names.length > 0 ? [404] : [];
  const errors = [...new Set([...(op.body ? WITH_BODY : []), ...(op.errors ?? []), ...notFound, ...ALWAYS])].sort(
    (a, b) => a - b,
  );
  return {
    operationId: op.id,
    ...(op.tag ? { tags: [op.tag] } : {}),
    ...(op.summary ? { summary: op.summary } : {}),
    ...(op.description ? { description: op.description } : {}),
    requestParams: { path, ...(op.query ? { query: op.query } : {}), ...(header ? { header } : {}) },
    ...(op.body ? { requestBody: jsonBody(op.body, op.bodyExample) } : {}),
    responses: responses(
      {
        status: op.response.status,
        description: op.response.description,
        schema: op.response.schema,
        example: op.response.example,
        etag: op.response.etag,
        replayable: op.idempotent,
      },
      errors,
      { notModified: op.method === "GET" && op.response.etag === true },
    ),
  };
}

export interface OperationEntry {
  method: HttpMethod;
  path: string;
  operation: ZodOpenApiOperationObject & { operationId: string };
}

/** Every operation of the API, in declaration order. */
export const operations: OperationEntry[] = restOperations.map((op) => ({
  method: op.method.toLowerCase() as HttpMethod,
  path: op.path ?? "",
  operation: operationObject(op),
}));

export function buildDocument() {
  const paths: ZodOpenApiPathsObject = {};
  for (const { method, path, operation } of operations) {
    paths[path] = { ...paths[path], [method]: operation };
  }
  return createDocument({
    openapi: "3.1.0",
    info: {
      title: "AuthPI Control Plane API",
      version: "1.0.0",
      description:
        "Manage issuers and their auth methods. Authenticate with an API key as `Authorization: Bearer sk_…`. " +
        "Errors are `ApiError` objects; single resources carry an `ETag` for `If-Match`; POST and PATCH accept " +
        "an `Idempotency-Key`; every response carries `RateLimit-Policy` and `RateLimit`.",
      license: { name: "Proprietary", identifier: "LicenseRef-Proprietary" },
    },
    servers: [{ url: "https://api.authpi.com", description: "Production" }],
    security: [{ bearerAuth: [] }],
    tags: [
      { name: "Issuers", description: "An issuer is an identity provider with its own isolated user pool." },
      { name: "Auth Methods", description: "The ways users of an issuer sign in." },
      { name: "Events", description: "Who changed what, and when: the account's audit trail." },
    ],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "sk_…",
          description: "An API key of the account, `sk_…`, created by `pnpm bootstrap`.",
        },
      },
    },
  });
}

/** The document as committed to `openapi.json` and served at `GET /v1/openapi.json`. */
export function documentJson(): string {
  return `${JSON.stringify(buildDocument(), null, 2)}\n`;
}
