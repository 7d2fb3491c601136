import {
  DomainError,
  EVENT_RETENTION_DAYS,
  type EventActor,
  type EventChanges,
  type EventResourceType,
  type EventType,
  type Event as EventView,
  idTimestamp,
  isId,
  type List,
  type ListEventsQuery,
  newId,
} from "@authpi/domain";
import type { Clock } from "../clock.ts";
import { JsonText } from "../json-text.ts";
import type { Sql } from "../sql.ts";
import { createAuditRepository, type EventRow, eventValues } from "./repository.ts";

/**
 * Who is calling the services, as events record it. A door binds the services
 * to its caller once (`services.as(caller)`); unbound services act as the
 * system (the CLI, the periodic purge).
 */
export interface Caller {
  actor: EventActor;
  /** The request's `Request-Id`; null for the system. */
  requestId: string | null;
}

export const SYSTEM_CALLER: Caller = { actor: { type: "system", id: null }, requestId: null };

export function apiKeyCaller(apiKeyId: string, requestId: string | null): Caller {
  return { actor: { type: "api_key", id: apiKeyId }, requestId };
}

export function operatorCaller(operatorId: string, requestId: string | null): Caller {
  return { actor: { type: "operator", id: operatorId }, requestId };
}

export interface EventDraft {
  accountId: string;
  /**
   * The issuer the resource belongs to (the issuer itself for issuer events; the issuer of an auth
   * method, client, user or signing key); null for account-level resources. Its Activity tab lists
   * them all (`issuer_id` filter).
   */
  issuerId: string | null;
  type: EventType;
  resourceId: string;
  changes: EventChanges;
  /** Only when the change is made by someone other than the caller (an operator signing in is its own actor). */
  actor?: EventActor;
}

/**
 * Events of the caller's writes, committed with the change or not at all:
 * either in the write's own statement (`values` for a `withEvent` statement;
 * issuers, auth methods) or as a statement of its own right after the write,
 * on the same executor (`record`; the services wrap such a write in a
 * transaction, see `AUDITED_WRITES` in `services.ts`).
 */
export function createAuditRecorder(sql: Sql, clock: Clock, caller: Caller) {
  const repo = createAuditRepository(sql);
  function row(draft: EventDraft): EventRow {
    const id = newId("event", clock().getTime());
    return {
      id,
      accountId: draft.accountId,
      issuerId: draft.issuerId,
      type: draft.type,
      actor: draft.actor ?? caller.actor,
      resourceType: draft.type.slice(0, draft.type.indexOf(".")) as EventResourceType,
      resourceId: draft.resourceId,
      requestId: caller.requestId,
      changes: draft.changes,
      createdAt: idTimestamp(id),
    };
  }
  return {
    caller,
    /** The events as one statement of their own, right after the write (inside the write's transaction). */
    async record(...drafts: EventDraft[]): Promise<void> {
      await repo.insert(drafts.map(row));
    },
    /** The event's values for a statement built with `withEvent`: the change and its event in one. */
    values: (draft: EventDraft): unknown[] => eventValues(row(draft)),
  };
}

export type AuditRecorder = ReturnType<typeof createAuditRecorder>;

function invalidCursor(): DomainError {
  return new DomainError("invalid_cursor", "cursor: not an event of this account", { param: "cursor" });
}

/** Reading events (`GET /v1/accounts/{account_id}/events`) and their 90-day retention. */
export function createEventService(sql: Sql, clock: Clock) {
  const repo = createAuditRepository(sql);
  return {
    /** Newest first, keyset; the JSON as Postgres built it. */
    async list(accountId: string, query: ListEventsQuery): Promise<JsonText<List<EventView>>> {
      if (query.cursor !== undefined && !isId("event", query.cursor)) throw invalidCursor();
      const page = await repo.page(accountId, {
        limit: query.limit,
        cursor: query.cursor,
        resourceId: query.resource_id,
        issuerId: query.issuer_id,
        type: query.type,
        actorId: query.actor_id,
      });
      if (!page.cursorFound) throw invalidCursor();
      return new JsonText(page.parts, page.bytes);
    },

    /** Deletes events older than the retention period; returns how many. */
    purgeExpired(now = clock()): Promise<number> {
      return repo.purgeBefore(new Date(now.getTime() - EVENT_RETENTION_DAYS * 86_400_000));
    },
  };
}

export type EventService = ReturnType<typeof createEventService>;
