import { AsyncLocalStorage } from "node:async_hooks";
import type { Db, Prisma } from "@authpi/db";

type Tx = Prisma.TransactionClient;

const current = new AsyncLocalStorage<Tx>();
const scoped = new WeakSet<object>();

/**
 * Wraps the client the services use so that, inside `runInTransaction`, every
 * query a service makes runs in that one transaction — including its own
 * `$transaction` blocks, which then join it. This is how the idempotency
 * record and the write it guards commit together (or not at all) without any
 * service knowing about idempotency.
 */
export function transactionAware(db: Db): Db {
  if (scoped.has(db)) return db;
  const bound = new Map<PropertyKey, unknown>();
  const proxy = new Proxy(db, {
    get(target, prop) {
      const tx = current.getStore();
      if (tx && typeof prop === "string") {
        if (prop === "$transaction") return joinTransaction(tx);
        if (!prop.startsWith("$") || prop.startsWith("$queryRaw") || prop.startsWith("$executeRaw")) {
          const value = Reflect.get(tx, prop);
          return typeof value === "function" ? value.bind(tx) : value;
        }
      }
      const value = Reflect.get(target, prop);
      if (typeof value !== "function") return value;
      let fn = bound.get(prop);
      if (!fn) {
        fn = value.bind(target);
        bound.set(prop, fn);
      }
      return fn;
    },
  });
  scoped.add(proxy);
  return proxy;
}

function joinTransaction(tx: Tx) {
  return async (arg: unknown) => {
    if (typeof arg === "function") return (arg as (tx: Tx) => Promise<unknown>)(tx);
    // The batch form: its queries were built on the proxy, so they already target `tx`.
    const results: unknown[] = [];
    for (const query of arg as Promise<unknown>[]) results.push(await query);
    return results;
  };
}

/**
 * Runs `fn` inside one interactive transaction of `db` (the unwrapped client or
 * the proxy); service calls made by `fn` join it through `transactionAware`.
 */
export function runInTransaction<T>(
  db: Db,
  fn: (tx: Tx) => Promise<T>,
  options: { timeout?: number } = {},
): Promise<T> {
  return db.$transaction((tx) => current.run(tx, () => fn(tx)), {
    // Waiting for a pooled connection counts against the 2 s a request may take while the database is away.
    maxWait: 1_500,
    timeout: options.timeout ?? 10_000,
  });
}

/** The transaction the current request runs in, if any. */
export function currentTransaction(): Tx | undefined {
  return current.getStore();
}
