import { z } from "zod";
import { ListLimit, listOf, Timestamp } from "../common.ts";

/**
 * What each resource can emit (api-contract §9). A resource's events are one
 * line here: the type list, the API enum and OpenAPI follow from it.
 */
export const RESOURCE_EVENTS = {
  account: ["created"],
  issuer: ["created", "updated", "deleted", "restored", "purged", "signing_key_rotated"],
  auth_method: ["created", "updated", "deleted"],
  api_key: ["created", "revoked"],
  operator: ["signed_in"],
  client: ["created", "updated", "deleted", "secret_rotated"],
  user: ["created", "updated", "deleted", "sessions_revoked", "factor_removed"],
} as const satisfies Record<string, readonly string[]>;

export type EventResourceType = keyof typeof RESOURCE_EVENTS;
export type EventType = {
  [R in EventResourceType]: `${R}.${(typeof RESOURCE_EVENTS)[R][number]}`;
}[EventResourceType];

export const EVENT_RESOURCE_TYPES = Object.keys(RESOURCE_EVENTS) as EventResourceType[];
export const EVENT_TYPES = Object.entries(RESOURCE_EVENTS).flatMap(([resource, actions]) =>
  actions.map((action) => `${resource}.${action}`),
) as EventType[];

export const ACTOR_TYPES = ["api_key", "operator", "system"] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

/** Who made a change: an API key, an operator signed in to the admin UI, or the system (CLI, purge). */
export const EventActor = z
  .object({
    type: z.enum(ACTOR_TYPES),
    id: z.string().nullable().describe("`key_…` or the operator's id; null for the system."),
  })
  .meta({ id: "EventActor" });
export type EventActor = z.infer<typeof EventActor>;

/** The value written in place of a secret in `changes`: never its value, hash or ciphertext. */
export const SECRET_MARK = "[set]";

export const EventChange = z
  .object({
    from: z.unknown().describe(`The value before (null when absent). A secret reads "${SECRET_MARK}".`),
    to: z.unknown().describe(`The value after (null when absent). A secret reads "${SECRET_MARK}".`),
  })
  .meta({ id: "EventChange" });
export type EventChange = { from: unknown; to: unknown };
export type EventChanges = Record<string, EventChange>;

export const Event = z
  .object({
    object: z.literal("event"),
    id: z.string().describe("`evt_` + ULID."),
    type: z.enum(EVENT_TYPES as [EventType, ...EventType[]]),
    actor: EventActor,
    resource: z.object({ type: z.enum(EVENT_RESOURCE_TYPES as [EventResourceType]), id: z.string() }),
    request_id: z
      .string()
      .nullable()
      .describe("The `Request-Id` of the request that made the change; null for the system."),
    changes: z
      .record(z.string(), EventChange)
      .describe(
        "Changed fields as dotted paths (`settings.session.lifetime_seconds`) with their values before and after.",
      ),
    created_at: Timestamp,
  })
  .meta({ id: "Event" });
export type Event = z.infer<typeof Event>;

export const EventList = listOf(Event).meta({ id: "EventList" });

export const ListEventsQuery = z.strictObject({
  limit: ListLimit,
  cursor: z.string().max(64).optional().describe("Pagination cursor (event ID from previous response)"),
  resource_id: z.string().max(64).optional().describe("Only events of this resource (`iss_…`, `am_…`, `key_…`)."),
  issuer_id: z
    .string()
    .max(64)
    .optional()
    .describe("Only events of this issuer (`iss_…`) and of its auth methods, clients, users and signing keys."),
  type: z
    .enum(EVENT_TYPES as [EventType, ...EventType[]])
    .optional()
    .describe("Only events of this type."),
  actor_id: z.string().max(64).optional().describe("Only events made by this API key or operator."),
});
export type ListEventsQuery = z.infer<typeof ListEventsQuery>;

/** Fields of an API object that are bookkeeping, not something a caller changed: left out of `changes`. */
// `issuer_url` is derived from the id and the public URL: never a change of its own.
export const AUDIT_IGNORED_FIELDS = [
  "object",
  "id",
  "account_id",
  "issuer_id",
  "issuer_url",
  "created_at",
  "updated_at",
] as const;

/** How long events are kept before the periodic purge removes them (api-contract §9). */
export const EVENT_RETENTION_DAYS = 90;
