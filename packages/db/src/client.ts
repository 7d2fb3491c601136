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
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 2_000,
  });
  return new PrismaClient({ adapter });
}
