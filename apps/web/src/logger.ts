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

/** Cheap first look: a string without any of these cannot match SECRET_VALUES. */
const MAYBE_SECRET = /sk_|-----BEGIN|bearer/i;

export function scrubString(value: string): string {
  if (!MAYBE_SECRET.test(value)) return value;
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
 * The server's JSON logger. A scrub of every logged object and message
 * censors sensitive field names at any depth (every path pino's `redact`
 * would name, and more) and masks anything shaped like an API key, a Bearer
 * token or a private key. Request and response bodies are never logged in the
 * first place.
 */
export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  const config: LoggerOptions = {
    level: options.level ?? "info",
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
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
