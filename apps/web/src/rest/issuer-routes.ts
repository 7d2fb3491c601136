import { DomainError, ListIssuersQuery, parseOrThrow, UpdateIssuerInput } from "@authpi/domain";
import { readJsonObject } from "./body.ts";
import { ifMatch, type Route } from "./router.ts";

const ISSUERS = "/v1/accounts/:account_id/issuers";
const ISSUER = `${ISSUERS}/:issuer_id`;

export function queryObject(url: URL): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (key in query) {
      throw new DomainError("validation_failed", `${key}: may be given only once`, { param: key });
    }
    query[key] = value;
  }
  return query;
}

export const issuerRoutes: Route[] = [
  {
    method: "GET",
    path: ISSUERS,
    operationId: "listIssuers",
    async handle(ctx) {
      const query = parseOrThrow(ListIssuersQuery, queryObject(ctx.url));
      return { status: 200, body: await ctx.services.issuers.list(ctx.principal.accountId, query) };
    },
  },
  {
    method: "POST",
    path: ISSUERS,
    operationId: "createIssuer",
    async handle(ctx) {
      const body = await readJsonObject(ctx.request);
      const { value, etag } = await ctx.services.issuers.create(ctx.principal.accountId, body);
      return { status: 201, body: value, etag };
    },
  },
  {
    method: "GET",
    path: ISSUER,
    operationId: "getIssuer",
    async handle(ctx) {
      const { value, etag } = await ctx.services.issuers.get(ctx.principal.accountId, ctx.params.issuer_id ?? "");
      return { status: 200, body: value, etag };
    },
  },
  {
    method: "PATCH",
    path: ISSUER,
    operationId: "updateIssuer",
    async handle(ctx) {
      const patch = parseOrThrow(UpdateIssuerInput, await readJsonObject(ctx.request));
      const { value, etag } = await ctx.services.issuers.update(
        ctx.principal.accountId,
        ctx.params.issuer_id ?? "",
        patch,
        { ifMatch: ifMatch(ctx) },
      );
      return { status: 200, body: value, etag };
    },
  },
  {
    method: "DELETE",
    path: ISSUER,
    operationId: "deleteIssuer",
    async handle(ctx) {
      await ctx.services.issuers.delete(ctx.principal.accountId, ctx.params.issuer_id ?? "", { ifMatch: ifMatch(ctx) });
      return { status: 204 };
    },
  },
];
