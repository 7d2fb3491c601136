import { z } from "zod";
import { Hostname, httpsUrl, listOf, Name, ScopeToken, safeString, Timestamp, uniqueList } from "../common.ts";

/**
 * Auth methods (api-contract §1 "Auth method"). Each method type is declared
 * once below: its settings schema (strict, defaults filled in), its create
 * body, and its definition (required, secret and immutable settings keys,
 * singleton flag). Validation, secret stripping, immutability checks, OpenAPI
 * and the admin UI's forms all read these same declarations.
 */

export const AUTH_METHOD_TYPES = [
  "oauth2",
  "oidc",
  "apple",
  "github",
  "oauth2_manual",
  "password",
  "temporary_password",
  "email_link",
  "email_otp",
  "sms_otp",
  "passkey",
  "totp",
  "backup_codes",
] as const;
export const AuthMethodType = z.enum(AUTH_METHOD_TYPES).describe("The kind of auth method; the discriminator.");
export type AuthMethodType = z.infer<typeof AuthMethodType>;

/** At most this many auth methods per issuer (409 `limit_reached`). */
export const MAX_AUTH_METHODS_PER_ISSUER = 50;

export interface AuthMethodDefinition {
  method: AuthMethodType;
  /** A human title for the admin UI. */
  title: string;
  /** The only value `first_factor_only` may take, or null when the client chooses (passkey). */
  firstFactorOnly: boolean | null;
  /** Sign-in through an external identity provider (credentials and endpoints are immutable). */
  federated: boolean;
  /** At most one of this type per issuer (409 `auth_method_exists`). */
  singleton: boolean;
  /** Whether `settings` must be sent on create (it may still be `{}` when no key is required). */
  settingsRequiredOnCreate: boolean;
  /** The full settings schema, secrets included: strict, defaults filled in. */
  settings: z.ZodObject;
  /** Settings keys a create must send. */
  requiredKeys: readonly string[];
  /** Write-only settings keys: encrypted at rest, never returned (`secrets_set` names them). */
  secretKeys: readonly string[];
  /** Settings keys a PATCH may not send (federated methods: the required and secret keys). */
  immutableKeys: readonly string[];
}

type DefinitionInput = Omit<AuthMethodDefinition, "immutableKeys">;

function define(input: DefinitionInput): AuthMethodDefinition {
  const immutableKeys = input.federated ? [...new Set([...input.requiredKeys, ...input.secretKeys])] : [];
  return { ...input, immutableKeys };
}

// ---------------------------------------------------------------------------
// Shared field schemas

const ClientId = safeString().trim().min(1).max(255).describe("The OAuth client ID issued by the provider.");
const ClientSecret = safeString()
  .min(1)
  .max(4096)
  .describe("The OAuth client secret. Write-only: never returned, encrypted at rest.");
const Scopes = uniqueList(ScopeToken, 100);

const commonCreateFields = {
  name: Name,
  enabled_login: z.boolean().default(true).describe("Whether users may sign in with this method."),
  enabled_signup: z.boolean().default(true).describe("Whether new users may sign up with this method."),
  featured: z.boolean().default(false).describe("Whether the sign-in page highlights this method."),
};

function firstFactorOnly<const V extends boolean>(value: V, method: AuthMethodType) {
  return z
    .literal(value, { error: `Must be ${value} for ${method}` })
    .describe(
      value
        ? "Must be true: this method signs a user in on its own and is never a second factor."
        : "Must be false: this method is only a second factor.",
    );
}

// ---------------------------------------------------------------------------
// oauth2: a well-known provider

export const OAUTH2_PROVIDERS = [
  "google",
  "microsoft",
  "gitlab",
  "bitbucket",
  "discord",
  "slack",
  "linkedin",
  "facebook",
  "twitter",
  "twitch",
  "spotify",
] as const;

export const OAuth2Settings = z.strictObject({
  provider: z.enum(OAUTH2_PROVIDERS).describe("The identity provider."),
  client_id: ClientId,
  client_secret: ClientSecret,
  redirect_uri: httpsUrl({ allowLocalHttp: true }).describe(
    "The callback URL registered with the provider (https; http only for localhost).",
  ),
  scopes: Scopes.default([]).describe("Scopes to request; empty means the provider's defaults."),
});
export const CreateOAuth2AuthMethod = z
  .strictObject({
    ...commonCreateFields,
    method: z.literal("oauth2"),
    first_factor_only: firstFactorOnly(true, "oauth2"),
    settings: OAuth2Settings,
  })
  .meta({ id: "CreateOAuth2AuthMethod" });
const oauth2 = define({
  method: "oauth2",
  title: "OAuth 2.0 provider",
  firstFactorOnly: true,
  federated: true,
  singleton: false,
  settingsRequiredOnCreate: true,
  settings: OAuth2Settings,
  requiredKeys: ["provider", "client_id", "client_secret", "redirect_uri"],
  secretKeys: ["client_secret"],
});

// ---------------------------------------------------------------------------
// oidc: any OpenID Connect provider found by discovery

export const OidcSettings = z.strictObject({
  issuer_url: httpsUrl().describe("The provider's issuer URL; discovery reads /.well-known/openid-configuration."),
  client_id: ClientId,
  client_secret: ClientSecret,
  scopes: Scopes.default(["openid", "profile", "email"]).describe("Scopes to request."),
});
export const CreateOidcAuthMethod = z
  .strictObject({
    ...commonCreateFields,
    method: z.literal("oidc"),
    first_factor_only: firstFactorOnly(true, "oidc"),
    settings: OidcSettings,
  })
  .meta({ id: "CreateOidcAuthMethod" });
const oidc = define({
  method: "oidc",
  title: "OpenID Connect",
  firstFactorOnly: true,
  federated: true,
  singleton: false,
  settingsRequiredOnCreate: true,
  settings: OidcSettings,
  requiredKeys: ["issuer_url", "client_id", "client_secret"],
  secretKeys: ["client_secret"],
});

// ---------------------------------------------------------------------------
// apple: Sign in with Apple (the client secret is a JWT signed with this key)

const AppleId = z.string().regex(/^[A-Z0-9]{10}$/, "Must be 10 upper-case letters or digits");
const PEM_PRIVATE_KEY = /^-----BEGIN PRIVATE KEY-----\r?\n(?:[A-Za-z0-9+/=]+\r?\n)+-----END PRIVATE KEY-----\r?\n?$/;

export const AppleSettings = z.strictObject({
  client_id: ClientId.describe("The Services ID registered with Apple."),
  team_id: AppleId.describe("The Apple Developer team ID (10 characters)."),
  key_id: AppleId.describe("The ID of the Sign in with Apple key (10 characters)."),
  private_key: z
    .string()
    .max(8192)
    .regex(PEM_PRIVATE_KEY, "Must be a PEM -----BEGIN PRIVATE KEY----- block")
    .describe("The .p8 private key as PEM. Write-only: never returned, encrypted at rest."),
});
export const CreateAppleAuthMethod = z
  .strictObject({
    ...commonCreateFields,
    method: z.literal("apple"),
    first_factor_only: firstFactorOnly(true, "apple"),
    settings: AppleSettings,
  })
  .meta({ id: "CreateAppleAuthMethod" });
const apple = define({
  method: "apple",
  title: "Sign in with Apple",
  firstFactorOnly: true,
  federated: true,
  singleton: false,
  settingsRequiredOnCreate: true,
  settings: AppleSettings,
  requiredKeys: ["client_id", "team_id", "key_id", "private_key"],
  secretKeys: ["private_key"],
});

// ---------------------------------------------------------------------------
// github: GitHub or GitHub Enterprise

export const GithubSettings = z.strictObject({
  client_id: ClientId,
  client_secret: ClientSecret,
  scopes: Scopes.default(["read:user", "user:email"]).describe("Scopes to request."),
  enterprise_url: httpsUrl()
    .nullable()
    .default(null)
    .describe("The GitHub Enterprise Server URL; null for github.com."),
});
export const CreateGithubAuthMethod = z
  .strictObject({
    ...commonCreateFields,
    method: z.literal("github"),
    first_factor_only: firstFactorOnly(true, "github"),
    settings: GithubSettings,
  })
  .meta({ id: "CreateGithubAuthMethod" });
const github = define({
  method: "github",
  title: "GitHub",
  firstFactorOnly: true,
  federated: true,
  singleton: false,
  settingsRequiredOnCreate: true,
  settings: GithubSettings,
  requiredKeys: ["client_id", "client_secret"],
  secretKeys: ["client_secret"],
});

// ---------------------------------------------------------------------------
// oauth2_manual: any OAuth 2.0 provider configured by its endpoints

export const OAuth2ManualSettings = z.strictObject({
  authorization_url: httpsUrl().describe("The provider's authorization endpoint."),
  token_url: httpsUrl().describe("The provider's token endpoint."),
  userinfo_url: httpsUrl().nullable().default(null).describe("The provider's userinfo endpoint, if any."),
  client_id: ClientId,
  client_secret: ClientSecret,
  scopes: Scopes.default([]).describe("Scopes to request."),
  pkce: z.boolean().default(true).describe("Whether to use PKCE (S256)."),
});
export const CreateOAuth2ManualAuthMethod = z
  .strictObject({
    ...commonCreateFields,
    method: z.literal("oauth2_manual"),
    first_factor_only: firstFactorOnly(true, "oauth2_manual"),
    settings: OAuth2ManualSettings,
  })
  .meta({ id: "CreateOAuth2ManualAuthMethod" });
const oauth2_manual = define({
  method: "oauth2_manual",
  title: "OAuth 2.0 (manual endpoints)",
  firstFactorOnly: true,
  federated: true,
  singleton: false,
  settingsRequiredOnCreate: true,
  settings: OAuth2ManualSettings,
  requiredKeys: ["authorization_url", "token_url", "client_id", "client_secret"],
  secretKeys: ["client_secret"],
});

// ---------------------------------------------------------------------------
// password

export const PasswordSettings = z.strictObject({
  min_length: z.number().int().min(8).max(128).default(12).describe("Minimum password length (8-128)."),
  require_uppercase: z.boolean().default(false),
  require_lowercase: z.boolean().default(false),
  require_digit: z.boolean().default(false),
  require_symbol: z.boolean().default(false),
  check_breached: z.boolean().default(true).describe("Reject passwords known from breaches."),
  history_count: z
    .number()
    .int()
    .min(0)
    .max(24)
    .default(0)
    .describe("How many previous passwords may not be reused (0-24)."),
});
export const CreatePasswordAuthMethod = z
  .strictObject({
    ...commonCreateFields,
    method: z.literal("password"),
    first_factor_only: firstFactorOnly(true, "password"),
    settings: PasswordSettings.describe("Password policy; required, but may be {} for the defaults."),
  })
  .meta({ id: "CreatePasswordAuthMethod" });
const password = define({
  method: "password",
  title: "Password",
  firstFactorOnly: true,
  federated: false,
  singleton: true,
  settingsRequiredOnCreate: true,
  settings: PasswordSettings,
  requiredKeys: [],
  secretKeys: [],
});

// ---------------------------------------------------------------------------
// temporary_password

export const TemporaryPasswordSettings = z.strictObject({
  ttl_seconds: z.number().int().min(300).max(604_800).default(86_400).describe("Validity (300-604800 s)."),
  length: z.number().int().min(12).max(64).default(16).describe("Generated password length (12-64)."),
});
export const CreateTemporaryPasswordAuthMethod = z
  .strictObject({
    ...commonCreateFields,
    method: z.literal("temporary_password"),
    first_factor_only: firstFactorOnly(true, "temporary_password"),
    settings: TemporaryPasswordSettings.prefault({}),
  })
  .meta({ id: "CreateTemporaryPasswordAuthMethod" });
const temporary_password = define({
  method: "temporary_password",
  title: "Temporary password",
  firstFactorOnly: true,
  federated: false,
  singleton: true,
  settingsRequiredOnCreate: false,
  settings: TemporaryPasswordSettings,
  requiredKeys: [],
  secretKeys: [],
});

// ---------------------------------------------------------------------------
// email_link (magic link)

export const EmailLinkSettings = z.strictObject({
  ttl_seconds: z.number().int().min(60).max(86_400).default(900).describe("Link validity (60-86400 s)."),
});
export const CreateEmailLinkAuthMethod = z
  .strictObject({
    ...commonCreateFields,
    method: z.literal("email_link"),
    first_factor_only: firstFactorOnly(true, "email_link"),
    settings: EmailLinkSettings.describe("Required, but may be {} for the defaults."),
  })
  .meta({ id: "CreateEmailLinkAuthMethod" });
const email_link = define({
  method: "email_link",
  title: "Email link",
  firstFactorOnly: true,
  federated: false,
  singleton: true,
  settingsRequiredOnCreate: true,
  settings: EmailLinkSettings,
  requiredKeys: [],
  secretKeys: [],
});

// ---------------------------------------------------------------------------
// email_otp, sms_otp: one-time codes

function otpSettings() {
  return z.strictObject({
    code_length: z.number().int().min(4).max(10).default(6).describe("Digits per code (4-10)."),
    ttl_seconds: z.number().int().min(60).max(3600).default(600).describe("Code validity (60-3600 s)."),
    max_attempts: z.number().int().min(1).max(10).default(5).describe("Wrong codes allowed before a new one (1-10)."),
  });
}

export const EmailOtpSettings = otpSettings();
export const CreateEmailOtpAuthMethod = z
  .strictObject({
    ...commonCreateFields,
    method: z.literal("email_otp"),
    first_factor_only: firstFactorOnly(true, "email_otp"),
    settings: EmailOtpSettings.prefault({}),
  })
  .meta({ id: "CreateEmailOtpAuthMethod" });
const email_otp = define({
  method: "email_otp",
  title: "Email code",
  firstFactorOnly: true,
  federated: false,
  singleton: true,
  settingsRequiredOnCreate: false,
  settings: EmailOtpSettings,
  requiredKeys: [],
  secretKeys: [],
});

export const SmsOtpSettings = otpSettings();
export const CreateSmsOtpAuthMethod = z
  .strictObject({
    ...commonCreateFields,
    method: z.literal("sms_otp"),
    first_factor_only: firstFactorOnly(true, "sms_otp"),
    settings: SmsOtpSettings.prefault({}),
  })
  .meta({ id: "CreateSmsOtpAuthMethod" });
const sms_otp = define({
  method: "sms_otp",
  title: "SMS code",
  firstFactorOnly: true,
  federated: false,
  singleton: true,
  settingsRequiredOnCreate: false,
  settings: SmsOtpSettings,
  requiredKeys: [],
  secretKeys: [],
});

// ---------------------------------------------------------------------------
// passkey (WebAuthn): first factor or second, as the client chooses

export const PasskeySettings = z.strictObject({
  rp_id: Hostname.describe("The WebAuthn relying party ID: a hostname, e.g. example.com."),
  rp_name: safeString()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .describe("The relying party name shown by authenticators; defaults to the issuer name."),
  user_verification: z.enum(["required", "preferred", "discouraged"]).default("preferred"),
  attestation: z.enum(["none", "indirect", "direct"]).default("none"),
  authenticator_attachment: z.enum(["platform", "cross-platform"]).nullable().default(null),
});
export const CreatePasskeyAuthMethod = z
  .strictObject({
    ...commonCreateFields,
    method: z.literal("passkey"),
    first_factor_only: z
      .boolean()
      .describe("True: passkeys sign users in on their own. False: passkeys are a second factor only."),
    settings: PasskeySettings,
  })
  .meta({ id: "CreatePasskeyAuthMethod" });
const passkey = define({
  method: "passkey",
  title: "Passkey",
  firstFactorOnly: null,
  federated: false,
  singleton: true,
  settingsRequiredOnCreate: true,
  settings: PasskeySettings,
  requiredKeys: ["rp_id"],
  secretKeys: [],
});

// ---------------------------------------------------------------------------
// totp, backup_codes: second factors only

export const TotpSettings = z.strictObject({
  digits: z
    .union([z.literal(6), z.literal(8)])
    .default(6)
    .describe("Digits per code (6 or 8)."),
  period_seconds: z
    .union([z.literal(30), z.literal(60)])
    .default(30)
    .describe("Code period (30 or 60 s)."),
  algorithm: z.enum(["SHA1", "SHA256", "SHA512"]).default("SHA1"),
});
export const CreateTotpAuthMethod = z
  .strictObject({
    ...commonCreateFields,
    method: z.literal("totp"),
    first_factor_only: firstFactorOnly(false, "totp"),
    settings: TotpSettings.prefault({}),
  })
  .meta({ id: "CreateTotpAuthMethod" });
const totp = define({
  method: "totp",
  title: "Authenticator app (TOTP)",
  firstFactorOnly: false,
  federated: false,
  singleton: true,
  settingsRequiredOnCreate: false,
  settings: TotpSettings,
  requiredKeys: [],
  secretKeys: [],
});

export const BackupCodesSettings = z.strictObject({
  count: z.number().int().min(5).max(20).default(10).describe("Codes per set (5-20)."),
  length: z.number().int().min(8).max(16).default(10).describe("Characters per code (8-16)."),
});
export const CreateBackupCodesAuthMethod = z
  .strictObject({
    ...commonCreateFields,
    method: z.literal("backup_codes"),
    first_factor_only: firstFactorOnly(false, "backup_codes"),
    settings: BackupCodesSettings.prefault({}),
  })
  .meta({ id: "CreateBackupCodesAuthMethod" });
const backup_codes = define({
  method: "backup_codes",
  title: "Backup codes",
  firstFactorOnly: false,
  federated: false,
  singleton: true,
  settingsRequiredOnCreate: false,
  settings: BackupCodesSettings,
  requiredKeys: [],
  secretKeys: [],
});

// ---------------------------------------------------------------------------
// The table, the request bodies and the response

/** Every method type's declarations, by type. */
export const AUTH_METHODS: Readonly<Record<AuthMethodType, AuthMethodDefinition>> = {
  oauth2,
  oidc,
  apple,
  github,
  oauth2_manual,
  password,
  temporary_password,
  email_link,
  email_otp,
  sms_otp,
  passkey,
  totp,
  backup_codes,
};

export const SINGLETON_AUTH_METHODS: readonly AuthMethodType[] = AUTH_METHOD_TYPES.filter(
  (type) => AUTH_METHODS[type].singleton,
);

export function authMethodDefinition(method: AuthMethodType): AuthMethodDefinition {
  return AUTH_METHODS[method];
}

export function isAuthMethodType(value: unknown): value is AuthMethodType {
  return typeof value === "string" && (AUTH_METHOD_TYPES as readonly string[]).includes(value);
}

/** POST body: one member per method type, discriminated by `method`. */
export const CreateAuthMethodInput = z
  .discriminatedUnion("method", [
    CreateOAuth2AuthMethod,
    CreateOidcAuthMethod,
    CreateAppleAuthMethod,
    CreateGithubAuthMethod,
    CreateOAuth2ManualAuthMethod,
    CreatePasswordAuthMethod,
    CreateTemporaryPasswordAuthMethod,
    CreateEmailLinkAuthMethod,
    CreateEmailOtpAuthMethod,
    CreateSmsOtpAuthMethod,
    CreatePasskeyAuthMethod,
    CreateTotpAuthMethod,
    CreateBackupCodesAuthMethod,
  ])
  .meta({ id: "CreateAuthMethodRequest" });
export type CreateAuthMethodInput = z.input<typeof CreateAuthMethodInput>;
/** A validated create body with every default filled in. */
export type AuthMethodConfig = z.output<typeof CreateAuthMethodInput>;

/**
 * PATCH body. `settings` is an RFC 7396 merge patch of the stored settings; the
 * merged result is validated whole. `method`, `first_factor_only` and, for
 * federated methods, the credential and endpoint settings cannot change
 * (400 `immutable_field`).
 */
export const UpdateAuthMethodInput = z
  .strictObject({
    name: Name.optional(),
    enabled_login: z.boolean().optional().describe("Whether users may sign in with this method."),
    enabled_signup: z.boolean().optional().describe("Whether new users may sign up with this method."),
    featured: z.boolean().optional().describe("Whether the sign-in page highlights this method."),
    settings: z
      .record(z.string(), z.unknown())
      .optional()
      .describe(
        "Merge patch (RFC 7396) of settings; null resets a key to its default. Credentials and endpoints of federated methods cannot change.",
      ),
  })
  .meta({ id: "UpdateAuthMethodRequest" });
export type UpdateAuthMethodInput = z.input<typeof UpdateAuthMethodInput>;

const AUTH_METHOD_RESPONSE_IDS: Record<AuthMethodType, string> = {
  oauth2: "OAuth2AuthMethod",
  oidc: "OidcAuthMethod",
  apple: "AppleAuthMethod",
  github: "GithubAuthMethod",
  oauth2_manual: "OAuth2ManualAuthMethod",
  password: "PasswordAuthMethod",
  temporary_password: "TemporaryPasswordAuthMethod",
  email_link: "EmailLinkAuthMethod",
  email_otp: "EmailOtpAuthMethod",
  sms_otp: "SmsOtpAuthMethod",
  passkey: "PasskeyAuthMethod",
  totp: "TotpAuthMethod",
  backup_codes: "BackupCodesAuthMethod",
};

/**
 * A response member: the settings schema without its secret keys, in strip
 * mode, so parsing a response drops anything not on the allowlist, a secret
 * included.
 */
function responseMember<const M extends AuthMethodType>(method: M) {
  const definition = AUTH_METHODS[method];
  const publicShape = Object.fromEntries(
    Object.entries(definition.settings.shape).filter(([key]) => !definition.secretKeys.includes(key)),
  );
  const secretNames = definition.secretKeys as [string, ...string[]];
  return z
    .object({
      object: z.literal("auth_method"),
      id: z.string().describe("Unique identifier, `am_` + ULID."),
      issuer_id: z.string(),
      name: z.string(),
      method: z.literal(method),
      enabled_login: z.boolean(),
      enabled_signup: z.boolean(),
      featured: z.boolean(),
      first_factor_only:
        definition.firstFactorOnly === null ? z.boolean() : z.literal(definition.firstFactorOnly as boolean),
      settings: z.object(publicShape).describe("The method's settings, defaults filled in, secrets left out."),
      secrets_set: (secretNames.length > 0 ? z.array(z.enum(secretNames)) : z.array(z.never())).describe(
        "The write-only secret settings keys that are set (their values are never returned).",
      ),
      created_at: Timestamp,
      updated_at: Timestamp,
    })
    .meta({ id: AUTH_METHOD_RESPONSE_IDS[method] });
}

export const AuthMethod = z
  .discriminatedUnion("method", [
    responseMember("oauth2"),
    responseMember("oidc"),
    responseMember("apple"),
    responseMember("github"),
    responseMember("oauth2_manual"),
    responseMember("password"),
    responseMember("temporary_password"),
    responseMember("email_link"),
    responseMember("email_otp"),
    responseMember("sms_otp"),
    responseMember("passkey"),
    responseMember("totp"),
    responseMember("backup_codes"),
  ])
  .meta({ id: "AuthMethod" });
export type AuthMethod = z.infer<typeof AuthMethod>;

export const AuthMethodList = listOf(AuthMethod).meta({ id: "AuthMethodList" });
export type AuthMethodList = z.infer<typeof AuthMethodList>;
