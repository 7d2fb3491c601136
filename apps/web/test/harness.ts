import type { AddressInfo } from "node:net";
import { type Clock, createRateLimiter, loadEnv, type RateLimiter } from "@authpi/server";
import { type ServiceHarness, serviceHarness, type TestAccount } from "@authpi/server/testing";
import { createAppServer } from "../src/app-server.ts";
import { createLogger } from "../src/logger.ts";
import { createResponseValidator, type ResponseValidator } from "./openapi-validator.ts";

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as-is instead of JSON-encoding `body`. */
  rawBody?: string | Uint8Array<ArrayBuffer>;
  headers?: Record<string, string>;
  /** Overrides the account's key; `null` sends no Authorization header. */
  apiKey?: string | null;
}

export interface ApiHarness extends ServiceHarness {
  baseUrl: string;
  account: TestAccount;
  /** `path` is relative to `/v1/accounts/{account_id}` unless it starts with `/v1`. */
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  logLines: string[];
}

/** Built once per test file: every harness checks its responses against the OpenAPI document. */
const defaultValidator = createResponseValidator();

/**
 * The production HTTP server (createAppServer: the REST and tRPC doors over one
 * pipeline) on a real port over the run's real database,
 * with a fresh account and API key. Every response it receives is checked against
 * the OpenAPI document (`validator`; see openapi-validator.ts).
 */
export async function apiHarness(
  options: {
    clock?: Clock;
    validator?: ResponseValidator;
    /** Defaults to one so generous that no other test meets a 429. */
    rateLimiter?: RateLimiter;
  } = {},
): Promise<ApiHarness> {
  const validator = options.validator ?? defaultValidator;
  const harness = serviceHarness(options);
  const account = await harness.newAccount();
  const logLines: string[] = [];
  // The server's own logger (with its redaction), writing into logLines.
  const logger = createLogger({ level: "debug", destination: { write: (line) => logLines.push(line.trimEnd()) } });
  const rateLimiter = options.rateLimiter ?? createRateLimiter({ perSecond: 1_000_000, burst: 1_000_000 });
  const app = createAppServer({
    env: { ...loadEnv({}), NODE_ENV: "test" },
    logger,
    services: harness.services,
    rateLimiter,
  });
  const { server } = app;
  const address = await app.listen(0, "127.0.0.1");
  const baseUrl = `http://127.0.0.1:${(address as AddressInfo).port}`;

  async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    const url = path.startsWith("/v1") ? `${baseUrl}${path}` : `${baseUrl}/v1/accounts/${account.accountId}${path}`;
    const headers: Record<string, string> = { ...opts.headers };
    const key = opts.apiKey === undefined ? account.apiKey : opts.apiKey;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    let body: string | Uint8Array<ArrayBuffer> | undefined = opts.rawBody;
    if (body === undefined && opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers["content-type"] ??= "application/json";
    }
    const response = await fetch(url, { method, headers, body });
    const text = await response.text();
    validator.assert({ method, url, status: response.status, headers: response.headers, text });
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }

  return {
    ...harness,
    baseUrl,
    account,
    request,
    logLines,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await harness.close();
      // Every API test file checks its own server log: no API key, password or private key, ever.
      const leaked = logLines.filter(
        (line) =>
          line.includes(account.apiKey) ||
          line.includes(account.adminPassword) ||
          /sk_[0-9A-Za-z]{20,}|BEGIN [A-Z ]*PRIVATE KEY/.test(line),
      );
      if (leaked.length > 0) throw new Error(`${leaked.length} log line(s) carry a secret:\n${leaked[0]}`);
    },
  };
}
