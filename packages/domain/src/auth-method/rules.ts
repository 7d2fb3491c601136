import { DomainError, parseOrThrow } from "../errors.ts";
import { assertJsonBodySafe } from "../input-safety.ts";
import { mergePatch } from "../merge-patch.ts";
import {
  AUTH_METHOD_TYPES,
  type AuthMethodConfig,
  authMethodDefinition,
  CreateAuthMethodInput,
  isAuthMethodType,
  UpdateAuthMethodInput,
} from "./schema.ts";

export interface AuthMethodContext {
  /** The issuer's name: the default passkey `rp_name`. */
  issuerName: string;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function fillDerivedDefaults(config: AuthMethodConfig, context: AuthMethodContext): AuthMethodConfig {
  if (config.method === "passkey" && config.settings.rp_name === undefined) {
    return { ...config, settings: { ...config.settings, rp_name: context.issuerName } };
  }
  return config;
}

/**
 * Validates a create body into a complete, defaulted configuration, secrets
 * included (the caller splits them off before storing). An unknown or missing
 * `method` is a 400 naming `method`, not a generic union failure.
 */
export function authMethodConfigForCreate(input: unknown, context: AuthMethodContext): AuthMethodConfig {
  if (isPlainObject(input) && !isAuthMethodType(input.method)) {
    const message =
      input.method === undefined ? "Required" : `Must be one of ${AUTH_METHOD_TYPES.map((t) => `'${t}'`).join(", ")}`;
    throw new DomainError("validation_failed", `method: ${message}`, {
      param: "method",
      details: [{ param: "method", message }],
    });
  }
  assertJsonBodySafe(input);
  return fillDerivedDefaults(parseOrThrow(CreateAuthMethodInput, input), context);
}

function immutable(param: string, why: string): DomainError {
  return new DomainError(
    "immutable_field",
    `${param} cannot be changed after creation${why}; delete the auth method and create a new one instead`,
    { param },
  );
}

/**
 * Applies a PATCH body to the current configuration (secrets included):
 * plain fields replace, `settings` merges (RFC 7396), and the result is
 * validated whole, as a create would be. Sending `method`,
 * `first_factor_only` or, for a federated method, any credential or endpoint
 * setting is a 400 `immutable_field` — even with the current value, so a
 * client never believes it changed one.
 */
export function applyAuthMethodPatch(
  current: AuthMethodConfig,
  body: unknown,
  context: AuthMethodContext,
): AuthMethodConfig {
  if (isPlainObject(body)) {
    if ("method" in body) throw immutable("method", "");
    if ("first_factor_only" in body) throw immutable("first_factor_only", "");
  }
  assertJsonBodySafe(body);
  const patch = parseOrThrow(UpdateAuthMethodInput, body);
  const definition = authMethodDefinition(current.method);
  if (patch.settings !== undefined) {
    for (const key of definition.immutableKeys) {
      if (key in patch.settings) throw immutable(`settings.${key}`, ` for ${current.method}`);
    }
  }
  const settings = patch.settings === undefined ? current.settings : mergePatch(current.settings, patch.settings);
  const merged = {
    method: current.method,
    first_factor_only: current.first_factor_only,
    name: patch.name ?? current.name,
    enabled_login: patch.enabled_login ?? current.enabled_login,
    enabled_signup: patch.enabled_signup ?? current.enabled_signup,
    featured: patch.featured ?? current.featured,
    settings,
  };
  return fillDerivedDefaults(parseOrThrow(CreateAuthMethodInput, merged), context);
}
