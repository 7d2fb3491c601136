import { z } from "zod";
import { Name, ScopeToken, safeString, Timestamp, uniqueList } from "../common.ts";
import type { AuthMethodType } from "./types/index.ts";

/**
 * How one auth-method type is declared (one file per type in `types/`), and
 * everything derived from a declaration: its create-body member, its response
 * member, its required and immutable settings keys. Nothing here is specific
 * to a type; the tables the rest of the code reads are built from the list in
 * `types/index.ts`.
 */

/** What the rest of the code reads about a type (AUTH_METHODS, authMethodDefinition). */
export interface AuthMethodDefinition<M extends string = AuthMethodType> {
  method: M;
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
  /** Settings keys a create must send: derived, the keys whose schema has no default and is not optional. */
  requiredKeys: readonly string[];
  /** Write-only settings keys: encrypted at rest, never returned (`secrets_set` names them). */
  secretKeys: readonly string[];
  /** Settings keys a PATCH may not send: for federated methods, the required and secret keys. */
  immutableKeys: readonly string[];
  /** Made-up settings of a valid create body (exampleAuthMethodBody); absent when a create may omit them. */
  exampleSettings: Readonly<Record<string, unknown>> | undefined;
}

export interface AuthMethodTypeSpec<
  M extends string,
  S extends z.ZodObject,
  F extends boolean | null,
  R extends boolean,
> {
  method: M;
  title: string;
  firstFactorOnly: F;
  /** The field's documentation when the client chooses `first_factor_only` (F = null). */
  firstFactorOnlyDescription?: string;
  federated: boolean;
  singleton: boolean;
  settingsRequiredOnCreate: R;
  /** Documentation of `settings` in the create body, when it needs more than the schema's own. */
  settingsDescription?: string;
  settings: S;
  secretKeys: readonly (keyof S["shape"] & string)[];
  /** OpenAPI component ids of the create-body member and of the response member. */
  schemaIds: { create: string; response: string };
  exampleSettings?: z.input<S>;
}

// ---------------------------------------------------------------------------
// Field schemas several types share

export const ClientId = safeString().trim().min(1).max(255).describe("The OAuth client ID issued by the provider.");
export const ClientSecret = safeString()
  .min(1)
  .max(4096)
  .describe("The OAuth client secret. Write-only: never returned, encrypted at rest.");
export const Scopes = uniqueList(ScopeToken, 100);

const commonCreateFields = {
  name: Name,
  enabled_login: z.boolean().default(true).describe("Whether users may sign in with this method."),
  enabled_signup: z.boolean().default(true).describe("Whether new users may sign up with this method."),
  featured: z.boolean().default(false).describe("Whether the sign-in page highlights this method."),
};

type FirstFactorOnlySchema<F extends boolean | null> = F extends boolean ? z.ZodLiteral<F> : z.ZodBoolean;
type CreateSettingsSchema<S extends z.ZodObject, R extends boolean> = R extends true ? S : z.ZodPrefault<S>;

function firstFactorOnlySchema<F extends boolean | null>(
  value: F,
  method: string,
  description: string | undefined,
): FirstFactorOnlySchema<F> {
  if (value === null) return z.boolean().describe(description ?? "") as FirstFactorOnlySchema<F>;
  return z
    .literal(value, { error: `Must be ${value} for ${method}` })
    .describe(
      value
        ? "Must be true: this method signs a user in on its own and is never a second factor."
        : "Must be false: this method is only a second factor.",
    ) as FirstFactorOnlySchema<F>;
}

function createMember<M extends string, S extends z.ZodObject, F extends boolean | null, R extends boolean>(
  spec: AuthMethodTypeSpec<M, S, F, R>,
) {
  const settings = spec.settingsRequiredOnCreate
    ? spec.settingsDescription === undefined
      ? spec.settings
      : spec.settings.describe(spec.settingsDescription)
    : spec.settings.prefault({} as never);
  return z
    .strictObject({
      ...commonCreateFields,
      method: z.literal(spec.method),
      first_factor_only: firstFactorOnlySchema(spec.firstFactorOnly, spec.method, spec.firstFactorOnlyDescription),
      settings: settings as CreateSettingsSchema<S, R>,
    })
    .meta({ id: spec.schemaIds.create });
}

/** Read-only, on the federated methods' responses (api-contract §8). */
const CallbackUrl = z
  .string()
  .describe(
    "Read-only: `{issuer_url}/callback/{id}`, the redirect URI to register at the upstream provider (for `oauth2`, the `redirect_uri` setting must lead back to it).",
  );

/**
 * A response member: the settings schema without its secret keys, in strip
 * mode, so parsing a response drops anything not on the allowlist, a secret
 * included.
 */
function responseMember<M extends string>(
  method: M,
  firstFactorOnly: boolean | null,
  settings: z.ZodObject,
  secretKeys: readonly string[],
  id: string,
  federated: boolean,
) {
  const publicShape = Object.fromEntries(Object.entries(settings.shape).filter(([key]) => !secretKeys.includes(key)));
  const secretNames = secretKeys as [string, ...string[]];
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
      first_factor_only: firstFactorOnly === null ? z.boolean() : z.literal(firstFactorOnly as boolean),
      settings: z.object(publicShape).describe("The method's settings, defaults filled in, secrets left out."),
      secrets_set: (secretNames.length > 0 ? z.array(z.enum(secretNames)) : z.array(z.never())).describe(
        "The write-only secret settings keys that are set (their values are never returned).",
      ),
      created_at: Timestamp,
      updated_at: Timestamp,
      ...(federated ? { callback_url: CallbackUrl } : {}),
    })
    .meta({ id });
}

/** The settings keys whose schema refuses `undefined`: no default, not optional. */
function keysWithoutDefault(settings: z.ZodObject): string[] {
  return Object.entries(settings.shape)
    .filter(([, schema]) => !(schema as z.ZodType).safeParse(undefined).success)
    .map(([key]) => key);
}

/**
 * Declares one auth-method type. Returns its definition with the schemas
 * derived from it, keeping the literal types the discriminated unions need.
 */
export function defineAuthMethodType<
  const M extends string,
  S extends z.ZodObject,
  const F extends boolean | null,
  const R extends boolean,
>(spec: AuthMethodTypeSpec<M, S, F, R>) {
  const requiredKeys = keysWithoutDefault(spec.settings);
  const immutableKeys = spec.federated ? [...new Set([...requiredKeys, ...spec.secretKeys])] : [];
  return {
    method: spec.method,
    title: spec.title,
    firstFactorOnly: spec.firstFactorOnly,
    federated: spec.federated,
    singleton: spec.singleton,
    settingsRequiredOnCreate: spec.settingsRequiredOnCreate,
    settings: spec.settings,
    requiredKeys,
    secretKeys: spec.secretKeys as readonly string[],
    immutableKeys,
    exampleSettings: spec.exampleSettings as Readonly<Record<string, unknown>> | undefined,
    /** The create body's member of CreateAuthMethodInput. */
    create: createMember(spec),
    /** The response's member of AuthMethod. */
    response: responseMember(
      spec.method,
      spec.firstFactorOnly,
      spec.settings,
      spec.secretKeys,
      spec.schemaIds.response,
      spec.federated,
    ),
  } satisfies AuthMethodDefinition<M> & { create: unknown; response: unknown };
}
