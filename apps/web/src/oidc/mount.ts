import path from "node:path";
import {
  type App,
  createMailer,
  createProviderPool,
  createSignInAttempts,
  createSmsSender,
  publicUrl,
} from "@authpi/server";
import type { Logger } from "../logger.ts";
import { createSignInDeps } from "./deps.ts";
import { createOidcHandler } from "./handler.ts";
import { providerPages } from "./pages.ts";

export { OIDC_PREFIX } from "./handler.ts";

/** Everything `/oidc/…` needs, built once by the server entry: the provider pool and the handler. */
export async function createOidcServer(app: App, logger: Logger) {
  const { env, services, keyring } = app;
  if (!keyring) throw new Error("The OpenID Providers need the encryption keyring (signing keys, cookies)");
  const pool = createProviderPool(services.db, {
    db: services.db,
    clients: services.clients,
    users: services.users,
    keyring,
    signingKeys: services.oidc.signingKeys,
    publicUrl: () => publicUrl(env),
    databaseUrl: app.database.url,
    trustProxy: env.AUTHPI_TRUST_PROXY,
    log: (level, message) => logger[level](message),
    ...providerPages,
  });
  await pool.start();
  const outboxDir = path.join(env.AUTHPI_DATA_DIR, "outbox");
  const log = (message: string, fields?: Record<string, unknown>) => logger.info(fields ?? {}, message);
  const mailer = createMailer({ smtpUrl: env.SMTP_URL, from: env.SMTP_FROM, outboxDir, log });
  const sms = createSmsSender({ webhookUrl: env.SMS_WEBHOOK_URL, outboxDir, log });
  const attempts = createSignInAttempts({ redisUrl: env.REDIS_URL, keyPrefix: env.AUTHPI_RATE_LIMIT_PREFIX });
  const handle = createOidcHandler(
    createSignInDeps({ services, pool, keyring, mailer, sms, attempts, logger, trustProxy: env.AUTHPI_TRUST_PROXY }),
  );
  return {
    handle,
    async close() {
      mailer.close();
      await attempts.close();
      await pool.close();
    },
  };
}
