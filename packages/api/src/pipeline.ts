import {
  assertJsonBodySafe,
  DomainError,
  errorType,
  parseBody,
  parseIdempotencyKey,
  parseOrThrow,
  wireCode,
} from "@authpi/domain";
import {
  type Caller as AuditCaller,
  apiKeyCaller,
  createRateLimiter,
  DATABASE_RETRY_AFTER_SECONDS,
  databaseUnavailable,
  JsonText,
  operatorCaller,
  type RateLimitDecision,
  type RateLimiter,
  type Services,
  type StoredResponse,
} from "@authpi/server";
import type { AnyOperation, Caller, OperationContext, SessionPort } from "./operation.ts";
import { takesIfMatch } from "./operation.ts";

export interface Logger {
  info(fields: Record<string, unknown>, message?: string): void;
  warn(fields: Record<string, unknown>, message?: string): void;
  error(fields: Record<string, unknown>, message?: string): void;
}

export type Door = "rest" | "trpc";

/** One call of one operation, as a door hands it over: raw parts, parsed here. */
export interface Call {
  door: Door;
  /** The HTTP method (REST) or the operation's declared one (tRPC), for the access log. */
  method: string;
  requestId: string;
  /** The client address: the budget of anonymous callers. */
  ip: string;
  /** The `Authorization` header, verbatim (null when absent). */
  authorization: string | null;
  /** The admin session cookie (tRPC only; REST takes API keys only). */
  session: SessionPort;
  /** REST: the `account_id` of the path, checked against the caller's account. */
  accountId?: string | undefined;
  params: Record<string, unknown>;
  /** Read only when the operation takes a query. */
  query(): unknown;
  /** Read only when the operation takes a body, after authentication. */
  body(): Promise<unknown>;
  ifMatch: string | undefined;
  /** The `Idempotency-Key` header, verbatim (null when absent). */
  idempotencyKey: string | null;
  /** What makes two requests "the same" for an idempotency key. */
  fingerprint(): Promise<string>;
  /** A tRPC batch of more than one call. */
  inBatch?: boolean;
}

/** The answer of a call before a door renders it; what an idempotency key keeps (`body` as text). */
export interface Outcome {
  status: number;
  /** The handler's value (maybe JsonText); absent on errors, replays and 204. */
  value?: unknown;
  /** The serialized body, when already known (errors, replays). */
  text?: string | null;
  etag?: string | undefined;
  headers: Record<string, string>;
  replayed?: boolean;
  error?: DomainError;
  limit?: RateLimitDecision;
  accountId?: string;
  /** The client went away mid-request: nothing is sent. */
  aborted?: boolean;
}

/** A client that hangs up while its body is read: not a server failure, never a 503. */
export class ClientAborted extends Error {
  constructor(cause?: unknown) {
    super("The client closed the connection before the request was read", { cause });
    this.name = "ClientAborted";
  }
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** Who the events of a call name: its API key, else its operator (api-contract §9). */
function eventCaller(caller: Caller, requestId: string): AuditCaller {
  return caller.apiKeyId
    ? apiKeyCaller(caller.apiKeyId, requestId)
    : operatorCaller(caller.operator?.adminUserId ?? "", requestId);
}

/** The body as JSON text: Postgres's own text as-is, anything else stringified (what an idempotency key keeps). */
export function bodyText(outcome: Outcome): string | null {
  if (outcome.text !== undefined) return outcome.text;
  if (outcome.status === 204 || outcome.value === undefined) return null;
  return outcome.value instanceof JsonText ? outcome.value.json : JSON.stringify(outcome.value);
}

/** The body as a value (tRPC): JSON text parsed, a value as it is. */
export function bodyValue(outcome: Outcome): unknown {
  if (outcome.text !== undefined) return outcome.text === null ? undefined : JSON.parse(outcome.text);
  return outcome.value instanceof JsonText ? JSON.parse(outcome.value.json) : outcome.value;
}

export function errorBody(error: DomainError, requestId: string) {
  return {
    error: {
      type: errorType(error.code),
      code: wireCode(error.code),
      message: error.message,
      ...(error.param ? { param: error.param } : {}),
      ...(error.details ? { details: error.details } : {}),
      ...error.extra,
      request_id: requestId,
    },
  };
}

export interface PipelineOptions {
  services: Services;
  /** The budgets of every door; in memory with the contract's defaults (100/s, burst 200) when omitted. */
  rateLimiter?: RateLimiter | undefined;
  logger?: Logger | undefined;
}

export type Pipeline = ReturnType<typeof createPipeline>;

/**
 * The one policy pipeline every door (REST, tRPC) runs each call through:
 * authentication → rate limit → tenancy → input parsing (+ JSON safety) →
 * idempotency → the operation's handler → error mapping. The doors only
 * translate HTTP or tRPC into a `Call` and an `Outcome` back.
 */
export function createPipeline(options: PipelineOptions) {
  const { services, logger } = options;
  const rateLimiter = options.rateLimiter ?? createRateLimiter({ perSecond: 100, burst: 200 });

  async function authenticate(op: AnyOperation | undefined, call: Call): Promise<Caller | undefined> {
    const access = op?.access ?? "account";
    if (access === "public") return undefined;
    const header = call.authorization;
    if (access === "operator") {
      if (header !== null) {
        throw new DomainError("operator_only", "This needs a signed-in operator; API keys cannot call it");
      }
      const operator = await services.adminAuth.authenticate(call.session.token);
      return { accountId: operator.accountId, operator };
    }
    if (header === null) {
      if (call.door === "trpc") {
        const operator = await services.adminAuth.authenticate(call.session.token);
        return { accountId: operator.accountId, operator };
      }
      throw new DomainError("missing_api_key", "No API key provided; send it as Authorization: Bearer sk_…");
    }
    const token = BEARER.exec(header)?.[1];
    if (!token) throw new DomainError("invalid_api_key", "The Authorization header must be Bearer sk_…");
    const key = await services.apiKeys.authenticate(token);
    return { accountId: key.accountId, apiKeyId: key.apiKeyId };
  }

  /** The budget a call draws on: its API key, its operator's session, or its client address. */
  function bucket(caller: Caller | undefined, ip: string): string {
    if (caller?.apiKeyId) return `key:${caller.apiKeyId}`;
    if (caller?.operator) return `session:${caller.operator.sessionId}`;
    return `ip:${ip}`;
  }

  async function consume(key: string): Promise<RateLimitDecision> {
    const decision = await rateLimiter.consume(key);
    if (!decision.allowed) {
      throw Object.assign(
        new DomainError("rate_limited", `Too many requests; retry after ${decision.reset} second(s)`),
        { decision },
      );
    }
    return decision;
  }

  async function invoke(op: AnyOperation, call: Call, caller: Caller | undefined, scoped: Services) {
    const params = op.params ? parseOrThrow(op.params, call.params) : {};
    let query: unknown = {};
    if (op.query) {
      const raw = call.query();
      assertJsonBodySafe(raw);
      query = parseOrThrow(op.query, raw);
    }
    let body: unknown;
    if (op.body) {
      body = parseBody(op.body, await call.body());
    }
    const ctx: OperationContext = {
      services: scoped,
      accountId: caller?.accountId ?? "",
      caller,
      session: call.session,
      ip: call.ip,
    };
    const ifMatch = takesIfMatch(op) ? call.ifMatch : undefined;
    const result: unknown = await op.handler({ params, query, body, ifMatch } as never, ctx);
    if (op.response.etag) {
      const versioned = result as { value: unknown; etag: string };
      return { status: op.response.status, value: versioned.value, etag: versioned.etag, headers: {} };
    }
    return { status: op.response.status, value: result, headers: { ...op.response.headers } } as Outcome;
  }

  async function idempotent(op: AnyOperation, call: Call, caller: Caller, scoped: Services): Promise<Outcome> {
    let live: Outcome | undefined;
    const key = parseIdempotencyKey(call.idempotencyKey ?? "");
    const fingerprint = await call.fingerprint();
    const { response, replayed } = await scoped.idempotency.execute(
      { accountId: caller.accountId, key, fingerprint, operation: op.id },
      // The request's writes join the key's transaction; H2's services hand the bound ones in.
      async (txServices?: Services): Promise<StoredResponse> => {
        const outcome = await invoke(op, call, caller, txServices ?? scoped).catch((error: unknown) =>
          failure(error, call, op),
        );
        // A one-time secret (a client secret, a generated password) is answered now and never kept.
        const kept =
          op.replayValue && outcome.value !== undefined
            ? { ...outcome, value: op.replayValue(outcome.value) }
            : outcome;
        if (kept !== outcome) live = outcome;
        return { status: outcome.status, body: bodyText(kept), etag: outcome.etag, headers: outcome.headers };
      },
    );
    if (live && !replayed) return live;
    return {
      status: response.status,
      text: response.body,
      etag: response.etag,
      headers: response.headers ?? {},
      replayed,
    };
  }

  /**
   * Runs one call. `miss` is what a door found instead of an operation (404,
   * 405): it is answered after authentication and the rate limit, like any call.
   * Never throws: every failure is an Outcome with the contract's error body.
   */
  async function run(op: AnyOperation | undefined, call: Call, miss?: DomainError): Promise<Outcome> {
    let caller: Caller | undefined;
    let limit: RateLimitDecision | undefined;
    let outcome: Outcome;
    try {
      try {
        caller = await authenticate(op, call);
      } catch (error) {
        // Without valid credentials the client's address carries the budget.
        limit = await consume(bucket(undefined, call.ip));
        throw error;
      }
      limit = await consume(bucket(caller, call.ip));
      if (miss) throw miss;
      if (!op) throw new DomainError("route_not_found", "No such operation");
      if (op.batchable === false && call.inBatch) {
        throw new DomainError("batch_not_allowed", `${op.id} cannot be sent in a batch; send it on its own`);
      }
      if (call.accountId !== undefined && caller && call.accountId !== caller.accountId) {
        throw new DomainError("account_mismatch", "This API key does not belong to the account in the path", {
          param: "account_id",
        });
      }
      // The services act for this caller: every event a write records names it and this request.
      const scoped = caller ? services.as(eventCaller(caller, call.requestId)) : services;
      outcome =
        op.idempotent && caller && call.idempotencyKey !== null
          ? await idempotent(op, call, caller, scoped)
          : await invoke(op, call, caller, scoped);
    } catch (error) {
      const decision = (error as { decision?: RateLimitDecision }).decision;
      if (decision) limit = decision;
      outcome = failure(error, call, op);
    }
    outcome.limit = limit;
    if (caller) outcome.accountId = caller.accountId;
    return outcome;
  }

  /** Error mapping, once: DomainError by the ERRORS table, a lost database → 503, anything else → 500. */
  function failure(error: unknown, call: Call, op?: AnyOperation): Outcome {
    if (error instanceof ClientAborted) {
      return { status: 499, text: null, headers: {}, aborted: true };
    }
    let known = error instanceof DomainError ? error : databaseUnavailable(error);
    const headers: Record<string, string> = {};
    if (known === undefined) {
      // Never the error's message or stack in the answer: they may carry SQL or input. The log has them.
      logger?.error({ request_id: call.requestId, route: op?.id, err: describe(error) }, "unhandled error");
      known = new DomainError("internal_error", "An unexpected error occurred; contact support with the request id");
    } else if (known.code === "database_unavailable") {
      if (!(error instanceof DomainError)) {
        logger?.error({ request_id: call.requestId, route: op?.id, err: summarize(error) }, "database unavailable");
      }
      headers["retry-after"] = String(DATABASE_RETRY_AFTER_SECONDS);
    }
    if (known.status === 401 && call.door === "rest") {
      headers["www-authenticate"] =
        known.code === "missing_api_key" ? 'Bearer realm="authpi"' : 'Bearer realm="authpi", error="invalid_token"';
    }
    // The unread rest of an oversized body would poison a kept-alive connection.
    if (known.code === "body_too_large") headers.connection = "close";
    return {
      status: known.status,
      text: JSON.stringify(errorBody(known, call.requestId)),
      headers,
      error: known,
    };
  }

  /** The one access log line of a request (a tRPC batch logs one per call). */
  function log(call: Call, op: AnyOperation | undefined, outcome: Outcome, started: number, status = outcome.status) {
    const fields = {
      request_id: call.requestId,
      door: call.door,
      method: call.method,
      account_id: outcome.accountId,
      route: op?.id ?? "unmatched",
      status,
      duration_ms: Math.round((performance.now() - started) * 100) / 100,
      ...(outcome.replayed ? { idempotent_replayed: true } : {}),
    };
    if (outcome.aborted) logger?.warn({ ...fields, aborted: true }, "request aborted by the client");
    else logger?.info(fields, "request");
  }

  return { run, failure, log, services };
}

/** Prisma's messages open with the calling code; the cause is on the last line. */
function summarize(error: unknown): Record<string, unknown> {
  const e = error as { name?: unknown; code?: unknown; message?: unknown };
  const lines = typeof e.message === "string" ? e.message.split("\n").filter((l) => l.trim()) : [];
  return { name: e.name, code: e.code, message: lines.at(-1) };
}

function describe(error: unknown): Record<string, unknown> {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { value: String(error) };
}
