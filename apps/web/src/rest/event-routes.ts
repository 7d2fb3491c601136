import { ListEventsQuery, parseOrThrow } from "@authpi/domain";
import { queryObject } from "./issuer-routes.ts";
import type { Route } from "./router.ts";

/** The account's audit events (api-contract §9): keyset, newest first, filterable. */
export const eventRoutes: Route[] = [
  {
    method: "GET",
    path: "/v1/accounts/:account_id/events",
    operationId: "listEvents",
    async handle(ctx) {
      const query = parseOrThrow(ListEventsQuery, queryObject(ctx.url));
      return { status: 200, body: await ctx.services.events.list(ctx.principal.accountId, query) };
    },
  },
];
