import {
  ApiErrorSchema,
  AuthMethod,
  AuthMethodList,
  CreateAuthMethodInput,
  CreateIssuerInput,
  exampleAuthMethodBody,
  Issuer,
  IssuerConfig,
  IssuerList,
  ListIssuersQuery,
  PreconditionFailedErrorSchema,
  UpdateAuthMethodInput,
  UpdateIssuerInput,
} from "@authpi/domain";
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
const IssuerId = z.string().describe("The unique identifier of the issuer (`iss_` + ULID).");
const MethodId = z.string().describe("The unique identifier of the authentication method (`am_` + ULID).");

const AccountPath = z.object({ account_id: AccountId });
const IssuerPath = z.object({ account_id: AccountId, issuer_id: IssuerId });
const AuthMethodPath = z.object({ account_id: AccountId, issuer_id: IssuerId, method_id: MethodId });

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

// ---- examples (built through the domain schemas, so they are valid by construction) ------

const EXAMPLE_ACCOUNT = "acct_01JDQ3S4V6W8X9Y0Z1A2B3C4D5";
const EXAMPLE_ISSUER = "iss_01JDQ3S5M2N3P4Q5R6S7T8V9W0";
const EXAMPLE_TIME = "2026-11-27T22:40:00.000Z";

const createIssuerExample = { name: "Production", available_scopes: ["openid", "profile", "email"] };
const issuerExample = Issuer.parse({
  object: "issuer",
  id: EXAMPLE_ISSUER,
  account_id: EXAMPLE_ACCOUNT,
  ...IssuerConfig.parse(createIssuerExample),
  created_at: EXAMPLE_TIME,
  updated_at: EXAMPLE_TIME,
  deleted_at: null,
  purge_after: null,
  issuer_url: `http://localhost:3000/oidc/${EXAMPLE_ISSUER}`,
});

const EXAMPLE_METHOD = "am_01JDQ3S6A1B2C3D4E5F6G7H8J9";
const createAuthMethodExample = exampleAuthMethodBody("oidc", "Google");
const authMethodExample = AuthMethod.parse({
  object: "auth_method",
  id: EXAMPLE_METHOD,
  issuer_id: EXAMPLE_ISSUER,
  ...CreateAuthMethodInput.parse(createAuthMethodExample),
  secrets_set: ["client_secret"],
  created_at: EXAMPLE_TIME,
  updated_at: EXAMPLE_TIME,
});

// ---- operations --------------------------------------------------------------------------

/** Statuses every authenticated operation can answer. */
const ALWAYS = [401, 403, 429, 500, 503];
/** Statuses of every operation that reads a JSON body. */
const WITH_BODY = [400, 409, 413, 415, 422];

const ISSUERS = "/v1/accounts/{account_id}/issuers";
const ISSUER = `${ISSUERS}/{issuer_id}`;

export interface OperationEntry {
  method: HttpMethod;
  path: string;
  operation: ZodOpenApiOperationObject & { operationId: string };
}

const issuerOperations: OperationEntry[] = [
  {
    method: "get",
    path: ISSUERS,
    operation: {
      operationId: "listIssuers",
      tags: ["Issuers"],
      summary: "List Issuers",
      description:
        "Lists the account's issuers, newest first, with keyset pagination. Deleted issuers are left out " +
        "unless `status=deleted` asks for them.",
      requestParams: { path: AccountPath, query: ListIssuersQuery },
      responses: responses(
        {
          status: 200,
          description: "Paginated list of issuers",
          schema: IssuerList,
          example: { object: "list", data: [issuerExample], has_more: false, next_cursor: null },
        },
        [400, ...ALWAYS],
      ),
    },
  },
  {
    method: "post",
    path: ISSUERS,
    operation: {
      operationId: "createIssuer",
      tags: ["Issuers"],
      summary: "Create Issuer",
      description:
        "Creates a new issuer within the account. Every field but `name` is optional; `settings` are " +
        "returned complete, with defaults filled in.",
      requestParams: { path: AccountPath, header: IdempotencyKeyHeader },
      requestBody: jsonBody(CreateIssuerInput, createIssuerExample),
      responses: responses(
        {
          status: 201,
          description: "Issuer created successfully",
          schema: Issuer,
          example: issuerExample,
          etag: true,
          replayable: true,
        },
        [...WITH_BODY, ...ALWAYS],
      ),
    },
  },
  {
    method: "get",
    path: ISSUER,
    operation: {
      operationId: "getIssuer",
      tags: ["Issuers"],
      summary: "Get Issuer",
      description: "Retrieves the full configuration of an issuer, also while it is soft-deleted.",
      requestParams: { path: IssuerPath, header: IfNoneMatchHeader },
      responses: responses(
        {
          status: 200,
          description: "Issuer configuration retrieved successfully",
          schema: Issuer,
          example: issuerExample,
          etag: true,
        },
        [400, 404, 409, 412, 422, ...ALWAYS],
        { notModified: true },
      ),
    },
  },
  {
    method: "patch",
    path: ISSUER,
    operation: {
      operationId: "updateIssuer",
      tags: ["Issuers"],
      summary: "Update Issuer",
      description:
        "Updates an issuer. Every field is optional; `settings`, `links` and `metadata` are JSON merge " +
        "patches (RFC 7396). `status: active` restores a deleted issuer; `status: deleted` is refused (use DELETE).",
      requestParams: { path: IssuerPath, header: IfMatchHeader.extend(IdempotencyKeyHeader.shape) },
      requestBody: jsonBody(UpdateIssuerInput, { name: "Production (EU)", settings: { mfa: { policy: "required" } } }),
      responses: responses(
        {
          status: 200,
          description: "Issuer updated successfully",
          schema: Issuer,
          example: { ...issuerExample, name: "Production (EU)" },
          etag: true,
          replayable: true,
        },
        [...WITH_BODY, 404, 412, ...ALWAYS],
      ),
    },
  },
  {
    method: "delete",
    path: ISSUER,
    operation: {
      operationId: "deleteIssuer",
      tags: ["Issuers"],
      summary: "Delete Issuer",
      description:
        "Soft-deletes an issuer: it is kept, restorable with PATCH `status: active`, for the grace period " +
        "(`purge_after`), then purged with its auth methods.",
      requestParams: { path: IssuerPath, header: IfMatchHeader },
      responses: responses(
        { status: 204, description: "No Content - The operation completed successfully with no response body." },
        [400, 404, 412, ...ALWAYS],
      ),
    },
  },
];

const AUTH_METHODS = `${ISSUER}/auth-methods`;
const AUTH_METHOD = `${AUTH_METHODS}/{method_id}`;

const authMethodOperations: OperationEntry[] = [
  {
    method: "get",
    path: AUTH_METHODS,
    operation: {
      operationId: "listAuthMethods",
      tags: ["Auth Methods"],
      summary: "List Auth Methods",
      description:
        "Lists all authentication methods of an issuer in creation order, in the list envelope " +
        "(`has_more` is always false). Secret settings are never returned; `secrets_set` names them.",
      requestParams: { path: IssuerPath },
      responses: responses(
        {
          status: 200,
          description: "Authentication methods retrieved successfully",
          schema: AuthMethodList,
          example: { object: "list", data: [authMethodExample], has_more: false, next_cursor: null },
        },
        [404, ...ALWAYS],
      ),
    },
  },
  {
    method: "post",
    path: AUTH_METHODS,
    operation: {
      operationId: "createAuthMethod",
      tags: ["Auth Methods"],
      summary: "Create Auth Method",
      description:
        "Creates an authentication method for an issuer. The body is one of thirteen variants, chosen by " +
        "`method`; each has its own `first_factor_only` rule and settings. Secret settings (`client_secret`, " +
        "`private_key`) are write-only.",
      requestParams: { path: IssuerPath, header: IdempotencyKeyHeader },
      requestBody: jsonBody(CreateAuthMethodInput, createAuthMethodExample),
      responses: responses(
        {
          status: 201,
          description: "Authentication method created successfully",
          schema: AuthMethod,
          example: authMethodExample,
          etag: true,
          replayable: true,
        },
        [...WITH_BODY, 404, ...ALWAYS],
      ),
    },
  },
  {
    method: "get",
    path: AUTH_METHOD,
    operation: {
      operationId: "getAuthMethod",
      tags: ["Auth Methods"],
      summary: "Get Auth Method",
      description: "Retrieves an authentication method. Secret settings are not returned.",
      requestParams: { path: AuthMethodPath, header: IfNoneMatchHeader },
      responses: responses(
        {
          status: 200,
          description: "Authentication method retrieved successfully",
          schema: AuthMethod,
          example: authMethodExample,
          etag: true,
        },
        [404, ...ALWAYS],
        { notModified: true },
      ),
    },
  },
  {
    method: "patch",
    path: AUTH_METHOD,
    operation: {
      operationId: "updateAuthMethod",
      tags: ["Auth Methods"],
      summary: "Update Auth Method",
      description:
        "Updates an authentication method; `settings` is a JSON merge patch (RFC 7396). `method`, " +
        "`first_factor_only` and a federated method's credentials cannot change: delete and re-create instead.",
      requestParams: { path: AuthMethodPath, header: IfMatchHeader.extend(IdempotencyKeyHeader.shape) },
      requestBody: jsonBody(UpdateAuthMethodInput, { featured: true, settings: { scopes: ["openid", "email"] } }),
      responses: responses(
        {
          status: 200,
          description: "Authentication method updated successfully",
          schema: AuthMethod,
          example: { ...authMethodExample, featured: true },
          etag: true,
          replayable: true,
        },
        [...WITH_BODY, 404, 412, ...ALWAYS],
      ),
    },
  },
  {
    method: "delete",
    path: AUTH_METHOD,
    operation: {
      operationId: "deleteAuthMethod",
      tags: ["Auth Methods"],
      summary: "Delete Auth Method",
      description:
        "Deletes an authentication method for good. To stop its use but keep its configuration, " +
        "PATCH `enabled_login: false` instead.",
      requestParams: { path: AuthMethodPath, header: IfMatchHeader },
      responses: responses(
        { status: 204, description: "No Content - The operation completed successfully with no response body." },
        [400, 404, 412, ...ALWAYS],
      ),
    },
  },
];

/** Every operation of the API, in route-table order. */
export const operations: OperationEntry[] = [...issuerOperations, ...authMethodOperations];

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
