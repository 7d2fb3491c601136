import type { Db } from "@authpi/db";
import { createAccountService } from "./accounts/service.ts";
import { type AdminAuthOptions, createAdminAuthService } from "./admin-auth/service.ts";
import { type ApiKeyService, createApiKeyService } from "./api-keys/service.ts";
import { createAuthMethodService } from "./auth-methods/service.ts";
import { type Clock, systemClock } from "./clock.ts";
import { createHealthService } from "./health/service.ts";
import { createIdempotencyService, type IdempotencyService } from "./idempotency/service.ts";
import { createIssuerRepository } from "./issuers/repository.ts";
import { createIssuerService, createRecentIssuers, type RecentIssuers } from "./issuers/service.ts";
import type { Keyring } from "./secrets/keyring.ts";
import { type Sql, sqlOf } from "./sql.ts";

export interface ServiceOptions {
  clock?: Clock;
  deleteGraceDays?: number;
  /** Encrypts auth method secrets (`loadKeyring(env)`); without one, writing or reading a secret fails. */
  keyring?: Keyring;
  adminAuth?: AdminAuthOptions;
  /**
   * Cache resolved API keys in this process, dropped in every process the
   * moment a key is revoked (LISTEN/NOTIFY). On by default; tests of the
   * uncached path turn it off.
   */
  apiKeyCache?: boolean;
}

interface Shared {
  clock: Clock;
  /** Only for the pool's services: a transaction's reads may never commit. */
  recentIssuers: RecentIssuers;
  apiKeys: ApiKeyService;
  options: ServiceOptions;
}

/** The use cases whose queries run on `sql`: the pool, or one transaction. */
function useCasesOn(db: Db, sql: Sql, { clock, apiKeys, options, recentIssuers }: Shared) {
  return {
    db,
    clock,
    apiKeys,
    accounts: createAccountService(db, clock, apiKeys),
    adminAuth: createAdminAuthService(db, clock, options.adminAuth),
    issuers: createIssuerService(createIssuerRepository(sql), clock, {
      deleteGraceDays: options.deleteGraceDays ?? 30,
      recent: sql.inTransaction ? undefined : recentIssuers,
    }),
    health: createHealthService(db.pool),
    authMethods: createAuthMethodService(sql, db, clock, () => options.keyring ?? missingKeyring()),
  };
}

export type Services = ReturnType<typeof useCasesOn> & {
  /**
   * Runs `fn` in one transaction with the services bound to it: everything
   * they write commits together or not at all (inside a transaction, a savepoint).
   */
  transaction<T>(fn: (tx: Services) => Promise<T>): Promise<T>;
  /** `execute(scope, run)` hands `run` the services bound to the request's transaction. */
  idempotency: IdempotencyService<Services>;
  /** Stops what the services run in the background (the API-key listener); the caller closes `db`. */
  close(): Promise<void>;
};

function servicesOn(db: Db, sql: Sql, shared: Shared): Services {
  return {
    ...useCasesOn(db, sql, shared),
    transaction: (fn) => sql.transaction((tx) => fn(servicesOn(db, tx, shared))),
    idempotency: createIdempotencyService(sql, shared.clock, (tx) => servicesOn(db, tx, shared)),
    close: () => shared.apiKeys.close(),
  };
}

/** Every use case, wired to one database; both adapters (REST, tRPC) call these. */
export function createServices(db: Db, options: ServiceOptions = {}): Services {
  const clock = options.clock ?? systemClock;
  const apiKeys = createApiKeyService(db, clock, { cache: options.apiKeyCache ?? true });
  return servicesOn(db, sqlOf(db), { clock, apiKeys, options, recentIssuers: createRecentIssuers() });
}

function missingKeyring(): never {
  throw new Error("No encryption keyring configured: pass `keyring` (from loadKeyring(env)) to createServices");
}
