import { DomainError, newId, wireCode } from "@authpi/domain";
import { type AdminPrincipal, apiKeyCaller, type Caller, operatorCaller } from "@authpi/server";
import { initTRPC, TRPCError } from "@trpc/server";
import type { Context } from "./context.ts";
import { asDomainError, trpcCode } from "./errors.ts";

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

/** Domain errors become tRPC errors once, here, by the ERRORS table's status. */
const mapDomainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    // tRPC wraps a thrown DomainError as INTERNAL_SERVER_ERROR and a Zod input failure as BAD_REQUEST.
    const domain = asDomainError(result.error.cause);
    if (domain) throw new TRPCError({ code: trpcCode(domain), message: domain.message, cause: domain });
  }
  return result;
});

/**
 * CSRF: a cross-site page can POST a form (urlencoded or multipart) without a
 * preflight, but not `application/json`. SameSite=Lax already keeps the cookie
 * off such requests; this is the second lock.
 */
const requireJsonMutations = t.middleware(({ ctx, type, next }) => {
  if (type === "mutation") {
    const mediaType = ctx.req.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
    if (mediaType !== "application/json") {
      throw new DomainError("unsupported_media_type", "Mutations must be sent as Content-Type: application/json");
    }
  }
  return next();
});

export const publicProcedure = t.procedure.use(mapDomainErrors).use(requireJsonMutations);

/** An operator signed in through the admin UI (session cookie). */
export const protectedProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const operator = await ctx.services.adminAuth.authenticate(ctx.sessionToken);
  return next({ ctx: { operator } });
});

export interface AccountPrincipal {
  accountId: string;
  /** Set when the call came with an API key. */
  apiKeyId?: string;
  /** Set when the call came from a signed-in operator. */
  operator?: AdminPrincipal;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Either credential of an account: an operator's session, or an account API key
 * (`Authorization: Bearer sk_…`) for internal services using the typed client.
 * A sent Authorization header wins over a cookie, and a bad one is never ignored.
 */
export const accountProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const header = ctx.req.headers.get("authorization");
  let principal: AccountPrincipal;
  // The id the events of this call record; sent back so a caller can find them.
  const requestId = newId("request");
  ctx.resHeaders.set("request-id", requestId);
  let caller: Caller;
  if (header !== null) {
    const token = BEARER.exec(header)?.[1];
    if (!token) throw new DomainError("invalid_api_key", "The Authorization header must be Bearer sk_…");
    const key = await ctx.services.apiKeys.authenticate(token);
    principal = { accountId: key.accountId, apiKeyId: key.apiKeyId };
    caller = apiKeyCaller(key.apiKeyId, requestId);
  } else {
    const operator = await ctx.services.adminAuth.authenticate(ctx.sessionToken);
    principal = { accountId: operator.accountId, operator };
    caller = operatorCaller(operator.adminUserId, requestId);
  }
  return next({ ctx: { principal, services: ctx.services.as(caller) } });
});
