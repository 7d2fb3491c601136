import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "./generated/prisma/client.ts";

/**
 * The Prisma client and the `pg` pool under it. Prisma serves the schema, the
 * migrations and the cold paths; the hot paths (issuer and auth method reads and
 * writes, API-key lookup, idempotency) query the same pool directly with named
 * statements, so both share one set of connections and one pool size.
 */
export type Db = PrismaClient & { readonly pool: pg.Pool };

export interface DbOptions {
  /** Pool size of the underlying `pg` pool. */
  max?: number;
  /**
   * Connections the pool keeps open however long they sit idle (`pg` closes
   * idle ones after 10 s, down to this many). The server keeps them all
   * (`openDatabase`): see there.
   */
  min?: number;
  /** How long a query may wait for a free connection before failing. */
  connectionTimeoutMillis?: number;
}

export function createDb(url: string, options: DbOptions = {}): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    min: options.min ?? 0,
    // A request must fail within 2 s when Postgres is away (api-contract: 503, Retry-After); a connect
    // that hangs (a server shutting down, a dropped network) must leave room for that inside the budget.
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 1_500,
  });
  // An idle connection the server closed (restart, outage) is dropped by the pool; it must not crash the process.
  pool.on("error", () => {});
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const disconnect = prisma.$disconnect.bind(prisma);
  const listeners = new Set<pg.Client>();
  let ended: Promise<void> | undefined;
  const db = Object.assign(prisma, {
    pool,
    async $disconnect() {
      await disconnect();
      ended ??= Promise.all([pool.end(), ...[...listeners].map((client) => client.end().catch(() => {}))]).then(
        () => {},
      );
      await ended;
    },
  });
  listenersOf.set(db, listeners);
  return db;
}

const listenersOf = new WeakMap<Db, Set<pg.Client>>();

/**
 * A connection of its own (outside the pool, so it never takes a request's slot)
 * with the pool's settings: for LISTEN, which holds its connection for good.
 */
export function createListenerClient(db: Db): pg.Client {
  const client = new pg.Client({ ...db.pool.options, connectionTimeoutMillis: 5_000 });
  // Ended with the pool by `$disconnect`, like every other connection of `db`.
  const listeners = listenersOf.get(db);
  listeners?.add(client);
  client.once("end", () => listeners?.delete(client));
  return client;
}
