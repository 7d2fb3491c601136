import { UPSTREAM_TIMEOUT_MS, UpstreamError } from "./upstream.ts";

/**
 * The two requests of a plain OAuth 2.0 code flow (RFC 6749 §4.1.3, then a bearer GET), for the
 * upstreams that are not OpenID Providers (GitHub, oauth2_manual, most `oauth2` providers).
 * OpenID Connect upstreams go through openid-client instead (oidc.ts).
 */

export interface TokenRequest {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** RFC 6749 §2.3.1: HTTP Basic (every server must accept it) or the form body. */
  clientAuth: "basic" | "post";
  code: string;
  redirectUri: string;
  codeVerifier?: string | undefined;
}

/** RFC 6749 §2.3.1: the id and secret are form-encoded before Basic encoding. */
const formEncode = (value: string) => encodeURIComponent(value).replaceAll("%20", "+");

/** The token answer, read as JSON or, as GitHub answers without `Accept`, as a form. */
async function readBody(response: Response): Promise<Record<string, unknown>> {
  const type = response.headers.get("content-type") ?? "";
  const body = await response.text();
  if (type.includes("application/x-www-form-urlencoded")) return Object.fromEntries(new URLSearchParams(body));
  try {
    const parsed: unknown = JSON.parse(body);
    return parsed !== null && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function upstreamFailure(what: string, status: number, body: Record<string, unknown>): UpstreamError {
  const code = typeof body.error === "string" ? body.error.slice(0, 100) : `HTTP ${status}`;
  return new UpstreamError("exchange_failed", `${what}: ${code}`);
}

async function send(url: string, init: RequestInit, what: string): Promise<Response> {
  try {
    return await fetch(url, { ...init, redirect: "error", signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS) });
  } catch {
    throw new UpstreamError("exchange_failed", `${what}: the upstream did not answer`);
  }
}

/** The token answer for a code; an error answer (some upstreams send it with a 200) is refused. */
export async function exchangeCode(
  request: TokenRequest,
): Promise<{ accessToken: string; body: Record<string, unknown> }> {
  const form = new URLSearchParams({
    grant_type: "authorization_code",
    code: request.code,
    redirect_uri: request.redirectUri,
  });
  if (request.codeVerifier) form.set("code_verifier", request.codeVerifier);
  const headers: Record<string, string> = {
    accept: "application/json",
    "content-type": "application/x-www-form-urlencoded",
  };
  if (request.clientAuth === "basic") {
    const credentials = `${formEncode(request.clientId)}:${formEncode(request.clientSecret)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString("base64")}`;
  } else {
    form.set("client_id", request.clientId);
    form.set("client_secret", request.clientSecret);
  }
  const response = await send(request.tokenUrl, { method: "POST", headers, body: form }, "token endpoint");
  const body = await readBody(response);
  if (!response.ok || body.error !== undefined || typeof body.access_token !== "string") {
    throw upstreamFailure("token endpoint", response.status, body);
  }
  return { accessToken: body.access_token, body };
}

/** A bearer GET of a JSON resource (userinfo, GitHub's /user). */
export async function fetchJson(url: string, accessToken: string, headers: Record<string, string> = {}) {
  const response = await send(
    url,
    { headers: { accept: "application/json", ...headers, authorization: `Bearer ${accessToken}` } },
    "user endpoint",
  );
  const body = await readBody(response);
  if (!response.ok) throw upstreamFailure("user endpoint", response.status, body);
  return body as unknown;
}
