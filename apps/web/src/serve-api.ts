import { createServices, loadEnv, loadKeyring, openDatabase } from "@authpi/server";
import { createAppServer, exitOnSignals } from "./app-server.ts";
import { createLogger } from "./logger.ts";

/**
 * The API alone — `/v1`, `/healthz`, `/readyz` — without Next.js: for an
 * API-only deployment and for the tests that run several real server processes
 * on one database (`node --import tsx src/serve-api.ts`).
 */
const env = loadEnv();
const logger = createLogger({ level: env.LOG_LEVEL });
const keyring = await loadKeyring(env, { log: (line) => logger.info(line) });
const database = await openDatabase(env, { log: (line) => logger.info(line) });
const services = createServices(database.db, { deleteGraceDays: env.AUTHPI_DELETE_GRACE_DAYS, keyring });
const app = createAppServer({ env, logger, services, onShutdown: () => database.close() });
const address = await app.listen(env.PORT, env.HOST);
logger.info({ port: address.port, pid: process.pid }, "AuthPI API listening");

exitOnSignals(app, logger);
