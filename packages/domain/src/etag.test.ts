import { expect, test } from "vitest";
import { etagFor, ifMatchSatisfied, ifNoneMatchSatisfied } from "./etag.ts";

test("ETags are strong, quoted, and change with the version and the resource", () => {
  const a1 = etagFor("iss_A", 1);
  expect(a1).toMatch(/^"[A-Za-z0-9_-]+"$/);
  expect(etagFor("iss_A", 1)).toBe(a1);
  expect(etagFor("iss_A", 2)).not.toBe(a1);
  expect(etagFor("iss_B", 1)).not.toBe(a1);
});

test("If-Match: * matches, lists match any member, weak tags never match", () => {
  const tag = etagFor("iss_A", 3);
  expect(ifMatchSatisfied("*", tag)).toBe(true);
  expect(ifMatchSatisfied(tag, tag)).toBe(true);
  expect(ifMatchSatisfied(`"x", ${tag}`, tag)).toBe(true);
  expect(ifMatchSatisfied(`W/${tag}`, tag)).toBe(false);
  expect(ifMatchSatisfied('"x"', tag)).toBe(false);
  expect(ifMatchSatisfied("", tag)).toBe(false);
});

test("If-None-Match uses weak comparison", () => {
  const tag = etagFor("iss_A", 3);
  expect(ifNoneMatchSatisfied(`W/${tag}`, tag)).toBe(true);
  expect(ifNoneMatchSatisfied('"x"', tag)).toBe(false);
});
