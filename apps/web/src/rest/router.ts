import type { AnyOperation } from "@authpi/api";

export interface RouteMatch {
  operation?: AnyOperation;
  params: Record<string, string>;
  /** The path exists with other methods: 405 with `Allow`. */
  allow?: string[];
}

interface Compiled {
  operation: AnyOperation;
  segments: string[];
}

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * A tiny segment router over the declared operations' paths (`{param}`
 * segments). It matches the raw request path: `.` and `..` segments, encoded
 * or not, are never resolved (a `%2e%2e` must not reach another route), they
 * match nothing; nor are empty segments dropped (`/issuers/` is not the list,
 * `/issuers//x` not `/issuers/x`): an empty segment matches nothing either.
 */
export function createRouter(operations: readonly AnyOperation[]) {
  const compiled: Compiled[] = operations.map((operation) => ({
    operation,
    segments: (operation.path ?? "").split("/").filter(Boolean),
  }));

  function matchPath(route: Compiled, parts: string[]): Record<string, string> | null {
    if (route.segments.length !== parts.length) return null;
    const params: Record<string, string> = {};
    for (let i = 0; i < parts.length; i++) {
      const segment = route.segments[i] as string;
      const part = parts[i] as string;
      if (segment.startsWith("{")) {
        const value = decode(part);
        if (value === undefined || value === "") return null;
        params[segment.slice(1, -1)] = value;
      } else if (segment !== part) return null;
    }
    return params;
  }

  return function match(method: string, pathname: string): RouteMatch {
    // The leading `/` is the only empty segment a path has.
    const parts = pathname.split("/").slice(1);
    if (parts.some((part) => decode(part) === "." || decode(part) === "..")) return { params: {} };
    const allow: string[] = [];
    for (const route of compiled) {
      const params = matchPath(route, parts);
      if (!params) continue;
      const declared = route.operation.method;
      if (declared === method || (method === "HEAD" && declared === "GET")) {
        return { operation: route.operation, params };
      }
      allow.push(declared);
    }
    return allow.length ? { params: {}, allow } : { params: {} };
  };
}
