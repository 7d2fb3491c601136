import type { Db } from "@authpi/db";
import { createAccountService } from "./accounts/service.ts";
import { type AdminAuthOptions, type AdminAuthService, createAdminAuthService } from "./admin-auth/service.ts";
import { type ApiKeyService, createApiKeyService } from "./api-keys/service.ts";
import {
  type AuditRecorder,
  type Caller,
  createAuditRecorder,
  createEventService,
  SYSTEM_CALLER,
} from "./audit/service.ts";
import { createAuthMethodService } from "./auth-methods/service.ts";
import { createClientService } from "./clients/service.ts";
import { type Clock, systemClock } from "./clock.ts";
import { createHealthService } from "./health/service.ts";
import { createIdempotencyService, type IdempotencyService } from "./idempotency/service.ts";
import { createIssuerRepository } from "./issuers/repository.ts";
import { createIssuerService, createRecentIssuers, type RecentIssuers } from "./issuers/service.ts";
import { providerArtifacts, purgeExpiredArtifacts } from "./oidc/adapter.ts";
import { notifyIssuerChanged } from "./oidc/pool.ts";
import { createSigningKeyService } from "./oidc/signing-keys.ts";
import type { Keyring } from "./secrets/keyring.ts";
import { reencryptColumn } from "./secrets/rotation.ts";
import { type Sql, sqlOf } from "./sql.ts";
import type { ProviderArtifacts } from "./users/provider-artifacts.ts";
import { createUserService } from "./users/service.ts";

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
  /** `AUTHPI_PUBLIC_URL` (`publicUrl(env)`): issuer URLs start with it. Default `http://localhost:3000`. */
  publicUrl?: string;
  /** The OpenID Provider's sessions, grants and tokens, revoked with a user or a client. */
  providerArtifacts?: ProviderArtifacts;
}

interface Shared {
  clock: Clock;
  apiKeys: ApiKeyService;
  /** One per process: its sign-in attempt counters must not be re-created with each binding. */
  adminAuth: AdminAuthService;
  /** One per process, shared by every binding: the PATCH fast path (see `createRecentIssuers`). */
  recentIssuers: RecentIssuers;
  options: ServiceOptions;
  /** The keyring of `options`, or an error when a secret is written or read without one. */
  keyring: () => Keyring;
  publicUrl: string;
  artifacts: ProviderArtifacts;
}

/**
 * Each use case, built from one binding: its queries run on `b.sql` (the pool,
 * or one transaction) and its events name `b.caller`. A binding calls only the
 * factories a call touches (every request binds its caller; a GET needs one),
 * and none of them in its constructor: a request's binding costs one object.
 */
const USE_CASES = {
  db: (b: Binding) => b.db,
  clock: (b: Binding) => b.shared.clock,
  apiKeys: (b: Binding) => ({ ...b.shared.apiKeys, ...b.keyWrites() }),
  accounts: (b: Binding) => createAccountService(b.sql, b.db, b.shared.clock, b.keyWrites(), b.audit()),
  adminAuth: (b: Binding) => b.shared.adminAuth,
  issuers: (b: Binding) =>
    createIssuerService(
      createIssuerRepository(b.sql, b.shared.publicUrl),
      b.shared.clock,
      // Only autocommitted writes may cache a version: a transaction could still roll it back.
      {
        deleteGraceDays: b.shared.options.deleteGraceDays ?? 30,
        recent: b.sql.inTransaction ? undefined : b.shared.recentIssuers,
      },
      b.audit(),
    ),
  health: (b: Binding) => createHealthService(b.db.pool),
  authMethods: (b: Binding) =>
    createAuthMethodService(b.sql, b.shared.clock, b.shared.keyring, b.audit(), b.shared.publicUrl),
  events: (b: Binding) => createEventService(b.sql, b.shared.clock),
  secrets: (b: Binding) => ({
    /**
     * `pnpm rotate-secrets`: every ciphertext under the keyring's current key — the auth methods'
     * secrets (with their events), the signing keys' private halves and the users' factor secrets.
     * Without the last two, dropping the old key would break every issuer's signing and every
     * enrolled factor.
     */
    async rotate(batch: { batchSize?: number } = {}) {
      return {
        authMethods: await (b as unknown as UseCases).authMethods.rotateSecrets(batch),
        signingKeys: await reencryptColumn(b.sql, b.shared.keyring(), "signingKeys", batch),
        factors: await reencryptColumn(b.sql, b.shared.keyring(), "factors", batch),
      };
    },
  }),
  clients: (b: Binding) => createClientService(b.sql, b.shared.clock, b.shared.artifacts, b.audit()),
  users: (b: Binding) => createUserService(b.sql, b.shared.clock, { artifacts: b.shared.artifacts }, b.audit()),
  oidc: (b: Binding) => ({
    signingKeys: createSigningKeyService(b.sql, b.db, b.shared.clock, b.shared.keyring, notifyIssuerChanged, b.audit()),
    /** Expired provider artifacts (sessions, codes, tokens…), for the periodic purge. */
    purgeExpired: (now = b.shared.clock()) => purgeExpiredArtifacts(b.db, now),
  }),
};

type UseCases = { [K in keyof typeof USE_CASES]: ReturnType<(typeof USE_CASES)[K]> };

/**
 * Every write that records its event in a statement of its own (api-contract
 * §9): `audit.record` after the write. Each runs in one transaction with its
 * event: on the pool it opens one and runs on use cases bound to it; inside one
 * (an idempotent request) it joins it. So a write that fails or rolls back
 * leaves no event, and an event never lacks its change. Such a write is one
 * line here.
 *
 * A write whose event is part of its own statement (`withEvent` in
 * audit/repository.ts, with `audit.values`) needs no line: one statement is
 * atomic on the pool, and inside a transaction it simply runs in it. Issuers
 * and auth methods write that way (POST one statement, PATCH a read and one),
 * and so do an operator's session (`operator.signed_in`), a signing key
 * rotation (the new key's INSERT, in the rotation's transaction) and the
 * re-encryption of an auth method's secrets (`pnpm rotate-secrets`).
 */
const AUDITED_WRITES = {
  accounts: ["bootstrap"],
  apiKeys: ["create", "revoke"],
  issuers: ["purgeExpired"],
  clients: ["create", "update", "delete", "rotateSecret"],
  users: [
    "create",
    "update",
    "delete",
    "removeFactor",
    "revokeSessions",
    "signUp",
    "setPassword",
    "setEmailVerified",
    "signUpFederated",
  ],
} as const satisfies { [S in keyof UseCases]?: readonly (keyof UseCases[S])[] };

/** `service` with each of its `writes` run in a transaction on `sql`, on the service `inTx` binds to it. */
function auditedWrites<S extends object>(
  service: S,
  writes: readonly string[],
  sql: Sql,
  inTx: (tx: Sql) => Record<string, (...args: unknown[]) => unknown>,
): S {
  const wrapped: Record<string, unknown> = { ...(service as Record<string, unknown>) };
  for (const write of writes) {
    wrapped[write] = (...args: unknown[]) => sql.transaction((tx) => Promise.resolve(inTx(tx)[write]?.(...args)));
  }
  return wrapped as unknown as S;
}

export type Services = UseCases & {
  /**
   * Runs `fn` in one transaction with the services bound to it: everything
   * they write commits together or not at all (inside a transaction, a savepoint).
   */
  transaction<T>(fn: (tx: Services) => Promise<T>): Promise<T>;
  /** `execute(scope, run)` hands `run` the services bound to the request's transaction. */
  idempotency: IdempotencyService<Services>;
  /**
   * The same services acting for `caller`: the events of their writes name its
   * actor and request id. Each door binds its caller once; unbound services
   * act as the system (the CLI, the periodic purge).
   */
  as(caller: Caller): Services;
  /** Stops what the services run in the background (the API-key listener); the caller closes `db`. */
  close(): Promise<void>;
};

/**
 * One binding of the services (a connection or transaction, and a caller).
 * Each service is built on first read and kept: the getters live on the
 * prototype, defined once, so a binding costs an object whatever the number of
 * services, and a service costs only what it builds.
 */
class Binding {
  #audit: AuditRecorder | undefined;
  #keyWrites: ReturnType<ApiKeyService["writesOn"]> | undefined;
  #idempotency: IdempotencyService<Services> | undefined;

  constructor(
    readonly db: Db,
    readonly sql: Sql,
    readonly shared: Shared,
    readonly caller: Caller,
  ) {}

  bind(tx: Sql): Services {
    return servicesOn(this.db, tx, this.shared, this.caller);
  }

  // Arrow fields: callers may pass these around unbound.
  readonly transaction = <T>(fn: (tx: Services) => Promise<T>): Promise<T> =>
    this.sql.transaction((tx) => fn(this.bind(tx)));

  readonly as = (next: Caller): Services => servicesOn(this.db, this.sql, this.shared, next);

  readonly close = (): Promise<void> => this.shared.apiKeys.close();

  /** The events of this binding's writes: on its `sql`, naming its caller. */
  audit(): AuditRecorder {
    this.#audit ??= createAuditRecorder(this.sql, this.shared.clock, this.caller);
    return this.#audit;
  }

  keyWrites(): ReturnType<ApiKeyService["writesOn"]> {
    this.#keyWrites ??= this.shared.apiKeys.writesOn(this.sql, this.audit());
    return this.#keyWrites;
  }

  get idempotency(): IdempotencyService<Services> {
    this.#idempotency ??= createIdempotencyService(this.sql, this.shared.clock, (tx) => this.bind(tx));
    return this.#idempotency;
  }

  /** The service `name`, its audited writes wrapped in their transaction when on the pool. */
  build(name: keyof UseCases): unknown {
    const service = USE_CASES[name](this);
    const writes: readonly string[] | undefined = this.sql.inTransaction
      ? undefined
      : AUDITED_WRITES[name as keyof typeof AUDITED_WRITES];
    return writes ? auditedWrites(service as object, writes, this.sql, (tx) => this.bind(tx)[name] as never) : service;
  }
}

// `db` is a field; every other use case a getter on the prototype, replaced by the value on the instance at first read.
for (const name of Object.keys(USE_CASES) as (keyof UseCases)[]) {
  if (name === "db") continue;
  Object.defineProperty(Binding.prototype, name, {
    configurable: true,
    get(this: Binding) {
      const value = this.build(name);
      Object.defineProperty(this, name, { value, enumerable: true });
      return value;
    },
  });
}

function servicesOn(db: Db, sql: Sql, shared: Shared, caller: Caller): Services {
  return new Binding(db, sql, shared, caller) as unknown as Services;
}

/** Every use case, wired to one database; both adapters (REST, tRPC) call these. */
export function createServices(db: Db, options: ServiceOptions = {}): Services {
  const clock = options.clock ?? systemClock;
  const apiKeys = createApiKeyService(db, clock, { cache: options.apiKeyCache ?? true });
  const sql = sqlOf(db);
  const adminAuth = createAdminAuthService(
    sql,
    db,
    clock,
    options.adminAuth ?? {},
    createAuditRecorder(sql, clock, SYSTEM_CALLER),
  );
  const shared: Shared = {
    clock,
    apiKeys,
    adminAuth,
    recentIssuers: createRecentIssuers(),
    options,
    keyring: () => options.keyring ?? missingKeyring(),
    publicUrl: options.publicUrl ?? DEFAULT_PUBLIC_URL,
    artifacts: options.providerArtifacts ?? providerArtifacts,
  };
  return servicesOn(db, sql, shared, SYSTEM_CALLER);
}

const DEFAULT_PUBLIC_URL = "http://localhost:3000";

function missingKeyring(): never {
  throw new Error("No encryption keyring configured: pass `keyring` (from loadKeyring(env)) to createServices");
}
