"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { Alert, Button, Card, Field, PageHeader, TextArea, TextInput } from "../../../../src/ui/components.tsx";
import { describeError, useTRPC } from "../../../../src/ui/trpc.tsx";

export default function NewIssuerPage() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const create = useMutation(
    trpc.issuers.create.mutationOptions({
      onSuccess: async ({ value }) => {
        await queryClient.invalidateQueries({ queryKey: trpc.issuers.pathKey() });
        router.push(`/issuers/${value.id}`);
      },
    }),
  );
  const error = create.error ? describeError(create.error) : undefined;

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate({ body: { name, description: description.trim() === "" ? null : description } });
  }

  return (
    <>
      <PageHeader title="Create issuer" description="Settings start from safe defaults; change them after creating." />
      <Card>
        <form onSubmit={submit} noValidate className="max-w-xl space-y-4">
          {error && Object.keys(error.fields).length === 0 && <Alert>{error.message}</Alert>}
          <Field label="Name" error={error?.fields.name} help="1–100 characters, e.g. Production.">
            {(props) => <TextInput {...props} name="name" value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
          <Field
            label="Description"
            error={error?.fields.description}
            help="Optional; Markdown, up to 2000 characters."
          >
            {(props) => (
              <TextArea
                {...props}
                name="description"
                value={description}
                onChange={(e) => setDescription(e.target.value)}
              />
            )}
          </Field>
          <div className="flex gap-2">
            <Button type="submit" busy={create.isPending}>
              Create issuer
            </Button>
            <Link
              href="/issuers"
              className="inline-flex items-center rounded-md px-3 py-2 text-sm font-medium text-slate-700 hover:bg-slate-100"
            >
              Cancel
            </Link>
          </div>
        </form>
      </Card>
    </>
  );
}
