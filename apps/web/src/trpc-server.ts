import { createPipeline, errorBody, type Logger, type Pipeline } from "@authpi/api";
import { DomainError, newId } from "@authpi/domain";
import type { RateLimiter, Services } from "@authpi/server";
import { appRouter, createContext } from "@authpi/trpc";
import type { Http2Bindings, HttpBindings } from "@hono/node-server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { readLimited } from "./rest/body.ts";

export const TRPC_ENDPOINT = "/api/trpc";

/** At most this many calls in one batched request; each counts against the caller's budget. */
export const MAX_BATCH_SIZE = 10;

export interface TrpcHandlerOptions {
  services: Services;
  /** NODE_ENV=production: the session cookie is then `Secure` whenever the request came over https. */
  production: boolean;
  /** Trust `X-Forwarded-Proto` / `X-Forwarded-For` from a TLS-terminating proxy in front. */
  trustProxy?: boolean;
  logger?: Logger;
  rateLimiter?: RateLimiter;
  /** The pipeline shared with the REST door (one limiter, one log); built from the options when omitted. */
  pipeline?: Pipeline;
}

function refuse(error: DomainError, requestId: string): Response {
  return new Response(JSON.stringify(errorBody(error, requestId)), {
    status: error.status,
    headers: { "content-type": "application/json; charset=utf-8", "request-id": requestId, connection: "close" },
  });
}

/**
 * The tRPC door, served by the server entry next to `/v1` (not a Next.js
 * route handler): the admin UI and internal services call it. The body is
 * capped here like on `/v1`; batches are capped and sign-in refuses them;
 * every call then runs through the shared pipeline (see trpc.ts).
 */
export function createTrpcHandler(options: TrpcHandlerOptions) {
  const pipeline = options.pipeline ?? createPipeline(options);
  return async function handle(req: Request, bindings?: HttpBindings | Http2Bindings): Promise<Response> {
    const requestId = newId("request");
    const forwarded = options.trustProxy ? req.headers.get("x-forwarded-proto") : null;
    const https = new URL(req.url).protocol === "https:" || forwarded === "https";
    const ip =
      (options.trustProxy ? req.headers.get("x-forwarded-for")?.split(",")[0]?.trim() : undefined) ??
      bindings?.incoming?.socket.remoteAddress;
    let request = req;
    if (req.method === "POST") {
      // The same 100 KB cap as /v1, before tRPC reads (and parses) anything.
      let bytes: Uint8Array;
      try {
        bytes = await readLimited(req);
      } catch (error) {
        if (error instanceof DomainError) return refuse(error, requestId);
        options.logger?.warn({ request_id: requestId, door: "trpc", aborted: true }, "request aborted by the client");
        return new Response(null, { status: 499 });
      }
      request = new Request(req.url, {
        method: "POST",
        headers: req.headers,
        body: bytes.byteLength ? (bytes as Uint8Array<ArrayBuffer>) : null,
      });
    }
    return fetchRequestHandler({
      endpoint: TRPC_ENDPOINT,
      req: request,
      router: appRouter,
      maxBatchSize: MAX_BATCH_SIZE,
      createContext: ({ resHeaders, info }) =>
        createContext({
          pipeline,
          req: request,
          resHeaders,
          ip,
          secureCookies: options.production && https,
          requestId,
          inBatch: info.isBatchCall && info.calls.length > 1,
        }),
      onError({ error, path }) {
        if (error.code !== "INTERNAL_SERVER_ERROR" || error.cause instanceof DomainError) return;
        const cause = error.cause ?? error;
        options.logger?.error(
          {
            request_id: requestId,
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
