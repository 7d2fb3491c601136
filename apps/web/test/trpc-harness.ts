import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Clock } from "@authpi/server";
import { type ServiceHarness, serviceHarness, type TestAccount } from "@authpi/server/testing";
import type { AppRouter } from "@authpi/trpc";
import { getRequestListener } from "@hono/node-server";
import { createTRPCClient, httpLink } from "@trpc/client";
import { createRestHandler } from "../src/rest/handler.ts";
import { createTrpcHandler, TRPC_ENDPOINT } from "../src/trpc-server.ts";

export interface TrpcHarness extends ServiceHarness {
  baseUrl: string;
  /** What the handler logged (unexpected errors). */
  logLines: string[];
  account: TestAccount;
  /** A typed client that sends `headers()` with each call (an API key, a session cookie). */
  client(headers?: () => Record<string, string>): ReturnType<typeof createTRPCClient<AppRouter>>;
  /** Signs in over HTTP and returns the `Set-Cookie` header and the cookie pair to send back. */
  signIn(email: string, password: string): Promise<{ setCookie: string; cookie: string; status: number }>;
}

/**
 * The server entry's routing on a real HTTP server (port 0): `/api/trpc` to the
 * tRPC fetch handler and `/v1` to the REST handler, over the run's database.
 */
export async function trpcHarness(options: { production?: boolean; clock?: Clock } = {}): Promise<TrpcHarness> {
  const harness = serviceHarness(options.clock ? { clock: options.clock } : {});
  const account = await harness.newAccount();
  const logLines: string[] = [];
  const write = (fields: Record<string, unknown>, message?: string) => {
    logLines.push(JSON.stringify({ ...fields, msg: message }));
  };
  const logger = { info: write, warn: write, error: write };
  const trpc = getRequestListener(
    createTrpcHandler({ services: harness.services, production: options.production ?? false, logger }),
  );
  const rest = getRequestListener(createRestHandler({ services: harness.services }));
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith(`${TRPC_ENDPOINT}/`)) void trpc(req, res);
    else void rest(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

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
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
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
