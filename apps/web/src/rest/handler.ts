import { DomainError, ifNoneMatchSatisfied, newId } from "@authpi/domain";
import type { Principal, Services } from "@authpi/server";
import { authMethodRoutes } from "./auth-method-routes.ts";
import { issuerRoutes } from "./issuer-routes.ts";
import { errorResponse, json } from "./respond.ts";
import { createRouter, type Route, type RouteResult } from "./router.ts";

export interface Logger {
  info(fields: Record<string, unknown>, message?: string): void;
  error(fields: Record<string, unknown>, message?: string): void;
}

export interface RestOptions {
  services: Services;
  logger?: Logger;
}

export const routes: Route[] = [...issuerRoutes, ...authMethodRoutes];

const BEARER = /^Bearer\s+(\S+)\s*$/i;

async function authenticate(request: Request, services: Services): Promise<Principal> {
  const header = request.headers.get("authorization");
  if (!header) {
    throw new DomainError("missing_api_key", "No API key provided; send it as Authorization: Bearer sk_…");
  }
  const token = BEARER.exec(header)?.[1];
  if (!token) throw new DomainError("invalid_api_key", "The Authorization header must be Bearer sk_…");
  return services.apiKeys.authenticate(token);
}

function render(result: RouteResult, requestId: string, request: Request): Response {
  const headers: Record<string, string> = { ...result.headers, "request-id": requestId };
  if (result.etag) headers.etag = result.etag;
  if (result.status === 204) return new Response(null, { status: 204, headers });
  if (request.method === "GET" && result.etag) {
    const ifNoneMatch = request.headers.get("if-none-match");
    if (ifNoneMatch !== null && ifNoneMatchSatisfied(ifNoneMatch, result.etag)) {
      return new Response(null, { status: 304, headers });
    }
  }
  return json(result.status, result.body, headers);
}

/**
 * The `/v1` REST adapter: a framework-free fetch handler. It parses and renders;
 * every rule lives in the domain package and the services.
 */
export function createRestHandler(options: RestOptions): (request: Request) => Promise<Response> {
  const { services, logger } = options;
  const match = createRouter(routes);

  return async function handle(request: Request): Promise<Response> {
    const started = performance.now();
    const requestId = newId("request");
    const url = new URL(request.url);
    let operation = "unmatched";
    let accountId: string | undefined;
    let response: Response;
    try {
      const found = match(request.method, url.pathname);
      if (found.kind === "found" && found.route.public) {
        const result = await found.route.handle({
          request,
          url,
          params: found.params,
          principal: { accountId: "", apiKeyId: "" },
          services,
          requestId,
        });
        return render(result, requestId, request);
      }
      const principal = await authenticate(request, services);
      accountId = principal.accountId;
      if (found.kind === "not_found") {
        throw new DomainError("route_not_found", `Unrecognized request URL (${request.method} ${url.pathname})`);
      }
      if (found.kind === "method_not_allowed") {
        const allow = found.allow.join(", ");
        response = errorResponse(
          new DomainError("method_not_allowed", `${request.method} is not allowed here; use ${allow}`),
          requestId,
          { allow, "request-id": requestId },
        );
      } else {
        operation = found.route.operationId;
        if (found.params.account_id !== undefined && found.params.account_id !== principal.accountId) {
          throw new DomainError("account_mismatch", "This API key does not belong to the account in the path", {
            param: "account_id",
          });
        }
        const result = await found.route.handle({
          request,
          url,
          params: found.params,
          principal,
          services,
          requestId,
        });
        response = render(result, requestId, request);
      }
    } catch (error) {
      response = renderError(error, requestId, logger);
    }
    logger?.info(
      {
        request_id: requestId,
        account_id: accountId,
        method: request.method,
        route: operation,
        status: response.status,
        duration_ms: Math.round((performance.now() - started) * 100) / 100,
      },
      "request",
    );
    return response;
  };
}

function renderError(error: unknown, requestId: string, logger: Logger | undefined): Response {
  if (error instanceof DomainError) {
    const headers: Record<string, string> = { "request-id": requestId };
    if (error.status === 401) {
      headers["www-authenticate"] =
        error.code === "missing_api_key" ? 'Bearer realm="authpi"' : 'Bearer realm="authpi", error="invalid_token"';
    }
    return errorResponse(error, requestId, headers);
  }
  // Never the error's message or stack: they may carry SQL or input. The log has the detail.
  logger?.error({ request_id: requestId, err: describe(error) }, "unhandled error");
  return errorResponse(
    new DomainError("internal_error", "An unexpected error occurred; contact support with the request id"),
    requestId,
    { "request-id": requestId },
  );
}

function describe(error: unknown): Record<string, unknown> {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { value: String(error) };
}
