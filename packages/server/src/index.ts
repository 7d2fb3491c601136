export {
  type AdminAuthOptions,
  type AdminPrincipal,
  type SignInResult,
  toOperator,
} from "./admin-auth/service.ts";
export type { ApiKeyView, Principal } from "./api-keys/service.ts";
export { type App, type CreateAppOptions, createApp } from "./app.ts";
export { apiKeyCaller, type Caller, operatorCaller, SYSTEM_CALLER } from "./audit/service.ts";
export type { AuthMethodService } from "./auth-methods/service.ts";
export type { ClientService } from "./clients/service.ts";
export { type Clock, systemClock } from "./clock.ts";
export { type Database, openDatabase } from "./database.ts";
export { DATABASE_RETRY_AFTER_SECONDS, databaseUnavailable } from "./database-errors.ts";
export { type Env, loadEnv, publicUrl } from "./env.ts";
export type { Readiness } from "./health/service.ts";
export type { IdempotencyScope, IdempotentResult, StoredResponse } from "./idempotency/service.ts";
export type { Versioned, WriteOptions } from "./issuers/service.ts";
export { JsonText } from "./json-text.ts";
export { createMailer, type Mail, type Mailer } from "./mail/mailer.ts";
export { createSignInAttempts, SIGN_IN_LIMITS, type SignInAttempts } from "./oidc/attempts.ts";
export type {
  ClientDirectory,
  UserDirectory,
} from "./oidc/directory.ts";
export { createEmailVerification, EMAIL_VERIFICATION, type EmailVerification } from "./oidc/email-verification.ts";
export { createProviderPool, OIDC_CHANNEL, type PooledProvider, type ProviderPool } from "./oidc/pool.ts";
export {
  type ConfiguredMethod,
  type IssuerSnapshot,
  issuerUrlFor,
  oidcBasePath,
  userClaimValues,
} from "./oidc/provider.ts";
export { createPasswordSignIn, type PasswordSignIn } from "./oidc/sign-in.ts";
export { PREVIOUS_KEY_RETENTION_SECONDS, type SigningKeyView } from "./oidc/signing-keys.ts";
export {
  createRateLimiter,
  type RateLimitConfig,
  type RateLimitDecision,
  type RateLimiter,
} from "./rate-limit/limiter.ts";
export {
  createKeyring,
  generateKeyEntry,
  type Keyring,
  KeyringError,
  loadKeyring,
  parseKeys,
} from "./secrets/keyring.ts";
export { createServices, type ServiceOptions, type Services } from "./services.ts";
export {
  BACKUP_CODES_FACTOR_NAME,
  type BackupCodeHashes,
  type BackupCodesConfig,
  type BackupCodesSignIn,
  createBackupCodes,
} from "./sign-in/backup-codes.ts";
export { checkLink, issueLink, type LinkChallenge } from "./sign-in/email-link.ts";
export {
  APPLE_ISSUER,
  appleClientSecret,
  createFederation,
  FEDERATED_METHODS,
  type Federation,
  federationState,
  githubEndpoints,
  isFederated,
  OAUTH2_PROVIDER_SPECS,
  type PendingUpstream,
  sameState,
  UpstreamError,
  type UpstreamOrigins,
  type UpstreamProfile,
  uidOfState,
} from "./sign-in/federation/index.ts";
export {
  CODE_RESEND,
  type CodeChallenge,
  type CodeSettings,
  checkCode,
  issueCode,
  resendWait,
} from "./sign-in/one-time-code.ts";
export {
  createRememberedDevices,
  type IssuerSigner,
  type RememberedDevices,
} from "./sign-in/remembered-devices.ts";
export {
  createSignInStates,
  emptySignInState,
  type LoadedSignInState,
  SIGN_IN_TTL_SECONDS,
  SignInMovedOn,
  type SignInState,
  type SignInStates,
} from "./sign-in/state.ts";
export { createTotp, TOTP_FACTOR_NAME, type TotpAccount, type TotpConfig, type TotpSignIn } from "./sign-in/totp.ts";
export {
  createWebAuthn,
  type PasskeyChallenge,
  type PasskeySettings,
  type RelyingParty,
  relyingParty,
  type WebAuthn,
} from "./sign-in/webauthn.ts";
export { createSmsSender, type Sms, type SmsSender } from "./sms/sender.ts";
export { BREACHED_PASSWORDS_FILE, breachedPasswords } from "./users/breached-passwords.ts";
export { createFactorStore, type FactorStore, type StoredFactor } from "./users/factors.ts";
export { noProviderArtifacts, type ProviderArtifacts } from "./users/provider-artifacts.ts";
export type { UserService } from "./users/service.ts";
