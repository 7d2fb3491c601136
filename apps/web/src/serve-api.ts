import { createServices, loadEnv, loadKeyring, openDatabase, publicUrl } from "@authpi/server";
import { createAppServer, exitOnSignals } from "./app-server.ts";
import { createLogger } from "./logger.ts";
import { createOidcServer, OIDC_PREFIX } from "./oidc/mount.ts";

/**
 * The API alone — `/v1`, `/oidc`, `/healthz`, `/readyz` — without Next.js: for an
 * API-only deployment and for the tests that run several real server processes
 * on one database (`node --import tsx src/serve-api.ts`).
 */
const env = loadEnv();
const logger = createLogger({ level: env.LOG_LEVEL });
const keyring = await loadKeyring(env, { log: (line) => logger.info(line) });
const database = await openDatabase(env, { log: (line) => logger.info(line) });
const services = createServices(database.db, {
  deleteGraceDays: env.AUTHPI_DELETE_GRACE_DAYS,
  keyring,
  publicUrl: publicUrl(env),
});
const oidc = await createOidcServer({ env, services, keyring, logger, databaseUrl: database.url });
const app = createAppServer({
  env,
  logger,
  services,
  fallback(req, res) {
    if ((req.url ?? "/").startsWith(OIDC_PREFIX)) return oidc.handle(req, res);
    res.writeHead(404, { "content-type": "application/json" }).end('{"status":"not_found"}');
  },
  async onShutdown() {
    await oidc.close();
    await database.close();
  },
});
const address = await app.listen(env.PORT, env.HOST);
logger.info({ port: address.port, pid: process.pid }, "AuthPI API listening");

exitOnSignals(app, logger);
