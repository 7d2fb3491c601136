import { loadEnv } from "@authpi/server";
import { exitOnSignals } from "./app-server.ts";
import { bootServer } from "./boot.ts";
import { createLogger } from "./logger.ts";

/**
 * The API alone — `/v1`, `/api/trpc`, `/oidc`, `/healthz`, `/readyz` — without Next.js: for an
 * API-only deployment and for the tests that run several real server processes
 * on one database (`node --import tsx src/serve-api.ts`).
 */
const env = loadEnv();
const logger = createLogger({ level: env.LOG_LEVEL });
const { server: app } = await bootServer(env, logger, {
  otherwise: (_req, res) => res.writeHead(404, { "content-type": "application/json" }).end('{"status":"not_found"}'),
});
const address = await app.listen(env.PORT, env.HOST);
logger.info({ port: address.port, pid: process.pid }, "AuthPI API listening");

exitOnSignals(app, logger);
