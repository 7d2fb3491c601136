import fc from "fast-check";

/*
 * fast-check arbitraries for the OpenAPI fuzz test: values drawn from a JSON
 * Schema (the document's own request schemas, or a tRPC input's), hostile
 * values and mutations of valid ones, and the encodings that carry them.
 */

type Json = Record<string, any>;

/** Written where a number JSON cannot carry goes; `serializeBody` turns it into a raw `1e309`. */
export const INFINITY_MARK = "\u0001fuzz:1e309\u0001";

const LONG = "x".repeat(5000);

function nested(depth: number, leaf: unknown, array: boolean): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = array ? [value] : { a: value };
  return value;
}

/** Values that have broken something somewhere: wrong types, edge numbers, bad text, deep nesting. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    0,
    -0,
    -1,
    1.5,
    1e308,
    -1e308,
    2 ** 53 + 1,
    Number.MIN_VALUE,
    INFINITY_MARK,
    "",
    " ",
    "\u0000",
    "a\u0000b",
    "\ud800",
    "x\udc00y",
    "\ud83d",
    "\u202e\u200b\ufeff",
    "😀".repeat(60),
    LONG,
    "%2e%2e/%2F",
    "../../etc/passwd",
    "'; DROP TABLE issuers; --",
    "<script>alert(1)</script>",
    "__proto__",
    "iss_01JD0000000000000000000000",
    "https://",
    "http://example.com",
    "javascript:alert(1)",
    [],
    {},
    [null],
    { $gt: "" },
    nested(40, 1, true),
    nested(40, "x", false),
  ),
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.integer(),
  fc.double(),
);

/** Keys a body should never accept. */
const hostileKey = fc.constantFrom(
  "__proto__",
  "constructor",
  "prototype",
  "unknown_field",
  "",
  "\u0000",
  "k\ud800",
  "a".repeat(300),
  "name ",
  "NAME",
);

/** Sets `obj[key] = value` as an own property, `__proto__` included (plain assignment would set the prototype). */
function defineKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, configurable: true, writable: true });
}

function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []) {
  out.push(prefix);
  if (out.length > 200) return out;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) paths(item, [...prefix, i], out);
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  }
  return out;
}

const mutation = fc.record({
  at: fc.nat(),
  op: fc.constantFrom("replace", "replace", "replace", "taint", "taint", "add-key", "delete", "wrap"),
  value: hostileValue,
  key: hostileKey,
  /** What "taint" puts into a string: the characters Postgres refuses or alters. */
  taint: fc.constantFrom("\u0000", "\ud800", "\udc00", "\udbff"),
});

/** The same string with `bad` inserted at a position chosen by `at`. */
function tainted(value: string, bad: string, at: number): string {
  const i = value.length === 0 ? 0 : at % (value.length + 1);
  return `${value.slice(0, i)}${bad}${value.slice(i)}`;
}

/** One to three hostile edits of a (valid) value, at random places in it. */
export function mutate(value: unknown): fc.Arbitrary<unknown> {
  return fc.array(mutation, { minLength: 1, maxLength: 3 }).map((edits) => applyEdits(value, edits));
}

/** Exactly one bad character in one string of an otherwise untouched value: what reaches the database. */
export function taintOnce(value: unknown): fc.Arbitrary<unknown> {
  return mutation.map((edit) => applyEdits(value, [{ ...edit, op: "taint" }]));
}

type Edit = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function applyEdits(value: unknown, edits: Edit[]): unknown {
  let root: unknown = structuredClone(value);
  for (const edit of edits) {
    let all = paths(root);
    if (edit.op === "taint") {
      // Aim at a string leaf, so the bad character lands in a field that reaches the database.
      const strings = all.filter((p) => typeof p.reduce<any>((node, key) => node?.[key], root) === "string");
      if (strings.length > 0) all = strings;
    }
    const path = all[edit.at % all.length] ?? [];
    if (path.length === 0) {
      if (edit.op === "add-key" && root !== null && typeof root === "object" && !Array.isArray(root)) {
        defineKey(root as Record<string, unknown>, edit.key, edit.value);
      } else if (edit.op === "wrap") root = [root];
      else if (edit.op === "taint" && typeof root === "string") root = tainted(root, edit.taint, edit.at);
      else root = edit.value;
      continue;
    }
    const parent = path.slice(0, -1).reduce<any>((node, key) => node[key], root);
    const last = path[path.length - 1] as string | number;
    if (edit.op === "replace") parent[last] = edit.value;
    else if (edit.op === "taint") {
      parent[last] = typeof parent[last] === "string" ? tainted(parent[last], edit.taint, edit.at) : edit.taint;
    } else if (edit.op === "wrap") parent[last] = [parent[last]];
    else if (edit.op === "delete") {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else {
      const target = parent[last];
      if (target !== null && typeof target === "object" && !Array.isArray(target)) {
        defineKey(target, edit.key, edit.value);
      } else parent[last] = { [edit.key]: edit.value };
    }
  }
  return root;
}

/** A valid value most of the time, a mutated one often, something unrelated now and then. */
export function hostile(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: valid },
    { weight: 3, arbitrary: valid.chain(mutate) },
    { weight: 2, arbitrary: valid.chain(taintOnce) },
    { weight: 1, arbitrary: hostileValue },
  );
}

const RAW_BODIES = [
  "",
  "{",
  '{"name": "x"',
  '{"name": "x"} trailing',
  "{'name': 'x'}",
  '{"name": NaN}',
  '{"name": Infinity}',
  "null",
  "[]",
  '"string"',
  "42",
  '{"name":"x","name":"y"}',
  `${"[".repeat(5000)}${"]".repeat(5000)}`,
  '{"a":"\\ud800"}',
  '{"a":"\\u0000"}',
  '{"a":"\\uZZZZ"}',
  "\ufeff{}",
];

/** JSON text of a value (with `1e309` where INFINITY_MARK was), or raw text JSON.parse may refuse. */
export function bodyText(value: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 19, arbitrary: value.map(serializeBody) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_BODIES) },
  );
}

export function serializeBody(value: unknown): string {
  const text = JSON.stringify(value) ?? "null";
  return text.replaceAll(JSON.stringify(INFINITY_MARK), "1e309");
}

/**
 * encodeURIComponent, except that a lone surrogate (which it refuses) becomes
 * its WTF-8 bytes: the invalid UTF-8 a hostile client can still send.
 */
export function encodeComponent(value: string): string {
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    const next = value.charCodeAt(i + 1);
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += encodeURIComponent(value.slice(i, i + 2));
      i++;
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      out += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join("");
    } else out += encodeURIComponent(value[i] as string);
  }
  return out;
}

/** Path segments sent as-is (already encoded or deliberately not). */
export const hostileSegment = fc.oneof(
  fc.constantFrom(
    "..",
    ".",
    "%2e%2e",
    "%2E%2E%2F%2E%2E",
    "a%2Fb",
    "%2F",
    "%00",
    "%ZZ",
    "%",
    "%ED%A0%80",
    "%F0%9F%98%80",
    "%C3%A9",
    "iss_01JD0000000000000000000000",
    "am_01JD0000000000000000000000",
    "acct_01JD0000000000000000000000",
    "ISS_01JD0000000000000000000000",
    `iss_${"9".repeat(26)}`,
    "x".repeat(3000),
    "null",
    "undefined",
    "[object Object]",
    "%20",
    "+",
  ),
  fc.string({ maxLength: 30 }).map(encodeComponent),
  fc.stringMatching(/^[a-z]{2,4}_[0-9A-Z]{20,30}$/),
);

/** A header value fetch can send (Latin-1, no CR/LF), hostile or plausible. */
export const headerValue = fc.oneof(
  fc.constantFrom("*", '"abc"', 'W/"abc"', '"', "", " ", "a".repeat(600), '"x", "y"', "null"),
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 }),
  fc.string({ unit: fc.integer({ min: 0xa0, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 10 }),
);

// ---------------------------------------------------------------------------
// JSON Schema → arbitrary

/** Strings that satisfy the formats our schemas use without saying so (URLs, hostnames, scopes). */
const plausibleString = fc.constantFrom(
  "Production",
  "https://example.com",
  "https://login.example.com/callback",
  "https://accounts.example.com",
  "http://localhost:3000/cb",
  "example.com",
  "openid",
  "email",
  "client-id",
  "a-secret-value",
  "#12ab34",
  "ABCDE12345",
  "team@example.com",
);

/** Property names whose strings are URLs, though the schema only says "string". */
const URL_PROPERTY = /(_url|_uri|^homepage|^privacy_policy|^terms_of_service|^support)$/;
const plausibleUrl = fc.constantFrom(
  "https://example.com",
  "https://login.example.com/callback",
  "https://accounts.example.com",
  "https://idp.example.com/token",
);

export interface SchemaContext {
  document: Json;
  /** For a property that is a free-form record (`additionalProperties: {}`): the schema its values follow. */
  recordHint?: (name: string) => Json | undefined;
}

function resolveRef(document: Json, ref: string): Json {
  let target: any = document;
  for (const part of ref.replace(/^#\//, "").split("/"))
    target = target?.[part.replaceAll("~1", "/").replaceAll("~0", "~")];
  return (target ?? {}) as Json;
}

function stringArbitrary(schema: Json, property: string | undefined): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = Math.min(schema.maxLength ?? 60, 60);
  const fits = (s: string) => s.length >= (schema.minLength ?? 0) && s.length <= (schema.maxLength ?? Infinity);
  if (schema.format === "date-time") return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
  if (property !== undefined && URL_PROPERTY.test(property)) {
    return fc.oneof({ weight: 6, arbitrary: plausibleUrl }, { weight: 1, arbitrary: plausibleString });
  }
  const options: fc.Arbitrary<string>[] = [plausibleString.filter(fits)];
  if (typeof schema.pattern === "string") {
    try {
      options.unshift(fc.stringMatching(new RegExp(schema.pattern)).filter(fits));
    } catch {
      // a pattern JavaScript cannot compile: the other options still apply
    }
  } else options.push(fc.string({ minLength: Math.min(min, max), maxLength: Math.max(min, max) }));
  return fc.oneof(...options);
}

/** An arbitrary of values that (mostly) satisfy `schema`; `partial` makes every property optional. */
export function fromSchema(
  schema: Json,
  ctx: SchemaContext,
  depth = 0,
  partial = false,
  property?: string,
): fc.Arbitrary<unknown> {
  if (depth > 8) return fc.constant(null);
  if (typeof schema.$ref === "string")
    return fromSchema(resolveRef(ctx.document, schema.$ref), ctx, depth + 1, partial, property);
  if ("const" in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
  const variants = schema.oneOf ?? schema.anyOf;
  if (Array.isArray(variants))
    return fc.oneof(...variants.map((v: Json) => fromSchema(v, ctx, depth + 1, partial, property)));
  if (Array.isArray(schema.allOf))
    return fromSchema(Object.assign({}, ...schema.allOf), ctx, depth + 1, partial, property);
  const type = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : undefined;
  if (type && type.length > 1)
    return fc.oneof(...type.map((t: string) => fromSchema({ ...schema, type: t }, ctx, depth, partial, property)));
  switch (type?.[0]) {
    case "string":
      return stringArbitrary(schema, property);
    case "integer":
      return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 });
    case "number":
      return fc.oneof(
        fc.integer({ min: Math.ceil(schema.minimum ?? -1_000_000), max: Math.floor(schema.maximum ?? 1_000_000) }),
        fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true }),
      );
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array":
      return fc.array(
        schema.items ? fromSchema(schema.items, ctx, depth + 1, false, property) : fc.jsonValue({ maxDepth: 2 }),
        {
          minLength: Math.min(schema.minItems ?? 0, 5),
          maxLength: Math.min(schema.maxItems ?? 5, 5),
        },
      );
    default:
      return objectArbitrary(schema, ctx, depth, partial);
  }
}

function objectArbitrary(schema: Json, ctx: SchemaContext, depth: number, partial: boolean): fc.Arbitrary<unknown> {
  const properties: Record<string, Json> = schema.properties ?? {};
  const required: string[] = partial ? [] : (schema.required ?? []);
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, property] of Object.entries(properties)) {
    const free = property.additionalProperties !== undefined && !property.properties && property.type === "object";
    const hint = free ? ctx.recordHint?.(name) : undefined;
    // A merge patch of a record: draw a partial of the resource's own schema for it, or nulls (resets).
    shape[name] = hint
      ? fc.oneof(
          fromSchema(hint, ctx, depth + 1, true),
          fc.dictionary(fc.string({ maxLength: 10 }), fc.constant(null), { maxKeys: 2 }),
        )
      : fromSchema(property, ctx, depth + 1, false, name);
  }
  if (Object.keys(shape).length === 0) {
    if (schema.additionalProperties === false) return fc.constant({});
    return fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 20 }), { maxKeys: 3 });
  }
  return fc.record(shape, { requiredKeys: required.filter((key) => key in shape) });
}
