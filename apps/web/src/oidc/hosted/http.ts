import type { IncomingMessage, ServerResponse } from "node:http";
import { unsafeTextReason } from "@authpi/domain";

/** The HTTP plumbing of `/oidc`: answers that are never cached, forms read with a size limit. */

const FORM_LIMIT = 16 * 1024;

/** A form no page reads: too large, or with text that cannot be stored (a NUL). An OAuth error. */
export class FormRefused extends Error {
  constructor(
    readonly status: 400 | 413,
    readonly description: string,
  ) {
    super(description);
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: object,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers });
  res.end(JSON.stringify(body));
}

/** Every hosted page's policy: no script at all (a page that needs one adds its nonce, methods/passkey.ts). */
export const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; form-action 'self' *; frame-ancestors 'none'";

export function sendHtml(
  res: ServerResponse,
  status: number,
  html: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "x-frame-options": "DENY",
    "content-security-policy": PAGE_CSP,
    ...headers,
  });
  res.end(html);
}

export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = req.headers["content-type"] ?? "";
  if (!type.startsWith("application/x-www-form-urlencoded")) return new URLSearchParams();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > FORM_LIMIT) throw new FormRefused(413, "the form is too large");
    chunks.push(chunk as Buffer);
  }
  const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
  for (const [key, value] of form) {
    const reason = unsafeTextReason(key) ?? unsafeTextReason(value);
    // Never echoed: the field is named only when its name itself is fine.
    if (reason) throw new FormRefused(400, `${unsafeTextReason(key) ? "a field" : key}: ${reason.toLowerCase()}`);
  }
  return form;
}

export function clientIp(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy
    ? String(req.headers["x-forwarded-for"] ?? "")
        .split(",")[0]
        ?.trim()
    : "";
  return forwarded || req.socket.remoteAddress || "unknown";
}

/** One cookie of the request, or undefined. */
export function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of String(req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
