import type { Db } from "@authpi/db";
import { createAccountService } from "./accounts/service.ts";
import { type AdminAuthOptions, createAdminAuthService } from "./admin-auth/service.ts";
import { createApiKeyService } from "./api-keys/service.ts";
import { createAuthMethodService } from "./auth-methods/service.ts";
import { createClientService } from "./clients/service.ts";
import { type Clock, systemClock } from "./clock.ts";
import { createHealthService } from "./health/service.ts";
import { createIdempotencyService } from "./idempotency/service.ts";
import { createIssuerService } from "./issuers/service.ts";
import { providerArtifacts, purgeExpiredArtifacts } from "./oidc/adapter.ts";
import { notifyIssuerChanged } from "./oidc/pool.ts";
import { createSigningKeyService } from "./oidc/signing-keys.ts";
import type { Keyring } from "./secrets/keyring.ts";
import { transactionAware } from "./transaction-scope.ts";
import type { ProviderArtifacts } from "./users/provider-artifacts.ts";
import { createUserService } from "./users/service.ts";

export interface ServiceOptions {
  clock?: Clock;
  deleteGraceDays?: number;
  /** Encrypts auth method secrets (`loadKeyring(env)`); without one, writing or reading a secret fails. */
  keyring?: Keyring;
  adminAuth?: AdminAuthOptions;
  /** `AUTHPI_PUBLIC_URL` (`publicUrl(env)`): issuer URLs start with it. Default `http://localhost:3000`. */
  publicUrl?: string;
  /** The OpenID Provider's sessions, grants and tokens, revoked with a user or a client. */
  providerArtifacts?: ProviderArtifacts;
}

/** Every use case, wired to one database; both adapters (REST, tRPC) call these. */
export function createServices(database: Db, options: ServiceOptions = {}) {
  // Services run their queries in the request's transaction when there is one (idempotent writes).
  const db = transactionAware(database);
  const clock = options.clock ?? systemClock;
  const apiKeys = createApiKeyService(db, clock);
  const artifacts = options.providerArtifacts ?? providerArtifacts(db);
  return {
    db,
    clock,
    apiKeys,
    accounts: createAccountService(db, clock, apiKeys),
    adminAuth: createAdminAuthService(db, clock, options.adminAuth),
    issuers: createIssuerService(db, clock, {
      deleteGraceDays: options.deleteGraceDays ?? 30,
      publicUrl: options.publicUrl ?? "http://localhost:3000",
    }),
    idempotency: createIdempotencyService(db, clock),
    health: createHealthService(db),
    authMethods: createAuthMethodService(db, clock, () => options.keyring ?? missingKeyring()),
    clients: createClientService(db, clock, artifacts),
    users: createUserService(db, clock, { artifacts }),
    oidc: {
      signingKeys: createSigningKeyService(
        db,
        clock,
        () => options.keyring ?? missingKeyring(),
        (issuerId) => notifyIssuerChanged(db, issuerId),
      ),
      /** Expired provider artifacts (sessions, codes, tokens…), for the periodic purge. */
      purgeExpired: (now = clock()) => purgeExpiredArtifacts(db, now),
    },
  };
}

function missingKeyring(): never {
  throw new Error("No encryption keyring configured: pass `keyring` (from loadKeyring(env)) to createServices");
}

export type Services = ReturnType<typeof createServices>;
