import { expect, test } from "vitest";
import { safeNextPath } from "./safe-next-path.ts";

const ORIGIN = "http://localhost:3000";

test.each([
  ["/\\evil.example/"],
  ["/\t/evil.example/"],
  ["/\\/evil.example/"],
  ["//evil.example/"],
  ["///evil.example/"],
  ["\\\\evil.example/"],
  ["/.//evil.example/"],
  ["javascript:alert(document.cookie)"],
  ["JavaScript:alert(1)"],
  ["data:text/html,<script>alert(1)</script>"],
  ["http://evil.example/issuers"],
  ["https://localhost:3000/issuers"],
  ["http://localhost:3001/issuers"],
  ["http://localhost:3000@evil.example/"],
  ["http://[::1"],
  [""],
  [null],
  [undefined],
])("refuses %j and goes to the fallback", (next) => {
  expect(safeNextPath(next, ORIGIN)).toBe("/issuers");
});

test.each([
  ["/issuers", "/issuers"],
  ["/api-keys", "/api-keys"],
  ["/issuers/iss_01/auth-methods?tab=password#top", "/issuers/iss_01/auth-methods?tab=password#top"],
  ["issuers", "/issuers"],
  ["/a/../api-keys", "/api-keys"],
  ["http://localhost:3000/api-keys", "/api-keys"],
])("accepts %j as %j", (next, expected) => {
  expect(safeNextPath(next, ORIGIN)).toBe(expected);
});

test("the fallback is the caller's", () => {
  expect(safeNextPath("//evil.example", ORIGIN, "/")).toBe("/");
});
