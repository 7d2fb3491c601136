import { DomainError } from "@authpi/domain";
import { describe, expect, test } from "vitest";
import { databaseUnavailable } from "./database-errors.ts";

describe("databaseUnavailable", () => {
  test.each([
    ["Prisma: can't reach the server", { code: "P1001", message: "Can't reach database server" }],
    ["Prisma: no pooled connection in time", { code: "P2024" }],
    ["Prisma: a transaction that could not start", { code: "P2028" }],
    [
      "driver adapter: refused",
      { code: "P2010", meta: { driverAdapterError: { cause: { kind: "DatabaseNotReachable" } } } },
    ],
    ["socket reset", Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })],
    ["server shutting down (57P01)", { code: "57P01", message: "terminating connection due to administrator command" }],
    ["connection exception class 08", { code: "08006" }],
    ["pg: connect timeout", new Error("Connection terminated due to connection timeout")],
    ["wrapped in a cause", new Error("outer", { cause: new Error("Connection terminated unexpectedly") })],
  ])("%s is a 503 database_unavailable", (_, error) => {
    const mapped = databaseUnavailable(error);
    expect(mapped).toBeInstanceOf(DomainError);
    expect(mapped?.code).toBe("database_unavailable");
    expect(mapped?.status).toBe(503);
  });

  test.each([
    ["a unique violation", { code: "P2002", meta: { target: ["name"] } }],
    ["a syntax error", { code: "42601", message: "syntax error" }],
    ["a plain bug", new TypeError("x is undefined")],
    ["a domain error", new DomainError("resource_missing", "No such issuer")],
    ["not an error at all", "boom"],
  ])("%s is not", (_, error) => {
    expect(databaseUnavailable(error)).toBeUndefined();
  });
});
