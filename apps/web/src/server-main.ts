import path from "node:path";
import { createApp, loadEnv } from "@authpi/server";
import next from "next";
import { createAppServer, exitOnSignals } from "./app-server.ts";
import { createLogger } from "./logger.ts";
import { createOidcServer, OIDC_PREFIX } from "./oidc/mount.ts";

/**
 * The server (dev and production), started by `server.mjs`: `/v1/*` goes
 * straight to the REST door, `/api/trpc` to the tRPC door, `/oidc` to the
 * OpenID Provider, everything else to Next.js.
 */
const dev = process.argv.includes("--dev");
/** Set by scripts/build-server.mjs in the bundle; the sources leave it undeclared. */
declare const __AUTHPI_COMPILED__: boolean | undefined;
const code = typeof __AUTHPI_COMPILED__ === "boolean" ? "compiled" : "sources";
const env = loadEnv();
const logger = createLogger({ level: env.LOG_LEVEL });

// Before anything else: in production without AUTHPI_ENCRYPTION_KEYS this refuses to start.
const authpi = await createApp(env, {
  log: (line) => logger.info(line),
  onRateLimitStoreError: (error) =>
    logger.warn({ err: error instanceof Error ? error.message : String(error) }, "rate-limit store unavailable"),
  // Sign-in attempt counters share the API rate limits' Redis, so every process counts the same attempts.
  shareSignInCounters: true,
}).catch((error: unknown) => {
  logger.fatal(error instanceof Error ? error.message : String(error));
  process.exit(1);
});

const oidc = await createOidcServer(authpi, logger);

const app = next({ dev, dir: path.resolve(import.meta.dirname, ".."), turbopack: dev });
await app.prepare();
const handleNext = app.getRequestHandler();

const appServer = createAppServer({
  env,
  logger,
  services: authpi.services,
  rateLimiter: authpi.rateLimiter,
  fallback(req, res) {
    if ((req.url ?? "/").startsWith(OIDC_PREFIX)) return oidc.handle(req, res);
    void handleNext(req, res);
  },
  async onShutdown() {
    await app.close?.();
    await oidc.close();
    await authpi.close();
  },
});

await appServer.listen(env.PORT, env.HOST);
logger.info(
  {
    port: env.PORT,
    database: authpi.database.embedded ? "embedded" : "external",
    mode: dev ? "development" : "production",
    code,
  },
  `AuthPI listening on http://localhost:${env.PORT}`,
);

exitOnSignals(appServer, logger);
