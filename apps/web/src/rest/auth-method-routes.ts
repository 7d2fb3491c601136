import { readJsonObject } from "./body.ts";
import { ifMatch, type Route, type RouteContext } from "./router.ts";

const AUTH_METHODS = "/v1/accounts/:account_id/issuers/:issuer_id/auth-methods";
const AUTH_METHOD = `${AUTH_METHODS}/:method_id`;

function path(ctx: RouteContext) {
  return {
    accountId: ctx.principal.accountId,
    issuerId: ctx.params.issuer_id ?? "",
    methodId: ctx.params.method_id ?? "",
  };
}

/** The five auth method endpoints: parse, one service call, render. Rules live in domain and server. */
export const authMethodRoutes: Route[] = [
  {
    method: "GET",
    path: AUTH_METHODS,
    operationId: "listAuthMethods",
    async handle(ctx) {
      const { accountId, issuerId } = path(ctx);
      return { status: 200, body: await ctx.services.authMethods.list(accountId, issuerId) };
    },
  },
  {
    method: "POST",
    path: AUTH_METHODS,
    operationId: "createAuthMethod",
    async handle(ctx) {
      const { accountId, issuerId } = path(ctx);
      const body = await readJsonObject(ctx.request);
      const { value, etag } = await ctx.services.authMethods.create(accountId, issuerId, body);
      return { status: 201, body: value, etag };
    },
  },
  {
    method: "GET",
    path: AUTH_METHOD,
    operationId: "getAuthMethod",
    async handle(ctx) {
      const { accountId, issuerId, methodId } = path(ctx);
      const { value, etag } = await ctx.services.authMethods.get(accountId, issuerId, methodId);
      return { status: 200, body: value, etag };
    },
  },
  {
    method: "PATCH",
    path: AUTH_METHOD,
    operationId: "updateAuthMethod",
    async handle(ctx) {
      const { accountId, issuerId, methodId } = path(ctx);
      const body = await readJsonObject(ctx.request);
      const { value, etag } = await ctx.services.authMethods.update(accountId, issuerId, methodId, body, {
        ifMatch: ifMatch(ctx),
      });
      return { status: 200, body: value, etag };
    },
  },
  {
    method: "DELETE",
    path: AUTH_METHOD,
    operationId: "deleteAuthMethod",
    async handle(ctx) {
      const { accountId, issuerId, methodId } = path(ctx);
      await ctx.services.authMethods.delete(accountId, issuerId, methodId, { ifMatch: ifMatch(ctx) });
      return { status: 204 };
    },
  },
];
