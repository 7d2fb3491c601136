import { createServer } from "node:http";
import { createServices, loadEnv, openDatabase } from "@authpi/server";
import { getRequestListener } from "@hono/node-server";
import next from "next";
import pino from "pino";
import { createRestHandler } from "./src/rest/handler.ts";
import { createTrpcHandler, TRPC_ENDPOINT } from "./src/trpc-server.ts";

/**
 * The one server entry (dev and production): `/v1/*` goes straight to the REST
 * fetch handler at bare-Node speed, everything else to Next.js.
 */
const dev = process.argv.includes("--dev");
const env = loadEnv();
const logger = pino({ level: env.LOG_LEVEL, base: undefined });

const database = await openDatabase(env, { log: (line) => logger.info(line) });
const services = createServices(database.db, { deleteGraceDays: env.AUTHPI_DELETE_GRACE_DAYS });
const rest = getRequestListener(createRestHandler({ services, logger }));
const trpc = getRequestListener(
  createTrpcHandler({ services, production: env.NODE_ENV === "production", trustProxy: env.AUTHPI_TRUST_PROXY }),
);

const app = next({ dev, dir: import.meta.dirname, turbopack: dev });
await app.prepare();
const handleNext = app.getRequestHandler();

const server = createServer((req, res) => {
  const url = req.url ?? "/";
  if (url === "/v1" || url.startsWith("/v1/") || url.startsWith("/v1?")) {
    void rest(req, res);
    return;
  }
  if (url.startsWith(`${TRPC_ENDPOINT}/`)) {
    void trpc(req, res);
    return;
  }
  if (url === "/healthz") {
    res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
    return;
  }
  void handleNext(req, res);
});

const purgeTimer = setInterval(() => {
  services.issuers.purgeExpired().then(
    (count) => count > 0 && logger.info({ purged: count }, "purged deleted issuers"),
    (error: unknown) => logger.error({ err: String(error) }, "purge failed"),
  );
}, env.AUTHPI_PURGE_INTERVAL_SECONDS * 1000);
purgeTimer.unref();

server.listen(env.PORT, env.HOST, () => {
  logger.info(
    { port: env.PORT, database: database.embedded ? "embedded" : "external", mode: dev ? "development" : "production" },
    `AuthPI listening on http://localhost:${env.PORT}`,
  );
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "shutting down");
  clearInterval(purgeTimer);
  server.close();
  server.closeIdleConnections();
  await new Promise<void>((resolve) => server.once("close", resolve));
  await app.close?.();
  await database.close();
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
