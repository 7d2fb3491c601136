import type { Pipeline } from "@authpi/api";
import { SESSION_COOKIE } from "./cookie.ts";

export interface CreateContextOptions {
  /** The policy pipeline shared with the REST door (one limiter, one log). */
  pipeline: Pipeline;
  req: Request;
  /** Headers of the response; calls set `Set-Cookie`, `Retry-After`, `RateLimit` here. */
  resHeaders: Headers;
  /** The client address, the budget of anonymous calls (sign-in). */
  ip?: string | undefined;
  /**
   * Mark the session cookie `Secure`. The server entry decides: production and
   * a request that arrived over https (a browser drops a Secure cookie set over
   * plain http, which would make sign-in impossible on http://127.0.0.1).
   */
  secureCookies: boolean;
  /** The HTTP request's id; every call of a batch carries it. */
  requestId: string;
  /** More than one call in this HTTP request. */
  inBatch?: boolean;
}

export interface Context extends CreateContextOptions {
  sessionToken: string | undefined;
}

function readCookie(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function createContext(options: CreateContextOptions): Context {
  return { ...options, sessionToken: readCookie(options.req.headers.get("cookie"), SESSION_COOKIE) };
}

export function sessionCookie(token: string, expiresAt: Date, secure: boolean): string {
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
  return [
    `${SESSION_COOKIE}=${token}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Lax",
    `Max-Age=${maxAge}`,
    `Expires=${expiresAt.toUTCString()}`,
    ...(secure ? ["Secure"] : []),
  ].join("; ");
}

export function clearedSessionCookie(secure: boolean): string {
  return [
    `${SESSION_COOKIE}=`,
    "Path=/",
    "HttpOnly",
    "SameSite=Lax",
    "Max-Age=0",
    "Expires=Thu, 01 Jan 1970 00:00:00 GMT",
    ...(secure ? ["Secure"] : []),
  ].join("; ");
}
