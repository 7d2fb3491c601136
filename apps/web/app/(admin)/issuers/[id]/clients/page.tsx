"use client";

import type { ApplicationType, Client } from "@authpi/domain";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
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
  Select,
  Spinner,
  TextArea,
  TextInput,
} from "../../../../../src/ui/components.tsx";
import { IssuerSectionHeader } from "../../../../../src/ui/issuer-section-header.tsx";
import { describeError, useTRPC } from "../../../../../src/ui/trpc.tsx";

const TYPES: { value: ApplicationType; title: string; help: string }[] = [
  { value: "web", title: "Web application", help: "A server-side app that keeps a client secret." },
  { value: "spa", title: "Single-page app", help: "A browser app: public, PKCE, no secret." },
  { value: "native", title: "Native app", help: "A mobile or desktop app: public, PKCE, no secret." },
  { value: "machine", title: "Machine to machine", help: "A service using client_credentials; no redirect." },
];

const GRACE_PERIODS = [
  { seconds: 0, label: "Stop the old secret now" },
  { seconds: 3600, label: "Keep the old secret for 1 hour" },
  { seconds: 86_400, label: "Keep the old secret for 24 hours" },
  { seconds: 604_800, label: "Keep the old secret for 7 days" },
];

/** One URI a line; blank lines ignored. */
const lines = (text: string) =>
  text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);

export default function ClientsPage() {
  const { id: issuerId } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const clients = useQuery(trpc.clients.list.queryOptions({ issuerId, limit: 100 }));
  // The secret of the client just created or rotated: held in memory for this one screen only.
  const [revealed, setRevealed] = useState<{ clientId: string; name: string; secret: string } | null>(null);

  return (
    <>
      <IssuerSectionHeader
        issuerId={issuerId}
        section="Clients"
        title="OAuth clients"
        description="Applications that sign users in with this issuer. A client secret is shown once, when it is created or rotated."
      />
      <div className="space-y-6">
        {revealed && <SecretOnce {...revealed} onDone={() => setRevealed(null)} />}
        {clients.isLoading ? (
          <Spinner label="Loading clients…" />
        ) : clients.error ? (
          <Alert>{describeError(clients.error).message}</Alert>
        ) : clients.data?.data.length === 0 ? (
          <EmptyState title="No clients yet">Create one below to let an application sign users in.</EmptyState>
        ) : (
          <ul className="grid gap-4 lg:grid-cols-2" aria-label="Clients">
            {clients.data?.data.map((client) => (
              <li key={client.id}>
                <ClientCard
                  issuerId={issuerId}
                  client={client}
                  onSecret={(secret) => setRevealed({ clientId: client.id, name: client.name, secret })}
                />
              </li>
            ))}
          </ul>
        )}
        {!clients.error && (
          <CreateClient
            issuerId={issuerId}
            onCreated={(client, secret) => {
              if (secret) setRevealed({ clientId: client.id, name: client.name, secret });
            }}
          />
        )}
      </div>
    </>
  );
}

function SecretOnce({
  clientId,
  name,
  secret,
  onDone,
}: {
  clientId: string;
  name: string;
  secret: string;
  onDone: () => void;
}) {
  const [copied, setCopied] = useState(false);
  return (
    <Card title={`Client secret of “${name}”`}>
      <div className="space-y-3" data-testid="client-secret-once">
        <Alert tone="amber">
          Copy it now: it will not be shown again. AuthPI keeps only a hash of it; if you lose it, rotate it.
        </Alert>
        <dl className="grid gap-2 text-sm">
          <div>
            <dt className="text-xs text-slate-500">Client ID</dt>
            <dd className="font-mono break-all">{clientId}</dd>
          </div>
          <div>
            <dt className="text-xs text-slate-500">Client secret</dt>
            <dd className="font-mono break-all" data-testid="client-secret">
              {secret}
            </dd>
          </div>
        </dl>
        <div className="flex gap-2">
          <Button
            variant="secondary"
            onClick={async () => {
              await navigator.clipboard?.writeText(secret).catch(() => {});
              setCopied(true);
            }}
          >
            {copied ? "Copied" : "Copy secret"}
          </Button>
          <Button onClick={onDone}>I have saved it</Button>
        </div>
      </div>
    </Card>
  );
}

function ClientCard({
  issuerId,
  client: listed,
  onSecret,
}: {
  issuerId: string;
  client: Client;
  onSecret: (secret: string) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // The client with its ETag: the edit, the rotation and the delete carry the version they were based on.
  const current = useQuery(trpc.clients.get.queryOptions({ issuerId, id: listed.id }));
  const client = current.data?.value ?? listed;
  const etag = current.data?.etag;
  const [editing, setEditing] = useState(false);
  const [uris, setUris] = useState("");
  const [logoutUris, setLogoutUris] = useState("");
  const [grace, setGrace] = useState("0");
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.clients.list.queryKey({ issuerId, limit: 100 }) }),
      queryClient.invalidateQueries({ queryKey: trpc.clients.get.queryKey({ issuerId, id: listed.id }) }),
    ]);
  const update = useMutation(
    trpc.clients.update.mutationOptions({
      onSuccess: (data) => {
        queryClient.setQueryData(trpc.clients.get.queryKey({ issuerId, id: listed.id }), data);
        setEditing(false);
        void queryClient.invalidateQueries({ queryKey: trpc.clients.list.queryKey({ issuerId, limit: 100 }) });
      },
    }),
  );
  const rotate = useMutation(
    trpc.clients.rotateSecret.mutationOptions({
      onSuccess: (data) => {
        if (data.value.client_secret) onSecret(data.value.client_secret);
        // Shown by the page's one-time panel; the mutation keeps no copy.
        queueMicrotask(() => rotate.reset());
        void refresh();
      },
    }),
  );
  const remove = useMutation(trpc.clients.delete.mutationOptions({ onSuccess: () => refresh() }));
  const failure = update.error ?? rotate.error ?? remove.error;
  const error = failure ? describeError(failure, "patch") : undefined;
  const conflict = error?.code === "precondition_failed";
  const hasRedirects = client.application_type !== "machine";

  const save = (event: FormEvent) => {
    event.preventDefault();
    update.mutate({
      issuerId,
      id: client.id,
      patch: { redirect_uris: lines(uris), post_logout_redirect_uris: lines(logoutUris) },
      ifMatch: etag,
    });
  };

  return (
    <Card
      title={client.name}
      description={
        <span className="flex flex-wrap items-center gap-2">
          <Badge tone="indigo">{client.application_type}</Badge>
          <span className="font-mono text-xs">{client.id}</span>
        </span>
      }
      actions={
        <ConfirmDialog
          trigger={
            <Button variant="secondary" aria-label={`Delete ${client.name}`}>
              Delete
            </Button>
          }
          title={`Delete “${client.name}”?`}
          description="The application can no longer sign users in, and every token it was issued is revoked. This is permanent."
          confirmLabel="Delete client"
          onConfirm={() => remove.mutateAsync({ issuerId, id: client.id, ifMatch: etag })}
        />
      }
    >
      <div className="space-y-4" data-testid={`client-${client.id}`}>
        {conflict ? (
          <Alert tone="amber">
            <span className="font-medium">Changed elsewhere — reload.</span> This client was saved after you loaded it;
            your change was not applied.{" "}
            <button
              type="button"
              className="font-medium underline"
              onClick={() => {
                update.reset();
                rotate.reset();
                remove.reset();
                void refresh();
              }}
            >
              Reload
            </button>
          </Alert>
        ) : (
          error && <Alert>{error.message}</Alert>
        )}
        <dl className="grid grid-cols-1 gap-x-4 gap-y-2 text-sm sm:grid-cols-2">
          <div>
            <dt className="text-xs text-slate-500">Token endpoint auth</dt>
            <dd>{client.token_endpoint_auth_method}</dd>
          </div>
          <div>
            <dt className="text-xs text-slate-500">Grant types</dt>
            <dd>{client.grant_types.join(", ")}</dd>
          </div>
          <div>
            <dt className="text-xs text-slate-500">Scopes</dt>
            <dd>{client.scopes.join(" ") || "—"}</dd>
          </div>
          <div>
            <dt className="text-xs text-slate-500">Secret</dt>
            <dd>
              {client.client_secret_set ? <Badge tone="green">set</Badge> : <Badge tone="slate">public client</Badge>}
              {client.previous_secret_expires_at && (
                <span className="ml-2 text-xs text-slate-500">
                  old secret works until {formatDate(client.previous_secret_expires_at)}
                </span>
              )}
            </dd>
          </div>
          {hasRedirects && (
            <div className="sm:col-span-2">
              <dt className="text-xs text-slate-500">Redirect URIs</dt>
              <dd className="font-mono text-xs break-all">
                {client.redirect_uris.map((uri) => (
                  <div key={uri}>{uri}</div>
                ))}
              </dd>
            </div>
          )}
        </dl>
        {hasRedirects &&
          (editing ? (
            <form onSubmit={save} className="space-y-3" aria-label={`Edit redirect URIs of ${client.name}`}>
              <Field label="Redirect URIs" help="One a line." error={error?.fields.redirect_uris}>
                {(a11y) => (
                  <TextArea
                    {...a11y}
                    name="redirect_uris"
                    className="font-mono text-xs"
                    value={uris}
                    onChange={(e) => setUris(e.target.value)}
                  />
                )}
              </Field>
              <Field label="Post-logout redirect URIs" help="One a line; optional.">
                {(a11y) => (
                  <TextArea
                    {...a11y}
                    name="post_logout_redirect_uris"
                    className="font-mono text-xs"
                    value={logoutUris}
                    onChange={(e) => setLogoutUris(e.target.value)}
                  />
                )}
              </Field>
              <div className="flex gap-2">
                <Button type="submit" busy={update.isPending} disabled={!etag}>
                  Save redirect URIs
                </Button>
                <Button variant="ghost" onClick={() => setEditing(false)}>
                  Cancel
                </Button>
              </div>
            </form>
          ) : (
            <Button
              variant="secondary"
              onClick={() => {
                setUris(client.redirect_uris.join("\n"));
                setLogoutUris(client.post_logout_redirect_uris.join("\n"));
                setEditing(true);
              }}
            >
              Edit redirect URIs
            </Button>
          ))}
        {client.client_secret_set && (
          <div className="flex flex-wrap items-end gap-2 border-t border-slate-100 pt-3">
            <Field label="Rotation grace period">
              {(a11y) => (
                <Select {...a11y} value={grace} onChange={(e) => setGrace(e.target.value)}>
                  {GRACE_PERIODS.map((p) => (
                    <option key={p.seconds} value={p.seconds}>
                      {p.label}
                    </option>
                  ))}
                </Select>
              )}
            </Field>
            <Button
              variant="secondary"
              busy={rotate.isPending}
              onClick={() =>
                rotate.mutate({
                  issuerId,
                  clientId: client.id,
                  body: { previous_secret_expires_in_seconds: Number(grace) },
                })
              }
            >
              Rotate secret
            </Button>
          </div>
        )}
        <p className="text-xs text-slate-500">Created {formatDate(client.created_at)}</p>
      </div>
    </Card>
  );
}

function CreateClient({
  issuerId,
  onCreated,
}: {
  issuerId: string;
  onCreated: (client: Client, secret: string | null) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [type, setType] = useState<ApplicationType>("web");
  const [uris, setUris] = useState("");
  const [origins, setOrigins] = useState("");
  const create = useMutation(
    trpc.clients.create.mutationOptions({
      onSuccess: (data) => {
        const { client_secret: secret, ...client } = data.value;
        onCreated(client, secret);
        queueMicrotask(() => create.reset());
        setName("");
        setUris("");
        setOrigins("");
        void queryClient.invalidateQueries({ queryKey: trpc.clients.list.queryKey({ issuerId, limit: 100 }) });
      },
    }),
  );
  const error = create.error ? describeError(create.error, "body") : undefined;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({
      issuerId,
      body: {
        name,
        application_type: type,
        ...(type === "machine" ? {} : { redirect_uris: lines(uris) }),
        ...(type === "spa" && lines(origins).length ? { allowed_origins: lines(origins) } : {}),
      },
    });
  };
  const fieldError = (key: string) =>
    Object.entries(error?.fields ?? {}).find(([param]) => param === key || param.startsWith(`${key}[`))?.[1];

  return (
    <Card title="Create a client">
      <form onSubmit={submit} className="space-y-4" aria-label="Create a client">
        {error && !Object.keys(error.fields).length && <Alert>{error.message}</Alert>}
        <Field label="Name" error={fieldError("name")}>
          {(a11y) => <TextInput {...a11y} name="name" value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Application type" help={TYPES.find((t) => t.value === type)?.help}>
          {(a11y) => (
            <Select
              {...a11y}
              name="application_type"
              value={type}
              onChange={(e) => setType(e.target.value as ApplicationType)}
            >
              {TYPES.map((t) => (
                <option key={t.value} value={t.value}>
                  {t.title}
                </option>
              ))}
            </Select>
          )}
        </Field>
        {type !== "machine" && (
          <Field
            label="Redirect URIs"
            help={
              type === "native"
                ? "One a line: a private-use scheme (com.example.app:/callback) or http://127.0.0.1/…"
                : "One a line: https (http only for localhost)."
            }
            error={fieldError("redirect_uris")}
          >
            {(a11y) => (
              <TextArea
                {...a11y}
                name="redirect_uris"
                className="font-mono text-xs"
                value={uris}
                onChange={(e) => setUris(e.target.value)}
              />
            )}
          </Field>
        )}
        {type === "spa" && (
          <Field
            label="Allowed origins"
            help="One a line: the origins (https://app.example.com) of its token calls."
            error={fieldError("allowed_origins")}
          >
            {(a11y) => (
              <TextArea
                {...a11y}
                name="allowed_origins"
                className="font-mono text-xs"
                value={origins}
                onChange={(e) => setOrigins(e.target.value)}
              />
            )}
          </Field>
        )}
        <Button type="submit" busy={create.isPending}>
          Create client
        </Button>
      </form>
    </Card>
  );
}
