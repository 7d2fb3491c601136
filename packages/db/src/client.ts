import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client.ts";

export type Db = PrismaClient;

export interface DbOptions {
  /** Pool size of the underlying `pg` pool. */
  max?: number;
  /** How long a query may wait for a free connection before failing. */
  connectionTimeoutMillis?: number;
}

export function createDb(url: string, options: DbOptions = {}): Db {
  const adapter = new PrismaPg({
    connectionString: url,
    max: options.max ?? 10,
    // A request must fail within 2 s when Postgres is away (api-contract: 503, Retry-After); a connect
    // that hangs (a server shutting down, a dropped network) must leave room for that inside the budget.
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 1_500,
  });
  return new PrismaClient({ adapter });
}
