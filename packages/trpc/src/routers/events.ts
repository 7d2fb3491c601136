import { EVENT_TYPES, EventList, ListEventsQuery } from "@authpi/domain";
import { z } from "zod";
import { decoded } from "../json-text.ts";
import { accountProcedure, router } from "../trpc.ts";

export const eventsRouter = router({
  /** The account's audit events, newest first; the same service call as `GET /v1/accounts/{id}/events`. */
  list: accountProcedure
    .input(ListEventsQuery)
    .output(EventList)
    .query(async ({ ctx, input }) => decoded(await ctx.services.events.list(ctx.principal.accountId, input))),

  /** Every event type, for the admin UI's filter (the domain's declaration, not a copy). */
  types: accountProcedure.output(z.array(z.string())).query(() => EVENT_TYPES),
});
