import { AUTH_METHOD_TYPES, AUTH_METHODS, type AuthMethodType } from "@authpi/domain";
import { z } from "zod";

/**
 * What the admin UI needs to draw an "add method" form, read from the domain's
 * own declarations (settings schema → JSON Schema, required and secret keys),
 * so the form can never ask for something the API would not accept. The rules
 * themselves stay in the domain; the server validates every submit.
 */
export const AuthMethodFormField = z.object({
  key: z.string(),
  kind: z.enum(["string", "multiline", "number", "boolean", "choice", "list"]),
  required: z.boolean(),
  /** Write-only: drawn as a password input, never filled from a response. */
  secret: z.boolean(),
  nullable: z.boolean(),
  options: z.array(z.union([z.string(), z.number()])).optional(),
  default: z.unknown().optional(),
  description: z.string().optional(),
});
export type AuthMethodFormField = z.infer<typeof AuthMethodFormField>;

export const AuthMethodForm = z.object({
  method: z.enum(AUTH_METHOD_TYPES),
  title: z.string(),
  federated: z.boolean(),
  singleton: z.boolean(),
  /** The only allowed value, or null when the operator chooses (passkey). */
  first_factor_only: z.boolean().nullable(),
  fields: z.array(AuthMethodFormField),
});
export type AuthMethodForm = z.infer<typeof AuthMethodForm>;

interface JsonSchemaProperty {
  type?: string;
  enum?: (string | number)[];
  const?: string | number;
  anyOf?: JsonSchemaProperty[];
  default?: unknown;
  description?: string;
}

function field(key: string, prop: JsonSchemaProperty, required: boolean, secret: boolean): AuthMethodFormField {
  const variants = prop.anyOf ?? [prop];
  const nullable = variants.some((v) => v.type === "null");
  const nonNull = variants.filter((v) => v.type !== "null");
  const options = nonNull.flatMap((v) => v.enum ?? (v.const !== undefined ? [v.const] : []));
  const type = nonNull[0]?.type;
  const kind: AuthMethodFormField["kind"] =
    options.length > 0
      ? "choice"
      : type === "boolean"
        ? "boolean"
        : type === "number" || type === "integer"
          ? "number"
          : type === "array"
            ? "list"
            : key === "private_key"
              ? "multiline"
              : "string";
  return {
    key,
    kind,
    required,
    secret,
    nullable,
    ...(options.length > 0 ? { options } : {}),
    ...(prop.default !== undefined ? { default: prop.default } : {}),
    ...(prop.description ? { description: prop.description } : {}),
  };
}

function formFor(method: AuthMethodType): AuthMethodForm {
  const definition = AUTH_METHODS[method];
  const schema = z.toJSONSchema(definition.settings, { io: "input", unrepresentable: "any" }) as {
    properties?: Record<string, JsonSchemaProperty>;
  };
  return {
    method,
    title: definition.title,
    federated: definition.federated,
    singleton: definition.singleton,
    first_factor_only: definition.firstFactorOnly,
    fields: Object.entries(schema.properties ?? {}).map(([key, prop]) =>
      field(key, prop, definition.requiredKeys.includes(key), definition.secretKeys.includes(key)),
    ),
  };
}

export const AUTH_METHOD_FORMS: readonly AuthMethodForm[] = AUTH_METHOD_TYPES.map(formFor);
