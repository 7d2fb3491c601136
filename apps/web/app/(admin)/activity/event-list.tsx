"use client";

import type { Event as DomainEvent } from "@authpi/domain";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import {
  Alert,
  Badge,
  Button,
  EmptyState,
  Field,
  formatDate,
  KeysetPager,
  Select,
  Spinner,
  TextInput,
} from "../../../src/ui/components.tsx";
import { describeError, useTRPC } from "../../../src/ui/trpc.tsx";

/** An event as tRPC delivers it (its JSON form). */
type Event = Omit<DomainEvent, "changes"> & { changes: Record<string, { from?: unknown; to?: unknown }> };

const PAGE_SIZE = 25;
const SECRET_MARK = "[set]";

const ACTION_TONES: Record<string, "green" | "amber" | "red" | "indigo" | "slate"> = {
  created: "green",
  restored: "green",
  updated: "indigo",
  deleted: "red",
  purged: "red",
  revoked: "red",
};

/** A value of a change, readable: null as "—", a secret as a badge, JSON for the rest. */
function Value({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <span className="text-slate-400">—</span>;
  if (value === SECRET_MARK) return <Badge tone="amber">secret set</Badge>;
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return <code className="rounded bg-slate-100 px-1 py-0.5 text-xs [overflow-wrap:anywhere]">{text}</code>;
}

/** The issuer's page listing a resource of this type, for the events of an issuer's Activity tab. */
const ISSUER_SECTIONS: Partial<Record<Event["resource"]["type"], string>> = {
  auth_method: "auth-methods",
  client: "clients",
  user: "users",
};

function resourceHref(resource: Event["resource"], issuerId: string | undefined): string | undefined {
  if (resource.type === "issuer") return `/issuers/${resource.id}`;
  const section = ISSUER_SECTIONS[resource.type];
  return issuerId && section ? `/issuers/${issuerId}/${section}` : undefined;
}

function Actor({ actor }: { actor: Event["actor"] }) {
  if (actor.type === "system") return <span>System</span>;
  return (
    <span>
      {actor.type === "api_key" ? "API key" : "Operator"}{" "}
      <span className="font-mono text-xs text-slate-500">{actor.id}</span>
    </span>
  );
}

function EventRow({ event, issuerId }: { event: Event; issuerId: string | undefined }) {
  const action = event.type.slice(event.type.indexOf(".") + 1);
  const href = resourceHref(event.resource, issuerId);
  const changes = Object.entries(event.changes);
  return (
    <li className="px-4 py-3" data-testid="event">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1 text-sm">
        <Badge tone={ACTION_TONES[action] ?? "slate"}>{event.type}</Badge>
        {href ? (
          <Link href={href} className="font-mono text-xs text-indigo-700 hover:underline">
            {event.resource.id}
          </Link>
        ) : (
          <span className="font-mono text-xs text-slate-600">{event.resource.id}</span>
        )}
        <span className="text-slate-600">
          by <Actor actor={event.actor} />
        </span>
        <span className="ml-auto text-xs text-slate-500">
          <time dateTime={event.created_at}>{formatDate(event.created_at)}</time>
          {event.request_id && <span className="ml-2 font-mono">{event.request_id}</span>}
        </span>
      </div>
      {changes.length > 0 && (
        <table className="mt-2 w-full text-sm">
          <caption className="sr-only">Changes</caption>
          <thead className="sr-only">
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Before</th>
              <th scope="col">After</th>
            </tr>
          </thead>
          <tbody>
            {changes.map(([path, change]) => (
              <tr key={path} className="align-top" data-testid="change">
                <th scope="row" className="w-1/3 py-0.5 pr-3 text-left font-mono text-xs font-normal text-slate-700">
                  {path}
                </th>
                <td className="py-0.5">
                  <span className="inline-flex flex-wrap items-center gap-2">
                    <Value value={change.from} />
                    <span aria-hidden="true" className="text-slate-400">
                      →
                    </span>
                    <span className="sr-only">changed to</span>
                    <Value value={change.to} />
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </li>
  );
}

/**
 * The account's events, newest first, filterable by type, resource and actor.
 * With `issuerId` the list is that issuer's only: its own events and those of
 * its auth methods, clients, users and signing keys (an issuer's Activity tab).
 */
export function EventList({ issuerId }: { issuerId?: string }) {
  const trpc = useTRPC();
  const types = useQuery(trpc.events.types.queryOptions());
  const [filters, setFilters] = useState<{ type?: string; resource_id?: string; actor_id?: string }>({});
  // Keyset pagination: the cursors of the pages before this one, to go back.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const query = {
    limit: PAGE_SIZE,
    ...(filters.type ? { type: filters.type as Event["type"] } : {}),
    ...(issuerId ? { issuer_id: issuerId } : {}),
    ...(filters.resource_id ? { resource_id: filters.resource_id } : {}),
    ...(filters.actor_id ? { actor_id: filters.actor_id } : {}),
    ...(cursor ? { cursor } : {}),
  };
  const list = useQuery({ ...trpc.events.list.queryOptions(query), placeholderData: keepPreviousData });

  function apply(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const text = (name: string) => String(form.get(name) ?? "").trim() || undefined;
    setFilters({ type: text("type"), resource_id: text("resource_id"), actor_id: text("actor_id") });
    setCursors([]);
  }

  const filtered = Boolean(filters.type || filters.actor_id || filters.resource_id);
  return (
    <>
      <form onSubmit={apply} className="mb-4 flex flex-wrap items-end gap-3" aria-label="Filter events">
        <div className="w-60">
          <Field label="Type">
            {(props) => (
              <Select {...props} name="type" defaultValue="">
                <option value="">All types</option>
                {types.data?.map((type) => (
                  <option key={type} value={type}>
                    {type}
                  </option>
                ))}
              </Select>
            )}
          </Field>
        </div>
        <div className="w-64">
          <Field label="Resource ID">
            {(props) => (
              <TextInput
                {...props}
                name="resource_id"
                placeholder={issuerId ? "am_…, cli_…, usr_…" : "iss_…, am_…, key_…"}
              />
            )}
          </Field>
        </div>
        <div className="w-64">
          <Field label="Actor ID">
            {(props) => <TextInput {...props} name="actor_id" placeholder="key_… or operator id" />}
          </Field>
        </div>
        <Button type="submit" variant="secondary">
          Apply filters
        </Button>
        {list.isFetching && !list.isLoading && <Spinner label="Refreshing…" />}
      </form>
      {list.isLoading ? (
        <Spinner label="Loading activity…" />
      ) : list.error ? (
        <Alert>{describeError(list.error).message}</Alert>
      ) : list.data && list.data.data.length === 0 ? (
        <EmptyState title={filtered ? "No events match these filters" : "No activity yet"}>
          Every change made through the API, the admin UI or the CLI appears here for 90 days.
        </EmptyState>
      ) : (
        <ul
          aria-label="Events, newest first"
          className="divide-y divide-slate-100 rounded-lg bg-white shadow-sm ring-1 ring-slate-200"
        >
          {list.data?.data.map((event) => (
            <EventRow key={event.id} event={event} issuerId={issuerId} />
          ))}
        </ul>
      )}
      <KeysetPager cursors={cursors} setCursors={setCursors} page={list.data} />
    </>
  );
}
