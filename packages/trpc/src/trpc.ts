import {
  type AnyOperation,
  bodyValue,
  type Call,
  type Outcome,
  type TrpcInput,
  type TrpcOutput,
  trpcBodyField,
  trpcParamNames,
} from "@authpi/api";
import { DomainError, ERRORS, type ErrorCode, requestFingerprint, wireCode } from "@authpi/domain";
import { initTRPC, TRPCError, type TRPCMutationProcedure, type TRPCQueryProcedure } from "@trpc/server";
import { type Context, clearedSessionCookie, sessionCookie } from "./context.ts";
import { trpcCode } from "./errors.ts";

/** What a failed call carries for the client besides the tRPC code: the contract's error fields. */
export interface DomainErrorData {
  code: string;
  param?: string;
  details?: { param: string; message: string }[];
  [extra: string]: unknown;
}

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const domain = error.cause instanceof DomainError ? error.cause : undefined;
    // Never an unexpected error's message or stack: they may carry SQL or input.
    const message = domain
      ? domain.message
      : error.code === "INTERNAL_SERVER_ERROR"
        ? "An unexpected error occurred"
        : shape.message;
    const data: DomainErrorData | null = domain
      ? {
          ...domain.extra,
          code: wireCode(domain.code),
          ...(domain.param ? { param: domain.param } : {}),
          ...(domain.details ? { details: domain.details } : {}),
        }
      : null;
    return {
      code: shape.code,
      message,
      data: { code: shape.data.code, httpStatus: shape.data.httpStatus, path: shape.data.path, domain: data },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/**
 * CSRF: a cross-site page can POST a form (urlencoded or multipart) without a
 * preflight, but not `application/json`. SameSite=Lax already keeps the cookie
 * off such requests; this is the second lock.
 */
const requireJsonMutations = t.middleware(({ ctx, type, next }) => {
  if (type === "mutation") {
    const mediaType = ctx.req.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
    if (mediaType !== "application/json") {
      const error = new DomainError(
        "unsupported_media_type",
        "Mutations must be sent as Content-Type: application/json",
      );
      throw new TRPCError({ code: trpcCode(error), message: error.message, cause: error });
    }
  }
  return next();
});

const CODE_BY_WIRE = new Map(
  (Object.keys(ERRORS) as ErrorCode[]).map((code) => [`${ERRORS[code].status}:${wireCode(code)}`, code]),
);

/** A replayed (stored) error answer, back as the DomainError it was. */
function storedError(status: number, text: string | null | undefined): DomainError {
  const body = JSON.parse(text ?? "{}") as { error?: Record<string, unknown> };
  const { type: _type, code, message, param, details, request_id: _id, ...extra } = body.error ?? {};
  const known = CODE_BY_WIRE.get(`${status}:${String(code)}`) ?? "internal_error";
  return new DomainError(known, String(message ?? ""), {
    param: param as string | undefined,
    details: details as DomainError["details"],
    extra: Object.keys(extra).length ? (extra as Record<string, string>) : undefined,
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The tRPC input split back into the operation's parts, by the rule in `TrpcInput`. */
function callParts(
  op: AnyOperation,
  input: unknown,
): Pick<Call, "params" | "ifMatch"> & { query: unknown; body: unknown } {
  if (!op.path) return { params: {}, query: {}, body: input, ifMatch: undefined };
  if (input === undefined) input = {};
  if (!isObject(input)) {
    throw new DomainError("validation_failed", "The input must be an object", {
      details: [{ param: "", message: "The input must be an object" }],
    });
  }
  const rest: Record<string, unknown> = { ...input };
  const params: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(trpcParamNames(op))) {
    params[name] = rest[field];
    delete rest[field];
  }
  const bodyField = trpcBodyField(op);
  const body = rest[bodyField];
  if (op.body) delete rest[bodyField];
  const ifMatch = rest.ifMatch;
  if (op.method === "PATCH" || op.method === "DELETE") delete rest.ifMatch;
  if (ifMatch !== undefined && typeof ifMatch !== "string") {
    throw new DomainError("validation_failed", "ifMatch: Expected string", { param: "ifMatch" });
  }
  if (!op.query) {
    const unknown = Object.keys(rest);
    if (unknown.length) {
      throw new DomainError("validation_failed", `${unknown[0]}: Unknown field`, {
        param: unknown[0],
        details: unknown.map((param) => ({ param, message: "Unknown field" })),
      });
    }
  }
  return { params, query: rest, body, ifMatch: ifMatch as string | undefined };
}

/** A failing path parameter is named as the tRPC caller sent it (`id`, `issuerId`), not as in the URL. */
function asTrpcFields(op: AnyOperation, error: DomainError): DomainError {
  const names = trpcParamNames(op);
  const rename = (param: string | undefined) => (param !== undefined && names[param]) || param;
  if (!error.param || !names[error.param]) return error;
  return new DomainError(error.code, error.message.replace(error.param, rename(error.param) ?? ""), {
    param: rename(error.param),
    details: error.details?.map((d) => ({ ...d, param: rename(d.param) ?? d.param })),
    extra: error.extra,
  });
}

function fail(error: DomainError): never {
  throw new TRPCError({ code: trpcCode(error), message: error.message, cause: error });
}

/** The HTTP headers a call's outcome sets on the tRPC response. */
function setHeaders(ctx: Context, outcome: Outcome): void {
  ctx.resHeaders.set("request-id", ctx.requestId);
  const limit = outcome.limit;
  if (limit) {
    ctx.resHeaders.set("ratelimit-policy", `"default";q=${limit.limit};w=${limit.window}`);
    ctx.resHeaders.set("ratelimit", `"default";r=${limit.remaining};t=${limit.reset}`);
    if (!limit.allowed) ctx.resHeaders.set("retry-after", String(limit.reset));
  }
  const retryAfter = outcome.headers["retry-after"];
  if (retryAfter) ctx.resHeaders.set("retry-after", retryAfter);
  if (outcome.replayed) ctx.resHeaders.set("idempotent-replayed", "true");
}

export type ProcedureFor<O extends AnyOperation> = O["method"] extends "GET"
  ? TRPCQueryProcedure<{ input: TrpcInput<O>; output: TrpcOutput<O>; meta: object }>
  : TRPCMutationProcedure<{ input: TrpcInput<O>; output: TrpcOutput<O>; meta: object }>;

/**
 * The tRPC procedure of an operation: the input is split back into path
 * parameters, query, body and If-Match, and the call runs through the same
 * pipeline as `/v1` (auth, rate limit, tenancy, parsing, idempotency, errors,
 * access log). The output is the REST body; single resources come with their
 * ETag as `{ value, etag }`, and a 204 is `{ deleted: true }`.
 */
export function procedureFor<O extends AnyOperation>(op: O): ProcedureFor<O> {
  const builder = t.procedure.use(requireJsonMutations).input((raw: unknown) => raw);
  // Typed for the client by ProcedureFor; the pipeline parses the input itself.
  const resolve = async ({ ctx, input }: { ctx: Context; input: unknown }): Promise<TrpcOutput<O>> => {
    const started = performance.now();
    const idempotencyKey = ctx.req.headers.get("idempotency-key");
    let parts: ReturnType<typeof callParts>;
    try {
      parts = callParts(op, input);
    } catch (error) {
      fail(error as DomainError);
    }
    const call: Call = {
      door: "trpc",
      method: op.method,
      requestId: ctx.requestId,
      ip: ctx.ip ?? "unknown",
      authorization: ctx.req.headers.get("authorization"),
      session: {
        token: ctx.sessionToken,
        set: (token, expiresAt) =>
          ctx.resHeaders.append("set-cookie", sessionCookie(token, expiresAt, ctx.secureCookies)),
        clear: () => ctx.resHeaders.append("set-cookie", clearedSessionCookie(ctx.secureCookies)),
      },
      params: parts.params,
      query: () => parts.query,
      body: async () => parts.body,
      ifMatch: parts.ifMatch,
      idempotencyKey: op.method === "GET" ? null : idempotencyKey,
      fingerprint: async () =>
        requestFingerprint("TRPC", op.id, new TextEncoder().encode(JSON.stringify(input ?? null))),
      inBatch: ctx.inBatch,
    };
    const outcome =
      call.idempotencyKey !== null && ctx.inBatch
        ? ctx.pipeline.failure(
            new DomainError(
              "batch_not_allowed",
              "A call with an Idempotency-Key cannot be batched; send it on its own",
              {
                param: "Idempotency-Key",
              },
            ),
            call,
          )
        : await ctx.pipeline.run(op, call);
    ctx.pipeline.log(call, op, outcome, started);
    setHeaders(ctx, outcome);
    if (outcome.status >= 400) fail(asTrpcFields(op, outcome.error ?? storedError(outcome.status, outcome.text)));
    if (!op.response.schema) return { deleted: true } as TrpcOutput<O>;
    const value = bodyValue(outcome);
    return (op.response.etag ? { value, etag: outcome.etag } : value) as TrpcOutput<O>;
  };
  const procedure = op.method === "GET" ? builder.query(resolve) : builder.mutation(resolve);
  return procedure as unknown as ProcedureFor<O>;
}

/** A resource's operations as a tRPC router record, keyed as they are declared. */
export function proceduresFor<R extends Record<string, AnyOperation>>(ops: R): { [K in keyof R]: ProcedureFor<R[K]> } {
  return Object.fromEntries(Object.entries(ops).map(([name, op]) => [name, procedureFor(op)])) as {
    [K in keyof R]: ProcedureFor<R[K]>;
  };
}
