import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRateLimiter } from "@authpi/server";
import { type ServiceHarness, serviceHarness, type TestAccount } from "@authpi/server/testing";
import { getRequestListener } from "@hono/node-server";
import { createLogger } from "../../src/logger.ts";
import { createRestHandler } from "../../src/rest/handler.ts";
import { createTrpcHandler, TRPC_ENDPOINT } from "../../src/trpc-server.ts";

/**
 * Both doors on one real HTTP server (port 0), routed as `server.ts` routes
 * them: `/api/trpc/…` to the tRPC fetch handler, the rest to the REST handler,
 * over the run's database, with one account whose API key both doors accept,
 * and a rate limiter so generous that no 429 hides anything.
 */
export interface Doors extends ServiceHarness {
  baseUrl: string;
  account: TestAccount;
  /** A second account: its ids on the first account's key must be 403/404, never data. */
  other: TestAccount;
  /** Every line either handler logged. */
  logLines: string[];
}

export async function openDoors(): Promise<Doors> {
  const harness = serviceHarness();
  const [account, other] = [await harness.newAccount(), await harness.newAccount()];
  const logLines: string[] = [];
  const logger = createLogger({ level: "info", destination: { write: (line) => logLines.push(line.trimEnd()) } });
  const rateLimiter = createRateLimiter({ perSecond: 1_000_000, burst: 1_000_000 });
  const rest = getRequestListener(createRestHandler({ services: harness.services, logger, rateLimiter }));
  const trpc = getRequestListener(createTrpcHandler({ services: harness.services, production: false, logger }));
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith(`${TRPC_ENDPOINT}/`)) void trpc(req, res);
    else void rest(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    ...harness,
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    account,
    other,
    logLines,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await harness.close();
    },
  };
}

/** Live ids and ETags the generated requests point at; 2xx answers add to them. */
export class Pools {
  issuers: string[] = [];
  methods: { issuerId: string; id: string }[] = [];
  apiKeys: string[] = [];
  etags: string[] = ['"0"'];

  pick<T>(list: T[], index: number): T | undefined {
    return list.length === 0 ? undefined : list[index % list.length];
  }

  learn(body: any, etag: string | null): void {
    if (etag) this.remember(this.etags, etag);
    const value = body?.value ?? body;
    if (typeof value?.id !== "string") return;
    if (value.object === "issuer") this.remember(this.issuers, value.id);
    if (value.object === "auth_method") this.methods.push({ issuerId: value.issuer_id, id: value.id });
    if (this.methods.length > 60) this.methods.shift();
  }

  /** A deleted resource leaves its pool (a deleted issuer stays reachable through hostile draws). */
  forget(id: unknown): void {
    if (typeof id !== "string") return;
    this.issuers = this.issuers.filter((issuer) => issuer !== id);
    this.methods = this.methods.filter((method) => method.id !== id && method.issuerId !== id);
  }

  private remember(list: string[], item: string): void {
    if (!list.includes(item)) list.push(item);
    if (list.length > 60) list.shift();
  }
}

/** Runs `jobs` with at most `concurrency` in flight. */
export async function runAll<T>(items: T[], concurrency: number, job: (item: T, index: number) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await job(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
