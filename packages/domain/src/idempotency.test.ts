import { describe, expect, test } from "vitest";
import { DomainError } from "./errors.ts";
import { canonicalJson, parseIdempotencyKey, requestFingerprint } from "./idempotency.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("parseIdempotencyKey", () => {
  test("the quoted sf-string and the bare form name the same key", () => {
    expect(parseIdempotencyKey('"abc-123"')).toBe("abc-123");
    expect(parseIdempotencyKey("abc-123")).toBe("abc-123");
    expect(parseIdempotencyKey('"a\\"b"')).toBe('a"b');
  });

  test.each(["", '""', "x".repeat(256), "café", "tab\there"])("refuses %j", (header) => {
    expect(() => parseIdempotencyKey(header)).toThrow(DomainError);
  });

  test("accepts 255 characters", () => {
    expect(parseIdempotencyKey("k".repeat(255))).toHaveLength(255);
  });
});

describe("requestFingerprint", () => {
  test("ignores key order and whitespace", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"e":3,"f":2}]},"b":1}',
    );
    expect(requestFingerprint("POST", "/v1/x", bytes('{"a":1,"b":2}'))).toBe(
      requestFingerprint("POST", "/v1/x", bytes('{ "b": 2, "a": 1 }')),
    );
  });

  test("differs by method, path and body", () => {
    const base = requestFingerprint("POST", "/v1/x", bytes('{"a":1}'));
    expect(requestFingerprint("PATCH", "/v1/x", bytes('{"a":1}'))).not.toBe(base);
    expect(requestFingerprint("POST", "/v1/y", bytes('{"a":1}'))).not.toBe(base);
    expect(requestFingerprint("POST", "/v1/x", bytes('{"a":2}'))).not.toBe(base);
    expect(requestFingerprint("POST", "/v1/x", bytes("{not json"))).toMatch(/^[0-9a-f]{64}$/);
  });

  test("a number JSON cannot write back is not the same request as null", () => {
    const infinite = requestFingerprint("PATCH", "/v1/x", bytes('{"a":1e309}'));
    expect(infinite).not.toBe(requestFingerprint("PATCH", "/v1/x", bytes('{"a":null}')));
    expect(infinite).not.toBe(requestFingerprint("PATCH", "/v1/x", bytes('{"a":-1e309}')));
    expect(infinite).toBe(requestFingerprint("PATCH", "/v1/x", bytes('{"a":1e309}')));
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(RangeError);
  });
});
