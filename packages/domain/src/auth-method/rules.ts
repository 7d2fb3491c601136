import { DomainError, parseOrThrow } from "../errors.ts";
import { mergePatch } from "../merge-patch.ts";
import {
  type AuthMethodConfig,
  type AuthMethodPatch,
  authMethodDefinition,
  CreateAuthMethodInput,
  immutableFieldMessage,
} from "./schema.ts";

export interface AuthMethodContext {
  /** The issuer's name: the default passkey `rp_name`. */
  issuerName: string;
}

function fillDerivedDefaults(config: AuthMethodConfig, context: AuthMethodContext): AuthMethodConfig {
  if (config.method === "passkey" && config.settings.rp_name === undefined) {
    return { ...config, settings: { ...config.settings, rp_name: context.issuerName } };
  }
  return config;
}

/**
 * A parsed create body as a complete, defaulted configuration, secrets
 * included (the caller splits them off before storing).
 */
export function authMethodConfigForCreate(body: AuthMethodConfig, context: AuthMethodContext): AuthMethodConfig {
  return fillDerivedDefaults(body, context);
}

/**
 * Applies a parsed PATCH body to the current configuration (secrets
 * included): plain fields replace, `settings` merges (RFC 7396), and the
 * result is validated whole, as a create would be. The body schema already
 * refused `method` and `first_factor_only`; what a method type fixes is
 * checked here: sending, for a federated method, any credential or endpoint
 * setting is a 400 `immutable_field` — even with the current value, so a
 * client never believes it changed one.
 */
export function applyAuthMethodPatch(
  current: AuthMethodConfig,
  patch: AuthMethodPatch,
  context: AuthMethodContext,
): AuthMethodConfig {
  const definition = authMethodDefinition(current.method);
  if (patch.settings !== undefined) {
    for (const key of definition.immutableKeys) {
      if (key in patch.settings) {
        const param = `settings.${key}`;
        throw new DomainError("immutable_field", immutableFieldMessage(param, ` for ${current.method}`), { param });
      }
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
