import { describe, expect, test } from "vitest";
import { PasswordSettings } from "../auth-method/types/password.ts";
import { DomainError } from "../errors.ts";
import { parseBreachedList } from "./breached.ts";
import { assertPasswordPolicy } from "./policy.ts";

function rule(password: string, settings: Record<string, unknown>, breached: string[] = []): string | undefined {
  try {
    assertPasswordPolicy(password, PasswordSettings.parse(settings), (p) => breached.includes(p.toLowerCase()));
    return undefined;
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    expect(error.code).toBe("weak_password");
    expect(error.param).toBe("password");
    expect(error.message).not.toContain(password);
    return error.extra?.rule;
  }
}

describe("password policy", () => {
  test("each rule, by name", () => {
    expect(rule("short", {})).toBe("min_length");
    expect(rule("exactly12chr", {})).toBeUndefined();
    expect(rule("x".repeat(257), {})).toBe("max_length");
    expect(rule("lowercase only", { min_length: 8, require_uppercase: true })).toBe("require_uppercase");
    expect(rule("UPPERCASE ONLY", { min_length: 8, require_lowercase: true })).toBe("require_lowercase");
    expect(rule("no digits here", { min_length: 8, require_digit: true })).toBe("require_digit");
    expect(rule("NoSymbols123", { min_length: 8, require_symbol: true })).toBe("require_symbol");
    expect(rule("With Symbol 1!", { min_length: 8, require_symbol: true })).toBeUndefined();
    expect(rule("qwertyuiop123", {}, ["qwertyuiop123"])).toBe("check_breached");
    expect(rule("QwertyUIOP123", {}, ["qwertyuiop123"])).toBe("check_breached");
    expect(rule("qwertyuiop123", { check_breached: false }, ["qwertyuiop123"])).toBeUndefined();
  });

  test("length counts characters, not UTF-16 units", () => {
    expect(rule("🔑".repeat(11), {})).toBe("min_length");
    expect(rule("🔑".repeat(12), {})).toBeUndefined();
    expect(rule("Ünïcödé wörds", { min_length: 8, require_uppercase: true, require_lowercase: true })).toBeUndefined();
  });
});

describe("breached list", () => {
  test("bisection finds every entry and nothing else", () => {
    const entries = ["123456", "dragon", "letmein", "password", "qwerty"];
    const list = parseBreachedList(`${entries.join("\n")}\n`);
    expect(list.size).toBe(5);
    for (const entry of entries) expect(list.has(entry)).toBe(true);
    expect(list.has("PASSWORD")).toBe(true);
    for (const miss of ["", "0", "passwor", "password1", "zzz", "aaaa"]) expect(list.has(miss)).toBe(false);
  });

  test("an unsorted or duplicated list is refused (bisection would miss entries)", () => {
    expect(() => parseBreachedList("b\na\n")).toThrow(/not sorted/);
    expect(() => parseBreachedList("a\na\n")).toThrow(/not sorted/);
  });
});
