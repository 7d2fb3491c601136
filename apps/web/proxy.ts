import { SESSION_COOKIE } from "@authpi/trpc/cookie";
import { type NextRequest, NextResponse } from "next/server";

/**
 * Signed-out visitors of admin pages go to /login. Only the cookie's presence is
 * checked here; every tRPC procedure checks the session itself, and the pages
 * send an expired session to /login as well.
 */
export function proxy(request: NextRequest) {
  if (request.cookies.get(SESSION_COOKIE)?.value) return NextResponse.next();
  const login = new URL("/login", request.url);
  login.searchParams.set("next", request.nextUrl.pathname);
  return NextResponse.redirect(login);
}

export const config = { matcher: ["/issuers/:path*", "/issuers", "/api-keys/:path*", "/api-keys"] };
