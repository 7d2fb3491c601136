import {
  type Clock,
  createBackupCodes,
  createEmailVerification,
  createFactorStore,
  createFederation,
  createPasswordSignIn,
  createRememberedDevices,
  createSignInStates,
  createTotp,
  createWebAuthn,
  type Keyring,
  type Mailer,
  type ProviderPool,
  type Services,
  type SignInAttempts,
  type SmsSender,
  type UpstreamOrigins,
} from "@authpi/server";
import type { Logger } from "../logger.ts";
import type { SignInDeps } from "./hosted/context.ts";

export interface SignInDepsOptions {
  services: Services;
  pool: ProviderPool;
  keyring: Keyring;
  mailer: Mailer;
  attempts: SignInAttempts;
  logger: Logger;
  trustProxy: boolean;
  clock?: Clock;
  sms: SmsSender;
  /** Where GitHub, Apple and the `oauth2` providers are reached instead of their own origins (tests). */
  upstreams?: UpstreamOrigins;
}

/** Everything the hosted sign-in pages use, built the same way by the server and by the tests. */
export function createSignInDeps(options: SignInDepsOptions): SignInDeps {
  const { services, keyring } = options;
  const clock = options.clock ?? services.clock;
  const factors = createFactorStore(services.db, () => keyring, clock);
  return {
    pool: options.pool,
    users: services.users,
    passwords: createPasswordSignIn(services.users, options.attempts, clock),
    verification: createEmailVerification(services.db, options.mailer),
    states: createSignInStates(services.db, clock),
    factors,
    mailer: options.mailer,
    attempts: options.attempts,
    clock,
    logger: options.logger,
    trustProxy: options.trustProxy,
    webauthn: createWebAuthn(factors, clock),
    totp: createTotp(factors, () => keyring, clock),
    backupCodes: createBackupCodes(factors),
    rememberedDevices: createRememberedDevices(services.db, options.pool, clock),
    sms: options.sms,
    federation: createFederation({ clock, ...(options.upstreams ? { upstreams: options.upstreams } : {}) }),
  };
}
