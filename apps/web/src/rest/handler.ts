import type { IncomingMessage, ServerResponse } from "node:http";
import {
  type AnyOperation,
  bodyText,
  type Call,
  createPipeline,
  type Logger,
  type Outcome,
  type Pipeline,
  restOperations,
} from "@authpi/api";
import { DomainError, ifNoneMatchSatisfied, newId, requestFingerprint } from "@authpi/domain";
import { JsonText, type RateLimiter, type Services } from "@authpi/server";
import { parseJsonObject, readLimitedNode } from "./body.ts";
import { openapiOperation } from "./openapi-route.ts";
import { createRouter } from "./router.ts";

export type { Logger };

export interface RestOptions {
  services: Services;
  logger?: Logger;
  /** Per-API-key token buckets; in memory with the contract's defaults (100/s, burst 200) when omitted. */
  rateLimiter?: RateLimiter;
  /** The pipeline to share with the tRPC door (one limiter, one log); built from the options when omitted. */
  pipeline?: Pipeline;
}

/** Every `/v1` route: the declared operations with a path, and the public OpenAPI document. */
export const routes: { method: string; path: string; operationId: string; public: boolean }[] = [
  ...restOperations,
  openapiOperation,
].map((op) => ({ method: op.method, path: op.path ?? "", operationId: op.id, public: op.access === "public" }));

const NO_SESSION = { token: undefined, set() {}, clear() {} };

/** `?a=1&a=2` is refused rather than guessed. */
function queryObject(search: string): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(search)) {
    if (key in query) {
      throw new DomainError("validation_failed", `${key}: may be given only once`, { param: key });
    }
    query[key] = value;
  }
  return query;
}

/**
 * The `/v1` REST door: a framework-free `node:http` handler. It matches the
 * route, hands the raw parts to the pipeline and writes the outcome; every
 * policy lives in the pipeline, every rule in the domain and the services.
 * No fetch Request/Response is built: a GET's JSON text, as Postgres wrote it,
 * goes to the socket as it is.
 */
export function createRestHandler(options: RestOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const pipeline = options.pipeline ?? createPipeline(options);
  const match = createRouter([...restOperations, openapiOperation]);

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = newId("request");
    const method = req.method ?? "GET";
    // The raw request line's target: dot segments are never resolved (see the router).
    const target = req.url ?? "/";
    const q = target.indexOf("?");
    const pathname = q === -1 ? target : target.slice(0, q);
    const search = q === -1 ? "" : target.slice(q + 1);
    const found = match(method, pathname);
    const op: AnyOperation | undefined = found.operation;

    let bytes: Promise<Uint8Array> | undefined;
    const readBytes = () => {
      bytes ??= readLimitedNode(req);
      return bytes;
    };
    const headers = req.headers;
    const call: Call = {
      door: "rest",
      method,
      requestId,
      ip: req.socket.remoteAddress ?? "unknown",
      authorization: headers.authorization ?? null,
      session: NO_SESSION,
      accountId: found.params.account_id,
      params: found.params,
      // A method, not a getter: V8 makes an object literal with an accessor of its own a dictionary-mode
      // object, and with a getter here every request's whole graph (the getter's context holds req, res
      // and this call) survived the scavenges and was promoted: measured, 14 → 7.4 MB promoted in 15 s
      // of 401s at 500 req/s once it went, and more pauses on the GET's tail.
      query: () => queryObject(search),
      body: async () => parseJsonObject(headers["content-type"], await readBytes()),
      ifMatch: headers["if-match"],
      idempotencyKey: method === "POST" || method === "PATCH" ? one(headers["idempotency-key"]) : null,
      fingerprint: async () => requestFingerprint(method, pathname, await readBytes()),
    };
    let miss: DomainError | undefined;
    if (!op) {
      miss = found.allow
        ? new DomainError("method_not_allowed", `${method} is not allowed here; use ${found.allow.join(", ")}`)
        : new DomainError("route_not_found", `Unrecognized request URL (${method} ${pathname})`);
    }
    const outcome = await pipeline.run(op, call, miss);
    if (found.allow && outcome.error?.code === "method_not_allowed") outcome.headers.allow = found.allow.join(", ");
    // A client that hung up mid-body left a connection that cannot carry another request.
    if (outcome.aborted) res.destroy();
    const status = outcome.aborted ? 499 : write(outcome, req, res, requestId);
    pipeline.log(call, op, outcome, started, status);
  };
}

/** A header Node keeps as a list (an unknown name sent twice): the first value. */
function one(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return typeof value === "string" ? value : (value[0] ?? null);
}

/**
 * The one place that turns an outcome into the HTTP answer and sets the
 * headers every `/v1` answer carries: Request-Id, ETag, RateLimit-Policy /
 * RateLimit, Retry-After (429, 503), Idempotent-Replayed; and 304 for
 * If-None-Match. Returns the status sent. (Node leaves the body out of a HEAD answer.)
 */
function write(outcome: Outcome, req: IncomingMessage, res: ServerResponse, requestId: string): number {
  if (res.destroyed) {
    outcome.aborted = true;
    return 499;
  }
  const headers: Record<string, string> = { ...outcome.headers, "request-id": requestId };
  if (outcome.etag) headers.etag = outcome.etag;
  const limit = outcome.limit;
  if (limit) {
    headers["ratelimit-policy"] = `"default";q=${limit.limit};w=${limit.window}`;
    headers.ratelimit = `"default";r=${limit.remaining};t=${limit.reset}`;
    if (!limit.allowed) headers["retry-after"] = String(limit.reset);
  }
  if (outcome.replayed) headers["idempotent-replayed"] = "true";
  // Postgres's JSON as it came (a list page in pieces, with its UTF-8 length), or the value's text.
  const json = outcome.text === undefined && outcome.value instanceof JsonText ? outcome.value : undefined;
  const body = json ? (json.parts.length === 1 ? (json.parts[0] as string) : json.parts) : bodyText(outcome);
  let status = outcome.status;
  if (status === 204 || body === null) {
    res.writeHead(status, headers).end();
    return status;
  }
  if (req.method === "GET" && outcome.etag && status === 200) {
    const ifNoneMatch = req.headers["if-none-match"];
    if (ifNoneMatch !== undefined && ifNoneMatchSatisfied(ifNoneMatch, outcome.etag)) {
      status = 304;
      res.writeHead(status, headers).end();
      return status;
    }
  }
  headers["content-type"] = "application/json; charset=utf-8";
  if (typeof body === "string") {
    headers["content-length"] = String(Buffer.byteLength(body));
    res.writeHead(status, headers).end(body);
    return status;
  }
  headers["content-length"] = String(json?.bytes ?? body.reduce((sum, part) => sum + Buffer.byteLength(part), 0));
  res.writeHead(status, headers);
  // Corked: the head and every piece leave in one write.
  res.cork();
  const last = body.length - 1;
  for (let i = 0; i < last; i++) res.write(body[i] as string);
  res.end(body[last]);
  return status;
}
