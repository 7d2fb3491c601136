import { DomainError, ifNoneMatchSatisfied, newId, parseIdempotencyKey, requestFingerprint } from "@authpi/domain";
import {
  apiKeyCaller,
  createRateLimiter,
  DATABASE_RETRY_AFTER_SECONDS,
  databaseUnavailable,
  JsonText,
  type Principal,
  type RateLimitDecision,
  type RateLimiter,
  type Services,
  type StoredResponse,
} from "@authpi/server";
import { authMethodRoutes } from "./auth-method-routes.ts";
import { readLimited } from "./body.ts";
import { eventRoutes } from "./event-routes.ts";
import { issuerRoutes } from "./issuer-routes.ts";
import { openapiRoute } from "./openapi-route.ts";
import { errorBody } from "./respond.ts";
import { createRouter, type Route, type RouteContext, type RouteResult } from "./router.ts";

export interface Logger {
  info(fields: Record<string, unknown>, message?: string): void;
  error(fields: Record<string, unknown>, message?: string): void;
}

export interface RestOptions {
  services: Services;
  logger?: Logger;
  /** Per-API-key token buckets; in memory with the contract's defaults (100/s, burst 200) when omitted. */
  rateLimiter?: RateLimiter;
}

/** What @hono/node-server passes as the second argument of a fetch handler. */
export interface NodeBindings {
  incoming?: { socket?: { remoteAddress?: string | undefined } };
}

export const routes: Route[] = [...issuerRoutes, ...authMethodRoutes, ...eventRoutes, openapiRoute];

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const IDEMPOTENT_METHODS = new Set(["POST", "PATCH"]);

/** A rendered response before the headers every response gets; also what an idempotency key keeps. */
interface Outcome extends StoredResponse {
  replayed?: boolean;
}

async function authenticate(request: Request, services: Services): Promise<Principal> {
  const header = request.headers.get("authorization");
  if (!header) {
    throw new DomainError("missing_api_key", "No API key provided; send it as Authorization: Bearer sk_…");
  }
  const token = BEARER.exec(header)?.[1];
  if (!token) throw new DomainError("invalid_api_key", "The Authorization header must be Bearer sk_…");
  return services.apiKeys.authenticate(token);
}

function serialize(result: RouteResult): Outcome {
  return {
    status: result.status,
    body:
      result.status === 204 || result.body === undefined
        ? null
        : result.body instanceof JsonText
          ? result.body.json
          : JSON.stringify(result.body),
    etag: result.etag,
    headers: result.headers,
  };
}

/**
 * The one place that turns an outcome into a Response and sets the headers
 * every `/v1` answer carries: Request-Id, ETag, RateLimit-Policy/RateLimit,
 * Retry-After (429, 503), Idempotent-Replayed.
 */
function finish(outcome: Outcome, request: Request, requestId: string, limit: RateLimitDecision | undefined): Response {
  const headers: Record<string, string> = { ...outcome.headers, "request-id": requestId };
  if (outcome.etag) headers.etag = outcome.etag;
  if (limit) {
    headers["ratelimit-policy"] = `"default";q=${limit.limit};w=${limit.window}`;
    headers.ratelimit = `"default";r=${limit.remaining};t=${limit.reset}`;
    if (!limit.allowed) headers["retry-after"] = String(limit.reset);
  }
  if (outcome.replayed) headers["idempotent-replayed"] = "true";
  if (outcome.status === 204 || outcome.body === null) return new Response(null, { status: outcome.status, headers });
  if (request.method === "GET" && outcome.etag && outcome.status === 200) {
    const ifNoneMatch = request.headers.get("if-none-match");
    if (ifNoneMatch !== null && ifNoneMatchSatisfied(ifNoneMatch, outcome.etag)) {
      return new Response(null, { status: 304, headers });
    }
  }
  headers["content-type"] = "application/json; charset=utf-8";
  return new Response(outcome.body, { status: outcome.status, headers });
}

/**
 * The `/v1` REST adapter: a framework-free fetch handler. It parses and renders;
 * every rule lives in the domain package and the services.
 */
export function createRestHandler(
  options: RestOptions,
): (request: Request, bindings?: NodeBindings) => Promise<Response> {
  const { services, logger } = options;
  const limiter = options.rateLimiter ?? createRateLimiter({ perSecond: 100, burst: 200 });
  const match = createRouter(routes);

  /** An empty bucket is a 429; its RateLimit headers come from the same decision (one token taken, not two). */
  function throwIfLimited(decision: RateLimitDecision): void {
    if (!decision.allowed) {
      throw new DomainError("rate_limited", `Too many requests; retry after ${decision.reset} second(s)`);
    }
  }

  /** POST/PATCH with an Idempotency-Key: runs at most once per key, replays afterwards. */
  async function idempotent(route: Route, ctx: RouteContext): Promise<Outcome> {
    const key = parseIdempotencyKey(ctx.request.headers.get("idempotency-key") ?? "");
    const bytes = await readLimited(ctx.request);
    const { method } = ctx.request;
    const request = new Request(ctx.request.url, {
      method,
      headers: ctx.request.headers,
      body: bytes.byteLength ? (bytes as Uint8Array<ArrayBuffer>) : null,
    });
    const { response, replayed } = await ctx.services.idempotency.execute(
      {
        accountId: ctx.principal.accountId,
        key,
        fingerprint: requestFingerprint(method, ctx.url.pathname, bytes),
        operation: route.operationId,
      },
      async (txServices) => {
        try {
          return serialize(await route.handle({ ...ctx, request, services: txServices }));
        } catch (error) {
          return renderError(error, ctx.requestId, logger);
        }
      },
    );
    return { ...response, replayed };
  }

  return async function handle(request: Request, bindings?: NodeBindings): Promise<Response> {
    const started = performance.now();
    const requestId = newId("request");
    const url = new URL(request.url);
    let operation = "unmatched";
    let principal: Principal | undefined;
    let decision: RateLimitDecision | undefined;
    let outcome: Outcome;
    // Without a valid key the client's address carries the budget.
    const anonymous = `ip:${bindings?.incoming?.socket?.remoteAddress ?? "unknown"}`;
    try {
      const found = match(request.method, url.pathname);
      if (found.kind === "found") operation = found.route.operationId;
      if (found.kind === "found" && found.route.public) {
        decision = await limiter.consume(anonymous);
        throwIfLimited(decision);
        outcome = serialize(
          await found.route.handle({
            request,
            url,
            params: found.params,
            principal: { accountId: "", apiKeyId: "" },
            services,
            requestId,
          }),
        );
      } else {
        try {
          principal = await authenticate(request, services);
        } catch (error) {
          decision = await limiter.consume(anonymous);
          throwIfLimited(decision);
          throw error;
        }
        decision = await limiter.consume(`key:${principal.apiKeyId}`);
        throwIfLimited(decision);
        if (found.kind === "not_found") {
          throw new DomainError("route_not_found", `Unrecognized request URL (${request.method} ${url.pathname})`);
        }
        if (found.kind === "method_not_allowed") {
          const allow = found.allow.join(", ");
          outcome = renderError(
            new DomainError("method_not_allowed", `${request.method} is not allowed here; use ${allow}`),
            requestId,
            logger,
          );
          outcome.headers = { ...outcome.headers, allow };
        } else {
          if (found.params.account_id !== undefined && found.params.account_id !== principal.accountId) {
            throw new DomainError("account_mismatch", "This API key does not belong to the account in the path", {
              param: "account_id",
            });
          }
          // Every event a write of this request records names its API key and request id.
          const caller = services.as(apiKeyCaller(principal.apiKeyId, requestId));
          const ctx: RouteContext = { request, url, params: found.params, principal, services: caller, requestId };
          outcome =
            IDEMPOTENT_METHODS.has(request.method) && request.headers.has("idempotency-key")
              ? await idempotent(found.route, ctx)
              : serialize(await found.route.handle(ctx));
        }
      }
    } catch (error) {
      outcome = renderError(error, requestId, logger);
    }
    const response = finish(outcome, request, requestId, decision);
    logger?.info(
      {
        request_id: requestId,
        account_id: principal?.accountId,
        method: request.method,
        route: operation,
        status: response.status,
        duration_ms: Math.round((performance.now() - started) * 100) / 100,
        ...(outcome.replayed ? { idempotent_replayed: true } : {}),
      },
      "request",
    );
    return response;
  };
}

function renderError(error: unknown, requestId: string, logger: Logger | undefined): Outcome {
  let known = error instanceof DomainError ? error : databaseUnavailable(error);
  const headers: Record<string, string> = {};
  if (known === undefined) {
    // Never the error's message or stack: they may carry SQL or input. The log has the detail.
    logger?.error({ request_id: requestId, err: describe(error) }, "unhandled error");
    known = new DomainError("internal_error", "An unexpected error occurred; contact support with the request id");
  } else if (known.code === "database_unavailable") {
    if (!(error instanceof DomainError)) {
      logger?.error({ request_id: requestId, err: summarize(error) }, "database unavailable");
    }
    headers["retry-after"] = String(DATABASE_RETRY_AFTER_SECONDS);
  }
  if (known.status === 401) {
    headers["www-authenticate"] =
      known.code === "missing_api_key" ? 'Bearer realm="authpi"' : 'Bearer realm="authpi", error="invalid_token"';
  }
  // The unread rest of an oversized body would poison a kept-alive connection.
  if (known.code === "body_too_large") headers.connection = "close";
  return { status: known.status, body: JSON.stringify(errorBody(known, requestId)), headers };
}

/** Prisma's messages open with the calling code; the cause is on the last line. */
function summarize(error: unknown): Record<string, unknown> {
  const e = error as { name?: unknown; code?: unknown; message?: unknown };
  const lines = typeof e.message === "string" ? e.message.split("\n").filter((l) => l.trim()) : [];
  return { name: e.name, code: e.code, message: lines.at(-1) };
}

function describe(error: unknown): Record<string, unknown> {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { value: String(error) };
}
