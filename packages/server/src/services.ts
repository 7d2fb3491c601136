import type { Db } from "@authpi/db";
import { createAccountService } from "./accounts/service.ts";
import { type AdminAuthOptions, createAdminAuthService } from "./admin-auth/service.ts";
import { createApiKeyService } from "./api-keys/service.ts";
import { createAuthMethodService } from "./auth-methods/service.ts";
import { type Clock, systemClock } from "./clock.ts";
import { createHealthService } from "./health/service.ts";
import { createIdempotencyService } from "./idempotency/service.ts";
import { createIssuerService } from "./issuers/service.ts";
import { purgeExpiredArtifacts, revokeUserArtifacts } from "./oidc/adapter.ts";
import { notifyIssuerChanged } from "./oidc/pool.ts";
import { createSigningKeyService } from "./oidc/signing-keys.ts";
import type { Keyring } from "./secrets/keyring.ts";
import { transactionAware } from "./transaction-scope.ts";

export interface ServiceOptions {
  clock?: Clock;
  deleteGraceDays?: number;
  /** Encrypts auth method secrets (`loadKeyring(env)`); without one, writing or reading a secret fails. */
  keyring?: Keyring;
  adminAuth?: AdminAuthOptions;
}

/** Every use case, wired to one database; both adapters (REST, tRPC) call these. */
export function createServices(database: Db, options: ServiceOptions = {}) {
  // Services run their queries in the request's transaction when there is one (idempotent writes).
  const db = transactionAware(database);
  const clock = options.clock ?? systemClock;
  const apiKeys = createApiKeyService(db, clock);
  return {
    db,
    clock,
    apiKeys,
    accounts: createAccountService(db, clock, apiKeys),
    adminAuth: createAdminAuthService(db, clock, options.adminAuth),
    issuers: createIssuerService(db, clock, { deleteGraceDays: options.deleteGraceDays ?? 30 }),
    idempotency: createIdempotencyService(db, clock),
    health: createHealthService(db),
    authMethods: createAuthMethodService(db, clock, () => options.keyring ?? missingKeyring()),
    oidc: {
      signingKeys: createSigningKeyService(
        db,
        clock,
        () => options.keyring ?? missingKeyring(),
        (issuerId) => notifyIssuerChanged(db, issuerId),
      ),
      /** Expired provider artifacts (sessions, codes, tokens…), for the periodic purge. */
      purgeExpired: (now = clock()) => purgeExpiredArtifacts(db, now),
      /** Signs a user out everywhere (every session, grant and token of theirs at this issuer). */
      revokeUser: (issuerId: string, userId: string) => revokeUserArtifacts(db, issuerId, userId),
    },
  };
}

function missingKeyring(): never {
  throw new Error("No encryption keyring configured: pass `keyring` (from loadKeyring(env)) to createServices");
}

export type Services = ReturnType<typeof createServices>;
