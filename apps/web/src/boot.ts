import type { IncomingMessage, ServerResponse } from "node:http";
import { createApp, type Env } from "@authpi/server";
import { createAppServer } from "./app-server.ts";
import type { Logger } from "./logger.ts";
import { createOidcServer, OIDC_PREFIX } from "./oidc/mount.ts";

/**
 * What every server process starts with (server-main.ts, serve-api.ts): the app (keyring,
 * database, services, rate limiter; see createApp) logging through `logger`, its sign-in
 * attempt counters in the API rate limits' Redis so that every process counts the same
 * attempts, the OpenID Provider on it under `/oidc`, and the HTTP server (`/v1`, `/api/trpc`,
 * health; see createAppServer) with `otherwise` for every other path. A process that cannot
 * start (in production without AUTHPI_ENCRYPTION_KEYS, say) logs why and exits 1. Call
 * `server.listen` once `otherwise` can answer.
 */
export async function bootServer(
  env: Env,
  logger: Logger,
  options: {
    otherwise(req: IncomingMessage, res: ServerResponse): void;
    /** Runs at shutdown once the HTTP server has drained, before the provider and the database close. */
    onShutdown?: () => Promise<void>;
  },
) {
  const authpi = await createApp(env, {
    log: (line) => logger.info(line),
    onRateLimitStoreError: (error) =>
      logger.warn({ err: error instanceof Error ? error.message : String(error) }, "rate-limit store unavailable"),
    shareSignInCounters: true,
  }).catch((error: unknown) => {
    logger.fatal(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
  const oidc = await createOidcServer(authpi, logger);
  const server = createAppServer({
    env,
    logger,
    services: authpi.services,
    rateLimiter: authpi.rateLimiter,
    fallback(req, res) {
      if ((req.url ?? "/").startsWith(OIDC_PREFIX)) return oidc.handle(req, res);
      options.otherwise(req, res);
    },
    async onShutdown() {
      await options.onShutdown?.();
      await oidc.close();
      await authpi.close();
    },
  });
  return { authpi, server };
}
