import type { AuthMethodForm, AuthMethodFormField } from "@authpi/trpc";

/** A form's values as typed: text for inputs, booleans for switches. */
export type Values = Record<string, string | boolean>;

/**
 * The settings keys that cannot change after creation. The domain declares
 * them (a federated method's required and secret keys, `AUTH_METHODS[m].immutableKeys`);
 * the domain module cannot be bundled for the browser (it uses node:crypto),
 * so the form's flags are read the same way, and a test checks both agree for
 * every type.
 */
export function immutableKeys(form: AuthMethodForm): string[] {
  return form.federated ? form.fields.filter((f) => f.required || f.secret).map((f) => f.key) : [];
}

/**
 * What a typed value sends, or undefined for an empty field. A number field
 * sends a number when it is one, else the text, so the schema's message names
 * the field.
 */
export function fieldValue(field: AuthMethodFormField, value: string | boolean | undefined): unknown {
  if (field.kind === "boolean") return value === true;
  const text = typeof value === "string" ? value : "";
  if (text.trim() === "") return undefined;
  if (field.kind === "number" || (field.kind === "choice" && typeof field.options?.[0] === "number")) {
    return /^-?\d+$/.test(text.trim()) ? Number(text) : text;
  }
  if (field.kind === "list") return text.split(/[\s,]+/).filter(Boolean);
  if (field.kind === "multiline") return text.endsWith("\n") ? text : `${text}\n`;
  return field.secret ? text : text.trim();
}

/** The text a stored setting is edited as. */
function asText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.join(" ");
  return String(value);
}

/** A new method's values: the schema's defaults for switches, empty inputs. */
export function createValues(form: AuthMethodForm): Values {
  const values: Values = {
    name: form.title,
    enabled_login: true,
    enabled_signup: true,
    featured: false,
    first_factor_only: form.first_factor_only ?? true,
  };
  for (const f of form.fields) {
    values[f.key] = f.kind === "boolean" ? (typeof f.default === "boolean" ? f.default : false) : "";
  }
  return values;
}

/** A new method's settings: only what was filled in, so the schema's defaults apply to the rest. */
export function createSettings(form: AuthMethodForm, values: Values): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const f of form.fields) {
    const value = fieldValue(f, values[f.key]);
    if (f.kind === "boolean" ? value !== f.default : value !== undefined) settings[f.key] = value;
  }
  return settings;
}

/** An existing method's values: its name and its current settings; secrets are write-only, so empty. */
export function editValues(form: AuthMethodForm, name: string, settings: Record<string, unknown>): Values {
  const values: Values = { name };
  for (const f of form.fields) {
    if (f.kind === "boolean") values[f.key] = (settings[f.key] ?? f.default) === true;
    else values[f.key] = f.secret ? "" : asText(settings[f.key]);
  }
  return values;
}

/**
 * The settings merge patch of an edit: only the keys that changed; a field
 * that was emptied is `null` (back to the schema's default); an empty secret
 * keeps the stored one; immutable keys are never sent.
 */
export function editSettingsPatch(
  form: AuthMethodForm,
  settings: Record<string, unknown>,
  values: Values,
): Record<string, unknown> {
  const fixed = new Set(immutableKeys(form));
  const patch: Record<string, unknown> = {};
  for (const f of form.fields) {
    if (fixed.has(f.key)) continue;
    const next = fieldValue(f, values[f.key]);
    if (f.secret) {
      if (next !== undefined) patch[f.key] = next;
      continue;
    }
    const before = f.kind === "boolean" ? (settings[f.key] ?? f.default) === true : settings[f.key];
    if (next === undefined) {
      if (asText(before) !== "") patch[f.key] = null;
    } else if (JSON.stringify(next) !== JSON.stringify(before)) {
      patch[f.key] = next;
    }
  }
  return patch;
}
