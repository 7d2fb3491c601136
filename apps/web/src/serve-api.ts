import { createApp, loadEnv } from "@authpi/server";
import { createAppServer, exitOnSignals } from "./app-server.ts";
import { createLogger } from "./logger.ts";
import { createOidcServer, OIDC_PREFIX } from "./oidc/mount.ts";

/**
 * The API alone — `/v1`, `/api/trpc`, `/oidc`, `/healthz`, `/readyz` — without Next.js: for an
 * API-only deployment and for the tests that run several real server processes
 * on one database (`node --import tsx src/serve-api.ts`).
 */
const env = loadEnv();
const logger = createLogger({ level: env.LOG_LEVEL });
const authpi = await createApp(env, {
  log: (line) => logger.info(line),
  onRateLimitStoreError: (error) =>
    logger.warn({ err: error instanceof Error ? error.message : String(error) }, "rate-limit store unavailable"),
  shareSignInCounters: true,
});
const oidc = await createOidcServer(authpi, logger);
const app = createAppServer({
  env,
  logger,
  services: authpi.services,
  rateLimiter: authpi.rateLimiter,
  fallback(req, res) {
    if ((req.url ?? "/").startsWith(OIDC_PREFIX)) return oidc.handle(req, res);
    res.writeHead(404, { "content-type": "application/json" }).end('{"status":"not_found"}');
  },
  async onShutdown() {
    await oidc.close();
    await authpi.close();
  },
});
const address = await app.listen(env.PORT, env.HOST);
logger.info({ port: address.port, pid: process.pid }, "AuthPI API listening");

exitOnSignals(app, logger);
