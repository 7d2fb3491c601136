"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
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
  PageHeader,
  Spinner,
  TextInput,
} from "../../../src/ui/components.tsx";
import { describeError, useTRPC } from "../../../src/ui/trpc.tsx";

export default function ApiKeysPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [copied, setCopied] = useState(false);
  const keys = useQuery(trpc.apiKeys.list.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey() });
  const create = useMutation(
    trpc.apiKeys.create.mutationOptions({
      onSuccess: () => {
        setName("");
        setCopied(false);
        void refresh();
      },
    }),
  );
  const revoke = useMutation(trpc.apiKeys.revoke.mutationOptions({ onSuccess: refresh }));
  const error = create.error ? describeError(create.error) : undefined;

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate({ name });
  }

  return (
    <>
      <PageHeader
        title="API keys"
        description="Keys authenticate calls to the /v1 API and the internal tRPC client. A key's secret is shown once."
      />
      <div className="space-y-6">
        <Card title="Create a key">
          <form onSubmit={submit} noValidate className="flex flex-wrap items-start gap-3">
            <div className="w-full max-w-sm">
              <Field label="Key name" error={error?.fields.name} help="What uses it, e.g. CI or billing-service.">
                {(props) => <TextInput {...props} name="name" value={name} onChange={(e) => setName(e.target.value)} />}
              </Field>
            </div>
            <Button type="submit" className="sm:mt-6" busy={create.isPending}>
              Create key
            </Button>
          </form>
          {error && !error.fields.name && (
            <div className="mt-3">
              <Alert>{error.message}</Alert>
            </div>
          )}
          {create.data && (
            <div className="mt-4 space-y-2 rounded-md bg-green-50 p-4 ring-1 ring-green-200" data-testid="new-key">
              <p className="text-sm font-medium text-green-900">
                Copy the secret of “{create.data.api_key.name}” now. It will not be shown again.
              </p>
              <div className="flex flex-wrap items-center gap-2">
                <code
                  className="rounded bg-white px-2 py-1 font-mono text-sm break-all ring-1 ring-green-200"
                  data-testid="new-key-secret"
                >
                  {create.data.secret}
                </code>
                <Button
                  variant="secondary"
                  onClick={async () => {
                    await navigator.clipboard?.writeText(create.data.secret).catch(() => {});
                    setCopied(true);
                  }}
                >
                  {copied ? "Copied" : "Copy"}
                </Button>
                <Button variant="ghost" onClick={() => create.reset()}>
                  Done
                </Button>
              </div>
            </div>
          )}
        </Card>
        <Card title="Keys">
          {revoke.error && <Alert>{describeError(revoke.error).message}</Alert>}
          {keys.isLoading ? (
            <Spinner label="Loading keys…" />
          ) : keys.error ? (
            <Alert>{describeError(keys.error).message}</Alert>
          ) : !keys.data?.length ? (
            <EmptyState title="No API keys" />
          ) : (
            <div className="-mx-4 overflow-x-auto sm:-mx-6">
              <table className="min-w-full divide-y divide-slate-200 text-sm">
                <caption className="sr-only">API keys, newest first</caption>
                <thead className="text-left text-xs font-semibold tracking-wide text-slate-600 uppercase">
                  <tr>
                    <th scope="col" className="px-4 py-2 sm:px-6">
                      Name
                    </th>
                    <th scope="col" className="px-4 py-2">
                      Key
                    </th>
                    <th scope="col" className="hidden px-4 py-2 md:table-cell">
                      Created
                    </th>
                    <th scope="col" className="px-4 py-2">
                      Last used
                    </th>
                    <th scope="col" className="px-4 py-2 sm:px-6">
                      <span className="sr-only">Status and actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100">
                  {keys.data.map((key) => (
                    <tr key={key.id} data-testid={`api-key-${key.id}`}>
                      <td className="px-4 py-3 font-medium sm:px-6">{key.name}</td>
                      <td className="px-4 py-3 font-mono text-xs text-slate-600">{key.prefix}…</td>
                      <td className="hidden px-4 py-3 text-slate-600 md:table-cell">{formatDate(key.created_at)}</td>
                      <td className="px-4 py-3 text-slate-600">
                        {key.last_used_at ? formatDate(key.last_used_at) : "Never"}
                      </td>
                      <td className="px-4 py-3 text-right sm:px-6">
                        {key.revoked_at ? (
                          <Badge tone="red">Revoked</Badge>
                        ) : (
                          <ConfirmDialog
                            trigger={
                              <Button variant="secondary" aria-label={`Revoke ${key.name}`}>
                                Revoke
                              </Button>
                            }
                            title={`Revoke “${key.name}”?`}
                            description="Calls with this key fail with 401 from now on. This cannot be undone."
                            confirmLabel="Revoke key"
                            onConfirm={() => revoke.mutateAsync({ id: key.id })}
                          />
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Card>
      </div>
    </>
  );
}
