import type { Principal, Services } from "@authpi/server";

export interface RouteContext {
  request: Request;
  url: URL;
  params: Record<string, string>;
  /** Undefined only on public routes. */
  principal: Principal;
  services: Services;
  requestId: string;
}

/** The `If-Match` header, when sent; PATCH and DELETE hand it to the service. */
export function ifMatch(ctx: RouteContext): string | undefined {
  return ctx.request.headers.get("if-match") ?? undefined;
}

export interface RouteResult {
  status: number;
  body?: unknown;
  etag?: string;
  headers?: Record<string, string>;
}

export interface Route {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** e.g. `/v1/accounts/:account_id/issuers/:issuer_id` */
  path: string;
  /** The OpenAPI operation id, also the route's name in logs. */
  operationId: string;
  /** Served without an API key (only the OpenAPI document is). */
  public?: boolean;
  handle(ctx: RouteContext): Promise<RouteResult>;
}

interface CompiledRoute extends Route {
  segments: string[];
}

export type RouteMatch =
  | { kind: "found"; route: Route; params: Record<string, string> }
  | { kind: "method_not_allowed"; allow: string[] }
  | { kind: "not_found" };

/** A tiny segment router: the API has ten routes, and a framework would cost more than it gives. */
export function createRouter(routes: Route[]) {
  const compiled: CompiledRoute[] = routes.map((r) => ({ ...r, segments: r.path.split("/").filter(Boolean) }));

  function matchPath(route: CompiledRoute, parts: string[]): Record<string, string> | null {
    if (route.segments.length !== parts.length) return null;
    const params: Record<string, string> = {};
    for (let i = 0; i < parts.length; i++) {
      const segment = route.segments[i] as string;
      const part = parts[i] as string;
      if (segment.startsWith(":")) {
        let value: string;
        try {
          value = decodeURIComponent(part);
        } catch {
          return null;
        }
        params[segment.slice(1)] = value;
      } else if (segment !== part) return null;
    }
    return params;
  }

  return function match(method: string, pathname: string): RouteMatch {
    const parts = pathname.split("/").filter(Boolean);
    const allow: string[] = [];
    for (const route of compiled) {
      const params = matchPath(route, parts);
      if (!params) continue;
      if (route.method === method || (method === "HEAD" && route.method === "GET")) {
        return { kind: "found", route, params };
      }
      allow.push(route.method);
    }
    return allow.length ? { kind: "method_not_allowed", allow } : { kind: "not_found" };
  };
}
