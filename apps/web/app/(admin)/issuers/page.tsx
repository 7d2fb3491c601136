"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import {
  Alert,
  Button,
  EmptyState,
  formatDate,
  KeysetPager,
  PageHeader,
  Select,
  Spinner,
  StatusBadge,
} from "../../../src/ui/components.tsx";
import { describeError, useTRPC } from "../../../src/ui/trpc.tsx";

const PAGE_SIZE = 20;
const FILTERS = [
  { value: "", label: "All (not deleted)" },
  { value: "active", label: "Active" },
  { value: "disabled", label: "Disabled" },
  { value: "suspended", label: "Suspended" },
  { value: "deleted", label: "Deleted" },
] as const;
type Filter = (typeof FILTERS)[number]["value"];

export default function IssuersPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<Filter>("");
  // Keyset pagination: the cursors of the pages before this one, to go back.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const list = useQuery({
    ...trpc.issuers.list.queryOptions({
      limit: PAGE_SIZE,
      ...(status ? { status } : {}),
      ...(cursor ? { cursor } : {}),
    }),
    placeholderData: keepPreviousData,
  });
  const restore = useMutation(
    trpc.issuers.restore.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.issuers.pathKey() }),
    }),
  );

  return (
    <>
      <PageHeader
        title="Issuers"
        description="Each issuer is one identity environment with its own users, settings and sign-in methods."
        actions={
          <Link
            href="/issuers/new"
            className="inline-flex items-center rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white shadow-sm hover:bg-indigo-500"
          >
            Create issuer
          </Link>
        }
      />
      <div className="mb-4 flex flex-wrap items-end gap-3">
        <div className="w-56">
          <label htmlFor="status-filter" className="mb-1 block text-sm font-medium text-slate-800">
            Status
          </label>
          <Select
            id="status-filter"
            value={status}
            onChange={(e) => {
              setStatus(e.target.value as Filter);
              setCursors([]);
            }}
          >
            {FILTERS.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </Select>
        </div>
        {list.isFetching && !list.isLoading && <Spinner label="Refreshing…" />}
      </div>
      {restore.error && <Alert>{describeError(restore.error).message}</Alert>}
      {list.isLoading ? (
        <Spinner label="Loading issuers…" />
      ) : list.error ? (
        <Alert>{describeError(list.error).message}</Alert>
      ) : list.data && list.data.data.length === 0 ? (
        <EmptyState title={status === "deleted" ? "No deleted issuers" : "No issuers yet"}>
          {status === "" && (
            <Link href="/issuers/new" className="font-medium text-indigo-600 hover:underline">
              Create your first issuer
            </Link>
          )}
        </EmptyState>
      ) : (
        <div className="overflow-x-auto rounded-lg bg-white shadow-sm ring-1 ring-slate-200">
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <caption className="sr-only">Issuers, newest first</caption>
            <thead className="bg-slate-50 text-left text-xs font-semibold tracking-wide text-slate-600 uppercase">
              <tr>
                <th scope="col" className="px-4 py-3">
                  Name
                </th>
                <th scope="col" className="hidden px-4 py-3 md:table-cell">
                  ID
                </th>
                <th scope="col" className="px-4 py-3">
                  Status
                </th>
                <th scope="col" className="hidden px-4 py-3 sm:table-cell">
                  {status === "deleted" ? "Purged after" : "Created"}
                </th>
                <th scope="col" className="px-4 py-3">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {list.data?.data.map((issuer) => (
                <tr key={issuer.id} className="hover:bg-slate-50">
                  <td className="px-4 py-3 font-medium">
                    <Link href={`/issuers/${issuer.id}`} className="text-indigo-700 hover:underline">
                      {issuer.name}
                    </Link>
                  </td>
                  <td className="hidden px-4 py-3 font-mono text-xs text-slate-500 md:table-cell">{issuer.id}</td>
                  <td className="px-4 py-3">
                    <StatusBadge status={issuer.status} />
                  </td>
                  <td className="hidden px-4 py-3 text-slate-600 sm:table-cell">
                    {formatDate(issuer.status === "deleted" ? issuer.purge_after : issuer.created_at)}
                  </td>
                  <td className="px-4 py-3 text-right">
                    {issuer.status === "deleted" && (
                      <Button
                        variant="secondary"
                        busy={restore.isPending && restore.variables?.id === issuer.id}
                        onClick={() => restore.mutate({ id: issuer.id })}
                        aria-label={`Restore ${issuer.name}`}
                      >
                        Restore
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <KeysetPager cursors={cursors} setCursors={setCursors} page={list.data} />
    </>
  );
}
