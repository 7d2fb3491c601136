import { DomainError } from "@authpi/domain";

/** Seconds a client should wait before retrying while the database is away. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

// Prisma's codes for "the server is not there": can't reach, timed out, closed the connection,
// no pooled connection in time, a transaction that could not start or was cut off.
const PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P2028"]);
const ADAPTER_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH"]);
// SQLSTATE class 08 (connection exception), 57P01–57P03 (shutdown, crash, starting up), 53300 (too many connections).
const SQLSTATE = /^(08...|57P0[1-3]|53300)$/;
// pg's own errors carry no code; these are its messages for a lost or unobtainable connection.
const PG_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection closed|Can't reach database server/i;

function lostConnection(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== "object" || error === null) return false;
  const e = error as {
    code?: unknown;
    kind?: unknown;
    message?: unknown;
    cause?: unknown;
    meta?: { driverAdapterError?: unknown };
  };
  if (typeof e.code === "string" && (PRISMA_CODES.has(e.code) || SOCKET_CODES.has(e.code) || SQLSTATE.test(e.code))) {
    return true;
  }
  if (typeof e.kind === "string") {
    if (ADAPTER_KINDS.has(e.kind)) return true;
    if (e.kind === "postgres") return lostConnection({ code: (error as { code?: unknown }).code }, depth + 1);
  }
  if (typeof e.message === "string" && PG_MESSAGES.test(e.message)) return true;
  return lostConnection(e.meta?.driverAdapterError, depth + 1) || lostConnection(e.cause, depth + 1);
}

/**
 * The 503 `database_unavailable` for an error that means Postgres cannot be
 * reached (refused, reset, timed out, shutting down), or undefined for any
 * other error. Callers answer it with `Retry-After`; nothing was committed.
 */
export function databaseUnavailable(error: unknown): DomainError | undefined {
  if (error instanceof DomainError || !lostConnection(error)) return undefined;
  return new DomainError("database_unavailable", "The database is temporarily unavailable; retry shortly");
}
