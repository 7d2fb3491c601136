import type { AddressInfo } from "node:net";
import { type Clock, createRateLimiter, loadEnv, type RateLimiter } from "@authpi/server";
import { type ServiceHarness, serviceHarness, type TestAccount } from "@authpi/server/testing";
import type { AppRouter } from "@authpi/trpc";
import { createTRPCClient, httpLink } from "@trpc/client";
import { createAppServer } from "../src/app-server.ts";
import { createLogger } from "../src/logger.ts";
import { TRPC_ENDPOINT } from "../src/trpc-server.ts";

export interface TrpcHarness extends ServiceHarness {
  baseUrl: string;
  /** The server's log lines (JSON): access lines, unexpected errors. */
  logLines: string[];
  account: TestAccount;
  /** A typed client that sends `headers()` with each call (an API key, a session cookie). */
  client(headers?: () => Record<string, string>): ReturnType<typeof createTRPCClient<AppRouter>>;
  /** Signs in over HTTP and returns the `Set-Cookie` header and the cookie pair to send back. */
  signIn(email: string, password: string): Promise<{ setCookie: string; cookie: string; status: number }>;
}

/**
 * The production HTTP server (createAppServer: `/api/trpc` and `/v1` through
 * one pipeline, one rate limiter) on a real port, over the run's database.
 */
export async function trpcHarness(
  options: { production?: boolean; clock?: Clock; rateLimiter?: RateLimiter } = {},
): Promise<TrpcHarness> {
  const harness = serviceHarness(options.clock ? { clock: options.clock } : {});
  const account = await harness.newAccount();
  const logLines: string[] = [];
  const logger = createLogger({ level: "debug", destination: { write: (line) => logLines.push(line.trimEnd()) } });
  const app = createAppServer({
    env: { ...loadEnv({}), NODE_ENV: options.production ? "production" : "test" },
    logger,
    services: harness.services,
    rateLimiter: options.rateLimiter ?? createRateLimiter({ perSecond: 1_000_000, burst: 1_000_000 }),
  });
  const address = await app.listen(0, "127.0.0.1");
  const baseUrl = `http://127.0.0.1:${(address as AddressInfo).port}`;

  return {
    ...harness,
    baseUrl,
    account,
    logLines,
    client(headers = () => ({})) {
      return createTRPCClient<AppRouter>({ links: [httpLink({ url: `${baseUrl}${TRPC_ENDPOINT}`, headers })] });
    },
    async signIn(email, password) {
      const response = await fetch(`${baseUrl}${TRPC_ENDPOINT}/auth.signIn`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email, password }),
      });
      const setCookie = response.headers.get("set-cookie") ?? "";
      return { setCookie, cookie: setCookie.split(";")[0] ?? "", status: response.status };
    },
    async close() {
      app.server.closeAllConnections();
      await new Promise<void>((resolve) => app.server.close(() => resolve()));
      await harness.close();
    },
  };
}

/** The error a call failed with (a test failure if it succeeded). */
export async function failure(call: Promise<unknown>): Promise<{ message: string; data: any }> {
  try {
    await call;
  } catch (error) {
    return error as { message: string; data: any };
  }
  throw new Error("expected the call to fail, but it succeeded");
}
