export {
  type AdminAuthOptions,
  type AdminPrincipal,
  type SignInResult,
  toOperator,
} from "./admin-auth/service.ts";
export type { ApiKeyView, Principal } from "./api-keys/service.ts";
export type { AuthMethodService } from "./auth-methods/service.ts";
export { type Clock, systemClock } from "./clock.ts";
export { type Database, openDatabase } from "./database.ts";
export { type Env, loadEnv } from "./env.ts";
export type { Versioned, WriteOptions } from "./issuers/service.ts";
export { createKeyring, generateKeyEntry, type Keyring, KeyringError, loadKeyring, parseKeys } from "./secrets/keyring.ts";
export { createServices, type ServiceOptions, type Services } from "./services.ts";
