import { createRateLimiter, loadEnv } from "@authpi/server";
import { type ServiceHarness, serviceHarness, type TestAccount } from "@authpi/server/testing";
import { createAppServer } from "../../src/app-server.ts";
import { createLogger } from "../../src/logger.ts";

/**
 * Both doors as production serves them: the production app server
 * (createAppServer: `/v1` and `/api/trpc` through one pipeline, raw-path
 * checks included) on a real port (0) over the run's database, with one
 * account whose API key both doors accept, and a rate limiter so generous
 * that no 429 hides anything.
 */
export interface Doors extends ServiceHarness {
  baseUrl: string;
  account: TestAccount;
  /** A second account: its ids on the first account's key must be 403/404, never data. */
  other: TestAccount;
  /** Every line the server logged. */
  logLines: string[];
}

export async function openDoors(): Promise<Doors> {
  const harness = serviceHarness();
  const [account, other] = [await harness.newAccount(), await harness.newAccount()];
  const logLines: string[] = [];
  const logger = createLogger({ level: "info", destination: { write: (line) => logLines.push(line.trimEnd()) } });
  const app = createAppServer({
    env: { ...loadEnv({}), NODE_ENV: "test" },
    logger,
    services: harness.services,
    rateLimiter: createRateLimiter({ perSecond: 1_000_000, burst: 1_000_000 }),
  });
  const address = await app.listen(0, "127.0.0.1");
  return {
    ...harness,
    baseUrl: `http://127.0.0.1:${address.port}`,
    account,
    other,
    logLines,
    async close() {
      app.server.closeAllConnections();
      await new Promise<void>((resolve) => app.server.close(() => resolve()));
      await harness.close();
    },
  };
}

/** A resource under an issuer, by the object name its JSON carries → its path parameter. */
const CHILD_PARAMS: Record<string, string> = { auth_method: "method_id", client: "client_id", user: "user_id" };

/** Live ids and ETags the generated requests point at; 2xx answers add to them. */
export class Pools {
  issuers: string[] = [];
  /** Path parameter (`method_id`, `client_id`, `user_id`) → live resources under an issuer. */
  children: Record<string, { issuerId: string; id: string }[]> = Object.fromEntries(
    Object.values(CHILD_PARAMS).map((param) => [param, []]),
  );
  apiKeys: string[] = [];
  etags: string[] = ['"0"'];

  get methods(): { issuerId: string; id: string }[] {
    return this.children.method_id ?? [];
  }

  pick<T>(list: T[] | undefined, index: number): T | undefined {
    return !list || list.length === 0 ? undefined : list[index % list.length];
  }

  learn(body: any, etag: string | null): void {
    if (etag) this.remember(this.etags, etag);
    const value = body?.value ?? body;
    if (typeof value?.id !== "string") return;
    if (value.object === "issuer") this.remember(this.issuers, value.id);
    const param = CHILD_PARAMS[value.object];
    const list = param ? this.children[param] : undefined;
    if (list && typeof value.issuer_id === "string" && !list.some((child) => child.id === value.id)) {
      list.push({ issuerId: value.issuer_id, id: value.id });
      if (list.length > 60) list.shift();
    }
  }

  /** A deleted resource leaves its pool (a deleted issuer stays reachable through hostile draws). */
  forget(id: unknown): void {
    if (typeof id !== "string") return;
    this.issuers = this.issuers.filter((issuer) => issuer !== id);
    for (const [param, list] of Object.entries(this.children)) {
      this.children[param] = list.filter((child) => child.id !== id && child.issuerId !== id);
    }
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
