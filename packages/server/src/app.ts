import { type Database, openDatabase } from "./database.ts";
import { type Env, publicUrl } from "./env.ts";
import { createRateLimiter, type RateLimiter } from "./rate-limit/limiter.ts";
import { type Keyring, loadKeyring } from "./secrets/keyring.ts";
import { createServices, type Services } from "./services.ts";

export interface App {
  env: Env;
  database: Database;
  keyring: Keyring | undefined;
  services: Services;
  /** The per-API-key budgets of every door (in memory, or Redis with REDIS_URL). */
  rateLimiter: RateLimiter;
  close(): Promise<void>;
}

export interface CreateAppOptions {
  log?: (line: string) => void;
  /** Told when the rate-limit store (Redis) fails; the limiter then counts in memory. */
  onRateLimitStoreError?: (error: unknown) => void;
  /**
   * Commands that never touch a secret (bootstrap, purge) run without a keyring
   * when none can be loaded; the server and rotate-secrets require one.
   */
  keyring?: "required" | "optional";
  /**
   * Serving processes count operator sign-in attempts in the API rate limits' Redis (with
   * REDIS_URL), so every process sees the same attempts; a CLI command never connects to it.
   */
  shareSignInCounters?: boolean;
}

/**
 * The composition root: the environment becomes a keyring, a database (migrated)
 * and the services wired to them, plus the rate limiter. Every entry uses it —
 * server-main.ts, serve-api.ts, the CLI — so none can forget a piece (the keyring).
 */
export async function createApp(env: Env, options: CreateAppOptions = {}): Promise<App> {
  const log = options.log;
  // Before the database: in production without AUTHPI_ENCRYPTION_KEYS this refuses to start.
  const keyring = await loadKeyring(env, { log }).catch((error: unknown) => {
    if (options.keyring === "optional") return undefined;
    throw error;
  });
  const database = await openDatabase(env, { log });
  const services = createServices(database.db, {
    deleteGraceDays: env.AUTHPI_DELETE_GRACE_DAYS,
    keyring,
    adminAuth: options.shareSignInCounters
      ? {
          redisUrl: env.REDIS_URL,
          keyPrefix: env.AUTHPI_RATE_LIMIT_PREFIX,
          onStoreError: options.onRateLimitStoreError,
        }
      : {},
    publicUrl: publicUrl(env),
  });
  // Built on first use: a CLI command never connects to Redis.
  let rateLimiter: RateLimiter | undefined;
  return {
    env,
    database,
    keyring,
    services,
    get rateLimiter() {
      rateLimiter ??= createRateLimiter({
        perSecond: env.AUTHPI_RATE_LIMIT_PER_SECOND,
        burst: env.AUTHPI_RATE_LIMIT_BURST,
        redisUrl: env.REDIS_URL,
        keyPrefix: env.AUTHPI_RATE_LIMIT_PREFIX,
        onStoreError: options.onRateLimitStoreError,
      });
      return rateLimiter;
    },
    async close() {
      await rateLimiter?.close();
      await services.adminAuth.close();
      await database.close();
    },
  };
}
