export {
  type AdminAuthOptions,
  type AdminPrincipal,
  type SignInResult,
  toOperator,
} from "./admin-auth/service.ts";
export type { ApiKeyView, Principal } from "./api-keys/service.ts";
export { type Clock, systemClock } from "./clock.ts";
export { type Database, openDatabase } from "./database.ts";
export { type Env, loadEnv } from "./env.ts";
export type { Versioned, WriteOptions } from "./issuers/service.ts";
export { createServices, type ServiceOptions, type Services } from "./services.ts";
