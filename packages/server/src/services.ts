import type { Db } from "@authpi/db";
import { createAccountService } from "./accounts/service.ts";
import { type AdminAuthOptions, createAdminAuthService } from "./admin-auth/service.ts";
import { createApiKeyService } from "./api-keys/service.ts";
import { type Clock, systemClock } from "./clock.ts";
import { createIssuerService } from "./issuers/service.ts";

export interface ServiceOptions {
  clock?: Clock;
  deleteGraceDays?: number;
  adminAuth?: AdminAuthOptions;
}

/** Every use case, wired to one database; both adapters (REST, tRPC) call these. */
export function createServices(db: Db, options: ServiceOptions = {}) {
  const clock = options.clock ?? systemClock;
  const apiKeys = createApiKeyService(db, clock);
  return {
    db,
    clock,
    apiKeys,
    accounts: createAccountService(db, clock, apiKeys),
    adminAuth: createAdminAuthService(db, clock, options.adminAuth),
    issuers: createIssuerService(db, clock, { deleteGraceDays: options.deleteGraceDays ?? 30 }),
  };
}

export type Services = ReturnType<typeof createServices>;
