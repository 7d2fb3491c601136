import pino, { type DestinationStream, type Logger, type LoggerOptions } from "pino";

export type { Logger };

const CENSOR = "[redacted]";
/** Field names whose values are never logged, at any depth. */
const SENSITIVE_KEY = /password|passphrase|secret|authorization|api[_-]?key|private[_-]?key|cookie|credential|^token$/i;
/** Values that look like an API key or a PEM private key, wherever they appear (a message, an error). */
const SECRET_VALUES: RegExp[] = [
  /sk_[0-9A-Za-z]{8,}/g,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /Bearer\s+\S+/gi,
];

/** The paths pino's fast redaction removes before anything else sees the object. */
export const REDACT_PATHS = [
  "authorization",
  "password",
  "api_key",
  "client_secret",
  "private_key",
  "headers.authorization",
  "headers.cookie",
  "req.headers.authorization",
  "req.headers.cookie",
  "*.authorization",
  "*.password",
  "*.api_key",
  "*.client_secret",
  "*.private_key",
  "*.*.client_secret",
  "*.*.private_key",
];

export function scrubString(value: string): string {
  let out = value;
  for (const pattern of SECRET_VALUES) out = out.replace(pattern, CENSOR);
  return out;
}

/** A copy with every sensitive field censored and every secret-looking string masked. */
export function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return scrubString(value);
  if (depth > 8 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SENSITIVE_KEY.test(key) ? CENSOR : scrub(item, depth + 1);
  }
  return out;
}

/**
 * The server's JSON logger. Two layers keep secrets out: pino's path
 * redaction, then a scrub of every logged object and message that censors
 * sensitive field names at any depth and masks anything shaped like an API
 * key, a Bearer token or a private key. Request and response bodies are never
 * logged in the first place.
 */
export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  const config: LoggerOptions = {
    level: options.level ?? "info",
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: CENSOR },
    formatters: {
      log: (object) => scrub(object) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        const cleaned = args.map((arg) => (typeof arg === "string" ? scrubString(arg) : arg));
        return method.apply(this, cleaned as Parameters<typeof method>);
      },
    },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}
