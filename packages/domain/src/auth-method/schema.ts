import { z } from "zod";
import { listOf, Name } from "../common.ts";
import { refuseKeys } from "../refuse-keys.ts";
import type { AuthMethodDefinition } from "./define.ts";
import { AUTH_METHOD_TYPE_LIST, type DeclaredAuthMethodTypes } from "./types/index.ts";

/**
 * Auth methods (api-contract §1 "Auth method"). Each type is declared once, in
 * its own file under `types/` (settings schema with defaults, secret keys,
 * singleton, first_factor_only, example); this file derives the tables and
 * the request and response schemas from the list in `types/index.ts`.
 * Validation, secret stripping, immutability checks, OpenAPI and the admin
 * UI's forms all read these same declarations.
 */

export type { AuthMethodDefinition } from "./define.ts";

// Mapped over the list's tuple type, so each derived tuple keeps one precise member per type.
type TypeList = typeof AUTH_METHOD_TYPE_LIST;
type Pluck<T extends TypeList, F extends "method" | "create" | "response"> = { readonly [K in keyof T]: T[K][F] };

function pluck<F extends "method" | "create" | "response">(field: F): Pluck<TypeList, F> {
  return AUTH_METHOD_TYPE_LIST.map((type) => type[field]) as unknown as Pluck<TypeList, F>;
}

export const AUTH_METHOD_TYPES = pluck("method");
export const AuthMethodType = z.enum(AUTH_METHOD_TYPES).describe("The kind of auth method; the discriminator.");
export type AuthMethodType = z.infer<typeof AuthMethodType>;

/** At most this many auth methods per issuer (409 `limit_reached`). */
export const MAX_AUTH_METHODS_PER_ISSUER = 50;

/** Every method type's declarations, by type. */
export const AUTH_METHODS: Readonly<DeclaredAuthMethodTypes> = Object.fromEntries(
  AUTH_METHOD_TYPE_LIST.map((type) => [type.method, type]),
) as DeclaredAuthMethodTypes;

export const SINGLETON_AUTH_METHODS: readonly AuthMethodType[] = AUTH_METHOD_TYPES.filter(
  (type) => AUTH_METHODS[type].singleton,
);

export function authMethodDefinition(method: AuthMethodType): AuthMethodDefinition {
  return AUTH_METHODS[method];
}

export function isAuthMethodType(value: unknown): value is AuthMethodType {
  return typeof value === "string" && (AUTH_METHOD_TYPES as readonly string[]).includes(value);
}

const METHOD_CHOICES = `Must be one of ${AUTH_METHOD_TYPES.map((t) => `'${t}'`).join(", ")}`;

/**
 * POST body: one member per method type, discriminated by `method`. An unknown or
 * missing `method` is a 400 naming `method`, not a generic union failure.
 */
export const CreateAuthMethodInput = z
  .discriminatedUnion("method", pluck("create"), {
    error: (issue) => {
      if (issue.code !== "invalid_union") return undefined;
      const input = issue.input as Record<string, unknown> | undefined;
      return input?.method === undefined ? "Required" : METHOD_CHOICES;
    },
  })
  .meta({ id: "CreateAuthMethodRequest" });
export type CreateAuthMethodInput = z.input<typeof CreateAuthMethodInput>;
/** A validated create body with every default filled in (the passkey `rp_name` comes from the issuer). */
export type AuthMethodConfig = z.output<typeof CreateAuthMethodInput>;

/** The 400 `immutable_field` message, for the fields of every method and the settings of some. */
export function immutableFieldMessage(param: string, why = ""): string {
  return `${param} cannot be changed after creation${why}; delete the auth method and create a new one instead`;
}

/**
 * PATCH body. `settings` is an RFC 7396 merge patch of the stored settings; the
 * merged result is validated whole. `method`, `first_factor_only` and, for
 * federated methods, the credential and endpoint settings cannot change
 * (400 `immutable_field`).
 */
export const UpdateAuthMethodInput = refuseKeys(
  z.strictObject({
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
  }),
  ["method", "first_factor_only"].map((key) => ({
    key,
    code: "immutable_field",
    message: immutableFieldMessage(key),
  })),
).meta({ id: "UpdateAuthMethodRequest" });
export type UpdateAuthMethodInput = z.input<typeof UpdateAuthMethodInput>;
/** A parsed PATCH body: the keys it sent, and only those (`settings` keeps its nulls, the merge patch's resets). */
export type AuthMethodPatch = z.output<typeof UpdateAuthMethodInput>;

export const AuthMethod = z.discriminatedUnion("method", pluck("response")).meta({ id: "AuthMethod" });
export type AuthMethod = z.infer<typeof AuthMethod>;

export const AuthMethodList = listOf(AuthMethod).meta({ id: "AuthMethodList" });
export type AuthMethodList = z.infer<typeof AuthMethodList>;
