import { EventList, ListEventsQuery } from "@authpi/domain";
import { decoded } from "../json-text.ts";
import { accountProcedure, router } from "../trpc.ts";

export const eventsRouter = router({
  /** The account's audit events, newest first; the same service call as `GET /v1/accounts/{id}/events`. */
  list: accountProcedure
    .input(ListEventsQuery)
    .output(EventList)
    .query(async ({ ctx, input }) => decoded(await ctx.services.events.list(ctx.principal.accountId, input))),
});
