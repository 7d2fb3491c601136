import { type EventChanges, SECRET_MARK } from "./schema.ts";

export interface DiffOptions {
  /**
   * Dotted paths of secret fields (`settings.client_secret`). Their values are
   * compared but never written: a set secret reads `"[set]"`, an absent one null.
   */
  secretPaths?: readonly string[];
  /** Top-level fields that are bookkeeping, not a change (`updated_at`, `object`). */
  ignore?: readonly string[];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Equality of JSON values (arrays by position, objects by key regardless of order). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) if (!sameJson(a[key] ?? null, b[key] ?? null)) return false;
    return true;
  }
  return false;
}

const present = (value: unknown) => value !== undefined && value !== null;

/**
 * The changed fields between two versions of a resource, as dotted paths of
 * their leaves (objects are walked, arrays and scalars are leaves):
 * `{ "settings.session.lifetime_seconds": { from: 1209600, to: 86400 } }`.
 * `before` undefined/null is a creation (every field from null), `after`
 * undefined/null a deletion. A missing field and null are the same.
 */
export function diffChanges(before: unknown, after: unknown, options: DiffOptions = {}): EventChanges {
  const secrets = new Set(options.secretPaths ?? []);
  const ignore = new Set(options.ignore ?? []);
  const changes: EventChanges = {};

  function walk(path: string, from: unknown, to: unknown): void {
    if (secrets.has(path)) {
      if (!sameJson(from ?? null, to ?? null)) {
        changes[path] = { from: present(from) ? SECRET_MARK : null, to: present(to) ? SECRET_MARK : null };
      }
      return;
    }
    if (isPlainObject(from) || isPlainObject(to)) {
      const a = isPlainObject(from) ? from : {};
      const b = isPlainObject(to) ? to : {};
      // A scalar replaced by an object (or the reverse) still reads as leaves below; the scalar side is null.
      if (!isPlainObject(from) && present(from)) changes[path] = { from, to: null };
      if (!isPlainObject(to) && present(to)) changes[path] = { from: null, to };
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
        if (path === "" && ignore.has(key)) continue;
        walk(path ? `${path}.${key}` : key, a[key], b[key]);
      }
      return;
    }
    if (!sameJson(from ?? null, to ?? null)) changes[path] = { from: from ?? null, to: to ?? null };
  }

  walk("", before ?? {}, after ?? {});
  return changes;
}

/**
 * The same diff, for a change that touched secrets without changing what they
 * are (re-encryption): each listed secret reads `"[set]" → "[set]"`.
 */
export function touchedSecrets(paths: readonly string[]): EventChanges {
  return Object.fromEntries(paths.map((path) => [path, { from: SECRET_MARK, to: SECRET_MARK }]));
}
