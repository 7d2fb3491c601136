import path from "node:path";
import { loadEnv } from "@authpi/server";
import next from "next";
import { exitOnSignals } from "./app-server.ts";
import { bootServer } from "./boot.ts";
import { createLogger } from "./logger.ts";

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
const { authpi, server: appServer } = await bootServer(env, logger, {
  otherwise: (req, res) => void handleNext(req, res),
  onShutdown: async () => {
    await app.close?.();
  },
});

const app = next({ dev, dir: path.resolve(import.meta.dirname, ".."), turbopack: dev });
await app.prepare();
const handleNext = app.getRequestHandler();

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
