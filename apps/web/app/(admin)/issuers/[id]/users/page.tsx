"use client";

import type { User } from "@authpi/domain";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { type FormEvent, useState } from "react";
import {
  Alert,
  Badge,
  Button,
  Card,
  ConfirmDialog,
  EmptyState,
  Field,
  formatDate,
  Spinner,
  TextInput,
} from "../../../../../src/ui/components.tsx";
import { IssuerSectionHeader } from "../../../../../src/ui/issuer-section-header.tsx";
import { describeError, useTRPC } from "../../../../../src/ui/trpc.tsx";

const PAGE_SIZE = 25;

export default function UsersPage() {
  const { id: issuerId } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const [search, setSearch] = useState("");
  const [email, setEmail] = useState<string | undefined>(undefined);
  // Keyset pages: the cursors of the pages before this one, so "Newer" can go back.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const users = useQuery({
    ...trpc.users.list.queryOptions({
      issuerId,
      limit: PAGE_SIZE,
      ...(email ? { email } : {}),
      ...(cursor ? { cursor } : {}),
    }),
    placeholderData: keepPreviousData,
  });
  const rows = users.data?.data ?? [];

  return (
    <>
      <IssuerSectionHeader
        issuerId={issuerId}
        section="Users"
        description="This issuer's own user pool, newest first. Passwords are stored as argon2id hashes and never shown."
      />
      <div className="space-y-6">
        <form
          className="flex flex-wrap items-end gap-2"
          aria-label="Search users"
          onSubmit={(event) => {
            event.preventDefault();
            setEmail(search.trim() || undefined);
            setCursors([]);
          }}
        >
          <div className="min-w-64 flex-1">
            <Field label="Search by email" help="Exact address, case-insensitive.">
              {(a11y) => (
                <TextInput
                  {...a11y}
                  type="search"
                  name="email-search"
                  value={search}
                  onChange={(e) => setSearch(e.target.value)}
                  placeholder="ada@example.com"
                />
              )}
            </Field>
          </div>
          <Button type="submit" variant="secondary">
            Search
          </Button>
          {email && (
            <Button
              variant="ghost"
              onClick={() => {
                setSearch("");
                setEmail(undefined);
                setCursors([]);
              }}
            >
              Show all
            </Button>
          )}
        </form>
        {users.isLoading ? (
          <Spinner label="Loading users…" />
        ) : users.error ? (
          <Alert>{describeError(users.error).message}</Alert>
        ) : rows.length === 0 ? (
          <EmptyState title={email ? `No user with the email ${email}` : "No users yet"}>
            {email ? "Check the address, or create the user below." : "Create one below."}
          </EmptyState>
        ) : (
          <ul className="space-y-4" aria-label="Users">
            {rows.map((user) => (
              <li key={user.id}>
                <UserCard issuerId={issuerId} user={user} />
              </li>
            ))}
          </ul>
        )}
        {(cursors.length > 0 || users.data?.has_more) && (
          <div className="flex gap-2">
            <Button
              variant="secondary"
              disabled={cursors.length === 0}
              onClick={() => setCursors(cursors.slice(0, -1))}
            >
              Newer
            </Button>
            <Button
              variant="secondary"
              disabled={!users.data?.next_cursor}
              busy={users.isFetching}
              onClick={() => users.data?.next_cursor && setCursors([...cursors, users.data.next_cursor])}
            >
              Older
            </Button>
          </div>
        )}
        {!users.error && <CreateUser issuerId={issuerId} />}
      </div>
    </>
  );
}

function UserCard({ issuerId, user: listed }: { issuerId: string; user: User }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // The user with its ETag: block, factor removal and delete carry the version they were based on.
  const current = useQuery(trpc.users.get.queryOptions({ issuerId, id: listed.id }));
  const user = current.data?.value ?? listed;
  const etag = current.data?.etag;
  const [signedOut, setSignedOut] = useState(false);
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.users.list.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.users.get.queryKey({ issuerId, id: listed.id }) }),
    ]);
  const update = useMutation(
    trpc.users.update.mutationOptions({
      onSuccess: (data) => {
        queryClient.setQueryData(trpc.users.get.queryKey({ issuerId, id: listed.id }), data);
        void queryClient.invalidateQueries({ queryKey: trpc.users.list.pathKey() });
      },
    }),
  );
  const removeFactor = useMutation(trpc.users.removeFactor.mutationOptions({ onSuccess: () => refresh() }));
  const signOut = useMutation(
    trpc.users.revokeSessions.mutationOptions({
      onSuccess: () => {
        setSignedOut(true);
        return refresh();
      },
    }),
  );
  const remove = useMutation(trpc.users.delete.mutationOptions({ onSuccess: () => refresh() }));
  const failure = update.error ?? removeFactor.error ?? signOut.error ?? remove.error;
  const error = failure ? describeError(failure) : undefined;
  const blocked = user.status === "blocked";
  const label = user.email ?? user.phone_number ?? user.id;

  return (
    <Card
      title={label}
      description={
        <span className="flex flex-wrap items-center gap-2">
          <Badge tone={blocked ? "red" : "green"}>{user.status}</Badge>
          {user.email && (
            <Badge tone={user.email_verified ? "green" : "amber"}>
              {user.email_verified ? "email verified" : "email not verified"}
            </Badge>
          )}
          {user.password_set && <Badge tone="slate">password set</Badge>}
          <span className="font-mono text-xs">{user.id}</span>
        </span>
      }
      actions={
        <div className="flex flex-wrap gap-2">
          <Button
            variant="secondary"
            busy={update.isPending}
            disabled={!etag}
            onClick={() =>
              update.mutate({ issuerId, id: user.id, patch: { status: blocked ? "active" : "blocked" }, ifMatch: etag })
            }
          >
            {blocked ? "Unblock" : "Block"}
          </Button>
          <ConfirmDialog
            trigger={<Button variant="secondary">Sign out everywhere</Button>}
            title={`Sign ${label} out everywhere?`}
            description="Every session of this user ends and every refresh token is revoked. They can sign in again."
            confirmLabel="Sign out everywhere"
            onConfirm={() => signOut.mutateAsync({ issuerId, userId: user.id })}
          />
          <ConfirmDialog
            trigger={
              <Button variant="danger" aria-label={`Delete ${label}`}>
                Delete
              </Button>
            }
            title={`Delete ${label}?`}
            description="The user, their sessions, tokens, factors and linked identities are removed for good."
            confirmLabel="Delete user"
            onConfirm={() => remove.mutateAsync({ issuerId, id: user.id, ifMatch: etag })}
          />
        </div>
      }
    >
      <div className="space-y-3 text-sm" data-testid={`user-${user.id}`}>
        {error?.code === "precondition_failed" ? (
          <Alert tone="amber">
            <span className="font-medium">Changed elsewhere — reload.</span> This user was saved after you loaded it;
            your change was not applied.{" "}
            <button
              type="button"
              className="font-medium underline"
              onClick={() => {
                update.reset();
                remove.reset();
                removeFactor.reset();
                void refresh();
              }}
            >
              Reload
            </button>
          </Alert>
        ) : (
          error && <Alert>{error.message}</Alert>
        )}
        {signedOut && <Alert tone="green">Signed out everywhere.</Alert>}
        <dl className="grid grid-cols-1 gap-x-4 gap-y-2 sm:grid-cols-3">
          <div>
            <dt className="text-xs text-slate-500">Name</dt>
            <dd>{user.name ?? "—"}</dd>
          </div>
          <div>
            <dt className="text-xs text-slate-500">Created</dt>
            <dd>{formatDate(user.created_at)}</dd>
          </div>
          <div>
            <dt className="text-xs text-slate-500">Last sign-in</dt>
            <dd>{formatDate(user.last_sign_in_at)}</dd>
          </div>
        </dl>
        <div>
          <h3 className="text-xs text-slate-500">Second factors</h3>
          {user.factors.length === 0 ? (
            <p className="text-slate-600">None enrolled.</p>
          ) : (
            <ul className="mt-1 space-y-1" aria-label={`Factors of ${label}`}>
              {user.factors.map((factor) => (
                <li key={factor.id} className="flex items-center gap-2">
                  <Badge tone="indigo">{factor.type}</Badge>
                  <span>{factor.name}</span>
                  <ConfirmDialog
                    trigger={
                      <Button variant="ghost" aria-label={`Remove factor ${factor.name}`}>
                        Remove
                      </Button>
                    }
                    title={`Remove “${factor.name}”?`}
                    description="The user can no longer use it; they may enrol a new one at their next sign-in."
                    confirmLabel="Remove factor"
                    onConfirm={() =>
                      removeFactor.mutateAsync({ issuerId, userId: user.id, id: factor.id, ifMatch: etag })
                    }
                  />
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
    </Card>
  );
}

function CreateUser({ issuerId }: { issuerId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [created, setCreated] = useState<string | null>(null);
  const create = useMutation(
    trpc.users.create.mutationOptions({
      onSuccess: (data) => {
        setCreated(data.value.email ?? data.value.id);
        setEmail("");
        setName("");
        setPassword("");
        queueMicrotask(() => create.reset());
        void queryClient.invalidateQueries({ queryKey: trpc.users.list.pathKey() });
      },
    }),
  );
  const error = create.error ? describeError(create.error, "body") : undefined;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setCreated(null);
    create.mutate({
      issuerId,
      body: { email, ...(name.trim() ? { name } : {}), ...(password ? { password } : {}) },
    });
  };
  return (
    <Card title="Create a user">
      <form onSubmit={submit} className="space-y-4" aria-label="Create a user">
        {created && <Alert tone="green">Created {created}.</Alert>}
        {error && !Object.keys(error.fields).length && <Alert>{error.message}</Alert>}
        <Field label="Email" error={error?.fields.email}>
          {(a11y) => (
            <TextInput
              {...a11y}
              type="email"
              name="email"
              autoComplete="off"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          )}
        </Field>
        <Field label="Name" error={error?.fields.name}>
          {(a11y) => <TextInput {...a11y} name="name" value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field
          label="Password"
          help="Optional; checked against the issuer's password method. Never shown again."
          error={error?.fields.password}
        >
          {(a11y) => (
            <TextInput
              {...a11y}
              type="password"
              name="password"
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
        <Button type="submit" busy={create.isPending}>
          Create user
        </Button>
      </form>
    </Card>
  );
}
