import type { Services } from "@authpi/server";

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

export function isHealthPath(url: string): boolean {
  const path = url.split("?")[0];
  return path === "/healthz" || path === "/readyz";
}

/**
 * `/healthz`: the process answers (liveness). `/readyz`: it should get traffic —
 * the database answers, every migration is applied, and it is not shutting down.
 */
export function createHealthHandler(services: Services, options: { draining?: () => boolean } = {}) {
  return async function health(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path === "/healthz") return json(200, { status: "ok" });
    if (path === "/readyz") {
      if (options.draining?.()) {
        return json(503, { status: "shutting_down", checks: {} }, { "retry-after": "1" });
      }
      const readiness = await services.health.readiness();
      return readiness.ready
        ? json(200, { status: "ready", checks: readiness.checks })
        : json(503, { status: "unavailable", checks: readiness.checks }, { "retry-after": "2" });
    }
    return json(404, { status: "not_found" });
  };
}
