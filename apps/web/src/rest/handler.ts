import {
  type AnyOperation,
  bodyText,
  type Call,
  createPipeline,
  type Logger,
  type Outcome,
  type Pipeline,
  restOperations,
} from "@authpi/api";
import { DomainError, ifNoneMatchSatisfied, newId, requestFingerprint } from "@authpi/domain";
import type { RateLimiter, Services } from "@authpi/server";
import { parseJsonObject, readLimited } from "./body.ts";
import { openapiOperation } from "./openapi-route.ts";
import { createRouter } from "./router.ts";

export type { Logger };

export interface RestOptions {
  services: Services;
  logger?: Logger;
  /** Per-API-key token buckets; in memory with the contract's defaults (100/s, burst 200) when omitted. */
  rateLimiter?: RateLimiter;
  /** The pipeline to share with the tRPC door (one limiter, one log); built from the options when omitted. */
  pipeline?: Pipeline;
}

/** What @hono/node-server passes as the second argument of a fetch handler. */
export interface NodeBindings {
  incoming?: { url?: string | undefined; socket?: { remoteAddress?: string | undefined } };
}

/** Every `/v1` route: the declared operations with a path, and the public OpenAPI document. */
export const routes: { method: string; path: string; operationId: string; public: boolean }[] = [
  ...restOperations,
  openapiOperation,
].map((op) => ({ method: op.method, path: op.path ?? "", operationId: op.id, public: op.access === "public" }));

const NO_SESSION = { token: undefined, set() {}, clear() {} };

/** `?a=1&a=2` is refused rather than guessed. */
function queryObject(search: string): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(search)) {
    if (key in query) {
      throw new DomainError("validation_failed", `${key}: may be given only once`, { param: key });
    }
    query[key] = value;
  }
  return query;
}

/**
 * The `/v1` REST door: a framework-free fetch handler (served through
 * @hono/node-server's listener). It matches the route, hands the raw parts to
 * the pipeline and renders the outcome; every policy lives in the pipeline,
 * every rule in the domain and the services.
 */
export function createRestHandler(
  options: RestOptions,
): (request: Request, bindings?: NodeBindings) => Promise<Response> {
  const pipeline = options.pipeline ?? createPipeline(options);
  const match = createRouter([...restOperations, openapiOperation]);

  return async function handle(request: Request, bindings?: NodeBindings): Promise<Response> {
    const started = performance.now();
    const requestId = newId("request");
    // The raw request line's target: the fetch URL has its dot segments already resolved.
    const target = bindings?.incoming?.url ?? new URL(request.url).pathname + new URL(request.url).search;
    const q = target.indexOf("?");
    const pathname = q === -1 ? target : target.slice(0, q);
    const search = q === -1 ? "" : target.slice(q + 1);
    const found = match(request.method, pathname);
    const op: AnyOperation | undefined = found.operation;

    let bytes: Promise<Uint8Array> | undefined;
    const readBytes = () => {
      bytes ??= readLimited(request);
      return bytes;
    };
    const header = (name: string) => request.headers.get(name);
    const call: Call = {
      door: "rest",
      requestId,
      ip: bindings?.incoming?.socket?.remoteAddress ?? "unknown",
      authorization: header("authorization"),
      session: NO_SESSION,
      accountId: found.params.account_id,
      params: found.params,
      get query() {
        return queryObject(search);
      },
      body: async () => parseJsonObject(header("content-type"), await readBytes()),
      ifMatch: header("if-match") ?? undefined,
      idempotencyKey: request.method === "POST" || request.method === "PATCH" ? header("idempotency-key") : null,
      fingerprint: async () => requestFingerprint(request.method, pathname, await readBytes()),
    };
    let miss: DomainError | undefined;
    if (!op) {
      miss = found.allow
        ? new DomainError("method_not_allowed", `${request.method} is not allowed here; use ${found.allow.join(", ")}`)
        : new DomainError("route_not_found", `Unrecognized request URL (${request.method} ${pathname})`);
    }
    const outcome = await pipeline.run(op, call, miss);
    if (found.allow && outcome.error?.code === "method_not_allowed") outcome.headers.allow = found.allow.join(", ");
    const response = render(outcome, request, requestId);
    pipeline.log(call, op, outcome, started, response.status);
    return response;
  };
}

/**
 * The one place that turns an outcome into a Response and sets the headers
 * every `/v1` answer carries: Request-Id, ETag, RateLimit-Policy/RateLimit,
 * Retry-After (429, 503), Idempotent-Replayed; and 304 for If-None-Match.
 */
function render(outcome: Outcome, request: Request, requestId: string): Response {
  const headers: Record<string, string> = { ...outcome.headers, "request-id": requestId };
  if (outcome.etag) headers.etag = outcome.etag;
  const limit = outcome.limit;
  if (limit) {
    headers["ratelimit-policy"] = `"default";q=${limit.limit};w=${limit.window}`;
    headers.ratelimit = `"default";r=${limit.remaining};t=${limit.reset}`;
    if (!limit.allowed) headers["retry-after"] = String(limit.reset);
  }
  if (outcome.replayed) headers["idempotent-replayed"] = "true";
  const body = bodyText(outcome);
  if (outcome.status === 204 || body === null) return new Response(null, { status: outcome.status, headers });
  if (request.method === "GET" && outcome.etag && outcome.status === 200) {
    const ifNoneMatch = request.headers.get("if-none-match");
    if (ifNoneMatch !== null && ifNoneMatchSatisfied(ifNoneMatch, outcome.etag)) {
      return new Response(null, { status: 304, headers });
    }
  }
  headers["content-type"] = "application/json; charset=utf-8";
  return new Response(body, { status: outcome.status, headers });
}
