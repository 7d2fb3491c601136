import path from "node:path";
import { z } from "zod";

const REPO_ROOT = path.resolve(import.meta.dirname, "../../..");

const intFromEnv = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);

/** Every setting AuthPI reads from the environment, validated once. Nothing else reads process.env. */
const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: intFromEnv(3000, 1),
  HOST: z.string().default("0.0.0.0"),
  /** A PostgreSQL server; when unset, the embedded database is used. */
  DATABASE_URL: z.string().min(1).optional(),
  DATABASE_POOL_SIZE: intFromEnv(10, 1),
  AUTHPI_DATA_DIR: z.string().default(path.join(REPO_ROOT, ".data")),
  AUTHPI_EMBEDDED_PG_PORT: intFromEnv(54320, 1),
  AUTHPI_DELETE_GRACE_DAYS: intFromEnv(30, 0),
  AUTHPI_PURGE_INTERVAL_SECONDS: intFromEnv(3600, 1),
  /**
   * Keys that encrypt auth method secrets at rest, newest first: comma-separated `kid:base64key`
   * (32-byte keys). Required in production; elsewhere one is generated into the data folder.
   */
  AUTHPI_ENCRYPTION_KEYS: z.string().min(1).optional(),
  /** The single-key form of AUTHPI_ENCRYPTION_KEYS (`kid:base64key` or a bare base64 key). */
  AUTHPI_ENCRYPTION_KEY: z.string().min(1).optional(),
  /** Behind a TLS-terminating proxy: trust X-Forwarded-Proto/-For (Secure cookie, client IP). */
  AUTHPI_TRUST_PROXY: z.stringbool().default(false),
  /** Per API key: tokens per second (sustained rate) and bucket size (burst). */
  AUTHPI_RATE_LIMIT_PER_SECOND: intFromEnv(100, 1),
  AUTHPI_RATE_LIMIT_BURST: intFromEnv(200, 1),
  /** Redis key prefix of the rate-limit buckets (tests give each run its own). */
  AUTHPI_RATE_LIMIT_PREFIX: z.string().default("authpi:rl"),
  /** When set, every server process shares one rate-limit budget per API key through Redis. */
  REDIS_URL: z.string().min(1).optional(),
  /** On SIGTERM, how long in-flight requests may take before connections are cut. */
  AUTHPI_SHUTDOWN_TIMEOUT_SECONDS: intFromEnv(10, 0),
  /**
   * The public origin of this server: every issuer's OpenID Provider is `{AUTHPI_PUBLIC_URL}/oidc/{issuer_id}`
   * (its `iss`). Defaults to `http://localhost:{PORT}`.
   */
  AUTHPI_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Mail for the hosted sign-in pages (verification codes). Without it mail goes to the log and `.data/outbox/`. */
  SMTP_URL: z.string().min(1).optional(),
  /** The From address of that mail. */
  SMTP_FROM: z.string().min(1).default("AuthPI <no-reply@authpi.local>"),
  /** Text messages of the hosted sign-in (sms_otp codes): a JSON POST of `{to, body}`. Without it, the log and `.data/outbox/`. */
  SMS_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type Env = z.infer<typeof EnvSchema>;

/** The origin every issuer URL starts with (no trailing slash). */
export function publicUrl(env: Pick<Env, "AUTHPI_PUBLIC_URL" | "PORT">): string {
  return (env.AUTHPI_PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, "");
}

export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const result = EnvSchema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`Invalid environment: ${problems}`);
  }
  return result.data;
}

export { REPO_ROOT };
