import { EVENT_TYPES, EventList, ListEventsQuery } from "@authpi/domain";
import { z } from "zod";
import { defineOperation } from "../operation.ts";

const eventExample = {
  object: "event" as const,
  id: "evt_01JDQ3S7B2C3D4E5F6G7H8J9K0",
  type: "issuer.updated" as const,
  actor: { type: "api_key" as const, id: "key_01JDQ3S4V6W8X9Y0Z1A2B3C4D6" },
  resource: { type: "issuer" as const, id: "iss_01JDQ3S5M2N3P4Q5R6S7T8V9W0" },
  request_id: "req_01JDQ3S7B2C3D4E5F6G7H8J9K1",
  changes: { "settings.session.lifetime_seconds": { from: 1209600, to: 86400 } },
  created_at: "2026-11-27T22:40:00.000Z",
};

/** The account's audit trail (api-contract §9). Events are written by the services' writes, not here. */
export const eventOperations = {
  list: defineOperation({
    id: "listEvents",
    method: "GET",
    path: "/v1/accounts/{account_id}/events",
    access: "account",
    tag: "Events",
    summary: "List Events",
    description:
      "The account's audit events, newest first, with keyset pagination: one per change made through the " +
      "API, the admin UI or the CLI, with its actor, request id and changed fields (secrets only as " +
      '`"[set]"`). Kept 90 days. Filter by `resource_id`, `issuer_id` (the issuer and its auth methods, ' +
      "clients, users and signing keys), `type` or `actor_id`.",
    query: ListEventsQuery,
    response: {
      status: 200,
      description: "Paginated list of events",
      schema: EventList,
      example: { object: "list", data: [eventExample], has_more: false, next_cursor: null },
    },
    errors: [400],
    handler: ({ query }, ctx) => ctx.services.events.list(ctx.accountId, query),
  }),

  /** Every event type, for the admin UI's filter (the domain's declaration, not a copy). */
  types: defineOperation({
    id: "listEventTypes",
    method: "GET",
    access: "account",
    response: { status: 200, description: "Every event type", schema: z.array(z.string()) },
    handler: async () => [...EVENT_TYPES],
  }),
};
