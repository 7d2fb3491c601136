import type { AdminPrincipal, JsonText, Services, Versioned } from "@authpi/server";
import type { z } from "zod";

export type HttpMethod = "GET" | "POST" | "PATCH" | "DELETE";

/**
 * Who may call an operation:
 * - `account`: an account's API key (`Authorization: Bearer sk_…`, both doors) or, on tRPC,
 *   a signed-in operator's session;
 * - `operator`: a signed-in operator only (API keys cannot manage API keys);
 * - `public`: anyone (sign-in, the OpenAPI document); counted per client IP.
 */
export type Access = "account" | "operator" | "public";

/** Who is calling, once authenticated. */
export interface Caller {
  accountId: string;
  apiKeyId?: string | undefined;
  operator?: AdminPrincipal | undefined;
}

/** The admin session as an operation sees it; the tRPC door turns it into a cookie. */
export interface SessionPort {
  token: string | undefined;
  set(token: string, expiresAt: Date): void;
  clear(): void;
}

export interface OperationContext {
  /** Bound to the request's transaction when the call is idempotent. */
  services: Services;
  /** The caller's account ("" on public operations). */
  accountId: string;
  caller: Caller | undefined;
  session: SessionPort;
  ip: string | undefined;
}

/** What a handler receives: every part already parsed by the operation's own schemas. */
export interface OperationInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** The `If-Match` header (REST) or `ifMatch` field (tRPC), when sent. */
  ifMatch: string | undefined;
}

/** A body as a value, or as JSON text Postgres already built (REST sends it as-is). */
export type Body<T> = T | JsonText<T>;

type AnyObject = z.ZodObject<z.ZodRawShape>;

export interface SuccessResponse<S extends z.ZodType | undefined, E extends boolean> {
  status: 200 | 201 | 204;
  description: string;
  /** Absent for 204. */
  schema?: S;
  example?: unknown;
  /** Single-resource answers carry an ETag; the handler returns `{ value, etag }`. */
  etag?: E;
  headers?: Record<string, string>;
}

type HandlerValue<S extends z.ZodType | undefined> = S extends z.ZodType ? z.output<S> : never;

type HandlerResult<S extends z.ZodType | undefined, E extends boolean> = S extends z.ZodType
  ? E extends true
    ? Versioned<Body<z.output<S>>>
    : Body<z.output<S>>
  : undefined;

export interface OperationDef<
  Method extends HttpMethod = HttpMethod,
  Path extends string | undefined = string | undefined,
  P extends AnyObject | undefined = AnyObject | undefined,
  Q extends AnyObject | undefined = AnyObject | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
  S extends z.ZodType | undefined = z.ZodType | undefined,
  E extends boolean = boolean,
> {
  /**
   * The OpenAPI operationId, the idempotency record's operation and the access log's `route`.
   * The tRPC procedure is its key in the registry (`issuers.update`, see operations/index.ts);
   * a GET is a query, anything else a mutation.
   */
  id: string;
  method: Method;
  /** The REST path (`/v1/accounts/{account_id}/…`); none for an operation only the UI calls. */
  path?: Path;
  access: Access;
  tag?: string;
  summary?: string;
  description?: string;
  /** Path parameters other than `account_id`. */
  params?: P;
  query?: Q;
  body?: B;
  /** The request body's example in the OpenAPI document. */
  bodyExample?: unknown;
  response: SuccessResponse<S, E>;
  /** Takes `Idempotency-Key` (POST and PATCH). */
  idempotent?: boolean;
  /**
   * What an idempotency key keeps of a success, and so what a replay answers, when it must
   * differ from the first answer: a one-time secret replaced by null (api-contract §5).
   */
  replayValue?: (value: HandlerValue<S>) => unknown;
  /** Error statuses beyond the ones every operation of its kind can answer (OpenAPI). */
  errors?: readonly number[];
  /** Sign-in: refused inside a tRPC batch, so one request is one attempt. */
  batchable?: boolean;
  handler(
    input: OperationInput<
      P extends AnyObject ? z.output<P> : Record<string, never>,
      Q extends AnyObject ? z.output<Q> : Record<string, never>,
      B extends z.ZodType ? z.output<B> : undefined
    >,
    ctx: OperationContext,
  ): Promise<HandlerResult<S, E>>;
}

export type AnyOperation = OperationDef<HttpMethod, string | undefined, any, any, any, any, boolean>;

/** One declaration per operation: REST route, OpenAPI operation and tRPC procedure are derived from it. */
export function defineOperation<
  const Method extends HttpMethod,
  const Path extends string | undefined = undefined,
  P extends AnyObject | undefined = undefined,
  Q extends AnyObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  S extends z.ZodType | undefined = undefined,
  const E extends boolean = false,
>(definition: OperationDef<Method, Path, P, Q, B, S, E>): OperationDef<Method, Path, P, Q, B, S, E> {
  return definition;
}

// ---- the tRPC input derivation, at the type level and at run time -------------------------

type CamelCase<K extends string> = K extends `${infer A}_${infer B}` ? `${A}${Capitalize<CamelCase<B>>}` : K;

/** The path parameter that names the operation's own resource: the last segment, when it is one. */
type OwnParam<Path extends string> = Path extends `${string}{${infer Rest}`
  ? Rest extends `${string}{${string}`
    ? OwnParam<Rest>
    : Rest extends `${infer Name}}`
      ? Name
      : never
  : never;

type TrpcParams<Path extends string, P> = {
  [K in keyof P as K extends OwnParam<Path> ? "id" : K extends string ? CamelCase<K> : never]: P[K];
};

/**
 * The tRPC input of an operation, derived by one rule (README "Internal tRPC client"):
 * path parameters except `account_id` (the resource's own id as `id`, the others camelCase:
 * `issuerId`), the query fields, the body as `body` (POST) or `patch` (PATCH), and `ifMatch`.
 * An operation without a REST path takes its body as the whole input.
 */
/** `Then<T>` when the declaration has the part, `Else` when it does not. */
type Part<T> = [Exclude<T, undefined>] extends [never] ? never : Exclude<T, undefined>;
type IsAbsent<T> = [Part<T>] extends [never] ? true : false;

export type TrpcInput<O extends AnyOperation> =
  IsAbsent<O["path"]> extends true
    ? IsAbsent<O["body"]> extends true
      ? undefined
      : z.input<Part<O["body"]>>
    : (IsAbsent<O["params"]> extends true ? unknown : TrpcParams<Part<O["path"]>, z.input<Part<O["params"]>>>) &
        (IsAbsent<O["query"]> extends true ? unknown : z.input<Part<O["query"]>>) &
        (IsAbsent<O["body"]> extends true
          ? unknown
          : O["method"] extends "PATCH"
            ? { patch: z.input<Part<O["body"]>> }
            : { body: z.input<Part<O["body"]>> }) &
        (O["method"] extends "PATCH" | "DELETE" ? { ifMatch?: string | undefined } : unknown);

export type TrpcOutput<O extends AnyOperation> =
  IsAbsent<O["response"]["schema"]> extends true
    ? { deleted: true }
    : Part<O["response"]["etag"]> extends true
      ? { value: z.output<Part<O["response"]["schema"]>>; etag: string }
      : z.output<Part<O["response"]["schema"]>>;

export function camelCase(name: string): string {
  return name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Path parameter names in order, e.g. `["account_id", "issuer_id"]`. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1] as string);
}

/** REST parameter name → tRPC input field, by the rule above. */
export function trpcParamNames(operation: AnyOperation): Record<string, string> {
  if (!operation.path) return {};
  const names = pathParams(operation.path).filter((p) => p !== "account_id");
  const own = operation.path.endsWith("}") ? names.at(-1) : undefined;
  return Object.fromEntries(names.map((n) => [n, n === own ? "id" : camelCase(n)]));
}

/** PATCH and DELETE take `If-Match` (api-contract: optimistic concurrency on every write). */
export function takesIfMatch(operation: AnyOperation): boolean {
  return operation.path !== undefined && (operation.method === "PATCH" || operation.method === "DELETE");
}

export function trpcBodyField(operation: AnyOperation): "body" | "patch" {
  return operation.method === "PATCH" ? "patch" : "body";
}
