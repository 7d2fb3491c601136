import { createServices, loadEnv, loadKeyring, openDatabase, publicUrl } from "@authpi/server";
import { getRequestListener } from "@hono/node-server";
import next from "next";
import { createAppServer, exitOnSignals } from "./src/app-server.ts";
import { createLogger } from "./src/logger.ts";
import { createOidcServer, OIDC_PREFIX } from "./src/oidc/mount.ts";
import { createTrpcHandler, TRPC_ENDPOINT } from "./src/trpc-server.ts";

/**
 * The one server entry (dev and production): `/v1/*` goes straight to the REST
 * fetch handler at bare-Node speed, everything else to Next.js.
 */
const dev = process.argv.includes("--dev");
const env = loadEnv();
const logger = createLogger({ level: env.LOG_LEVEL });

// Before anything else: in production without AUTHPI_ENCRYPTION_KEYS this refuses to start.
const keyring = await loadKeyring(env, { log: (line) => logger.info(line) }).catch((error: unknown) => {
  logger.fatal(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
const database = await openDatabase(env, { log: (line) => logger.info(line) });
const services = createServices(database.db, {
  deleteGraceDays: env.AUTHPI_DELETE_GRACE_DAYS,
  keyring,
  publicUrl: publicUrl(env),
});
const trpc = getRequestListener(
  createTrpcHandler({
    services,
    logger,
    production: env.NODE_ENV === "production",
    trustProxy: env.AUTHPI_TRUST_PROXY,
  }),
);

const oidc = await createOidcServer({ env, services, keyring, logger, databaseUrl: database.url });

const app = next({ dev, dir: import.meta.dirname, turbopack: dev });
await app.prepare();
const handleNext = app.getRequestHandler();

const appServer = createAppServer({
  env,
  logger,
  services,
  fallback(req, res) {
    if ((req.url ?? "/").startsWith(OIDC_PREFIX)) return oidc.handle(req, res);
    if ((req.url ?? "/").startsWith(`${TRPC_ENDPOINT}/`)) {
      void trpc(req, res);
      return;
    }
    void handleNext(req, res);
  },
  async onShutdown() {
    await app.close?.();
    await oidc.close();
    await database.close();
  },
});

await appServer.listen(env.PORT, env.HOST);
logger.info(
  { port: env.PORT, database: database.embedded ? "embedded" : "external", mode: dev ? "development" : "production" },
  `AuthPI listening on http://localhost:${env.PORT}`,
);

exitOnSignals(appServer, logger);
