import { AUTH_METHODS, type AuthMethodType } from "./schema.ts";

export { APPLE_TEST_PRIVATE_KEY } from "./types/apple.ts";

/**
 * A valid create body per method type, with the made-up credentials its type
 * file declares. Tests, the OpenAPI examples and the admin UI's "example"
 * buttons use these.
 */
export function exampleAuthMethodBody(method: AuthMethodType, name: string = method): Record<string, unknown> {
  const definition = AUTH_METHODS[method];
  const body: Record<string, unknown> = { name, method, first_factor_only: definition.firstFactorOnly ?? true };
  if (definition.exampleSettings !== undefined) body.settings = structuredClone(definition.exampleSettings);
  return body;
}
