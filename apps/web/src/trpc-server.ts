import { DomainError } from "@authpi/domain";
import type { Services } from "@authpi/server";
import { appRouter, createContext } from "@authpi/trpc";
import type { Http2Bindings, HttpBindings } from "@hono/node-server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";

export const TRPC_ENDPOINT = "/api/trpc";

export interface TrpcHandlerOptions {
  services: Services;
  /** NODE_ENV=production: the session cookie is then `Secure` whenever the request came over https. */
  production: boolean;
  /** Trust `X-Forwarded-Proto` / `X-Forwarded-For` from a TLS-terminating proxy in front. */
  trustProxy?: boolean;
  /** Where unexpected errors go; the caller only ever sees "An unexpected error occurred". */
  logger?: { error(fields: Record<string, unknown>, message?: string): void };
}

/**
 * The tRPC router as a fetch handler, served by the server entry next to `/v1`
 * (not a Next.js route handler): the admin UI and internal services call it.
 */
export function createTrpcHandler(options: TrpcHandlerOptions) {
  return function handle(req: Request, bindings?: HttpBindings | Http2Bindings): Promise<Response> {
    const forwarded = options.trustProxy ? req.headers.get("x-forwarded-proto") : null;
    const https = new URL(req.url).protocol === "https:" || forwarded === "https";
    const ip =
      (options.trustProxy ? req.headers.get("x-forwarded-for")?.split(",")[0]?.trim() : undefined) ??
      bindings?.incoming?.socket.remoteAddress;
    return fetchRequestHandler({
      endpoint: TRPC_ENDPOINT,
      req,
      router: appRouter,
      createContext: ({ resHeaders }) =>
        createContext({ services: options.services, req, resHeaders, ip, secureCookies: options.production && https }),
      onError({ error, path }) {
        if (error.code !== "INTERNAL_SERVER_ERROR" || error.cause instanceof DomainError) return;
        const cause = error.cause ?? error;
        options.logger?.error(
          {
            procedure: path,
            err:
              cause instanceof Error ? { name: cause.name, message: cause.message, stack: cause.stack } : String(cause),
          },
          "unhandled tRPC error",
        );
      },
    });
  };
}
