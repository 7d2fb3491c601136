import { describe, expect, test } from "vitest";
import { idTimestamp, isId, newId, ulid } from "./ids.ts";

describe("ids", () => {
  test("prefix + 26-char Crockford ULID, per kind", () => {
    expect(newId("issuer")).toMatch(/^iss_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(newId("account")).toMatch(/^acct_/);
    expect(newId("authMethod")).toMatch(/^am_/);
    expect(newId("apiKey")).toMatch(/^key_/);
    expect(newId("request")).toMatch(/^req_/);
    expect(newId("client")).toMatch(/^cli_/);
    expect(newId("user")).toMatch(/^usr_/);
    expect(newId("adminUser")).toMatch(/^op_/);
    expect(newId("factor")).toMatch(/^fac_/);
  });

  test("encode their creation time to the millisecond", () => {
    const at = Date.parse("2026-11-27T22:40:00.123Z");
    expect(idTimestamp(newId("issuer", at)).toISOString()).toBe("2026-11-27T22:40:00.123Z");
  });

  test("sort in creation order, also many within one millisecond", () => {
    const now = Date.now();
    const ids = Array.from({ length: 10_000 }, () => ulid(now));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ulid(now + 1) > (ids.at(-1) as string)).toBe(true);
  });

  test("isId accepts only well-formed IDs of the right kind", () => {
    const id = newId("issuer");
    expect(isId("issuer", id)).toBe(true);
    expect(isId("authMethod", id)).toBe(false);
    for (const bad of [
      "",
      "iss_",
      `${id}x`,
      id.toLowerCase(),
      id.replace(/.$/, "U"),
      ` ${id}`,
      `iss_${"8".repeat(26)}`,
    ]) {
      expect(isId("issuer", bad), bad).toBe(false);
    }
  });
});
