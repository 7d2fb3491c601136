"use client";

import type { AuthMethod } from "@authpi/domain";
import type { AuthMethodForm, AuthMethodFormField } from "@authpi/trpc";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { type FormEvent, useState } from "react";
import {
  createSettings,
  createValues,
  editSettingsPatch,
  editValues,
  immutableKeys,
  type Values,
} from "../../../../../src/ui/auth-method-settings.ts";
import {
  Alert,
  Badge,
  Button,
  Card,
  ConfirmDialog,
  EmptyState,
  Field,
  Select,
  Spinner,
  Switch,
  TextArea,
  TextInput,
} from "../../../../../src/ui/components.tsx";
import { IssuerSectionHeader } from "../../../../../src/ui/issuer-section-header.tsx";
import { describeError, type FieldErrors, useTRPC } from "../../../../../src/ui/trpc.tsx";

const ACRONYMS: Record<string, string> = { id: "ID", url: "URL", uri: "URI", rp: "RP", pkce: "PKCE" };
/** `issuer_url` → "Issuer URL". */
const label = (key: string) =>
  key
    .split("_")
    .map((word) => ACRONYMS[word] ?? word)
    .join(" ")
    .replace(/^./, (c) => c.toUpperCase());

function display(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (Array.isArray(value)) return value.length ? value.join(", ") : "—";
  return String(value);
}

export default function AuthMethodsPage() {
  const { id: issuerId } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const methods = useQuery(trpc.authMethods.list.queryOptions({ issuerId }));
  const forms = useQuery(trpc.authMethods.forms.queryOptions());

  return (
    <>
      <IssuerSectionHeader
        issuerId={issuerId}
        section="Auth methods"
        description="How users of this issuer sign in and sign up. Secrets are write-only: once saved they are never shown."
      />
      <div className="space-y-6">
        {methods.isLoading ? (
          <Spinner label="Loading auth methods…" />
        ) : methods.error ? (
          <Alert>{describeError(methods.error).message}</Alert>
        ) : methods.data?.data.length === 0 ? (
          <EmptyState title="No auth methods yet">Add one below, e.g. a password or a Google login.</EmptyState>
        ) : (
          <ul className="grid gap-4 lg:grid-cols-2" aria-label="Auth methods">
            {methods.data?.data.map((method) => (
              <li key={method.id}>
                <MethodCard
                  issuerId={issuerId}
                  method={method}
                  form={forms.data?.find((f) => f.method === method.method)}
                />
              </li>
            ))}
          </ul>
        )}
        {forms.data && !methods.error && <AddMethod issuerId={issuerId} forms={forms.data} />}
      </div>
    </>
  );
}

function MethodCard({
  issuerId,
  method: listed,
  form,
}: {
  issuerId: string;
  method: AuthMethod;
  form?: AuthMethodForm;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // The method with its ETag: every toggle and the delete carry the version they were based on.
  const current = useQuery(trpc.authMethods.get.queryOptions({ issuerId, id: listed.id }));
  const method = current.data?.value ?? listed;
  const etag = current.data?.etag;
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.authMethods.list.queryKey({ issuerId }) }),
      queryClient.invalidateQueries({ queryKey: trpc.authMethods.get.queryKey({ issuerId, id: listed.id }) }),
    ]);
  const update = useMutation(
    trpc.authMethods.update.mutationOptions({
      onSuccess: (data) => {
        queryClient.setQueryData(trpc.authMethods.get.queryKey({ issuerId, id: listed.id }), data);
        void queryClient.invalidateQueries({ queryKey: trpc.authMethods.list.queryKey({ issuerId }) });
      },
    }),
  );
  const remove = useMutation(
    trpc.authMethods.delete.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.authMethods.list.queryKey({ issuerId }) }),
    }),
  );
  const toggle = (key: "enabled_login" | "enabled_signup" | "featured") => (value: boolean) =>
    update.mutate({ issuerId, id: method.id, patch: { [key]: value }, ifMatch: etag });
  const failure = update.error ?? remove.error;
  const conflict = failure ? describeError(failure).code === "precondition_failed" : false;
  const secretKeys = form?.fields.filter((f) => f.secret).map((f) => f.key) ?? [];
  const [editing, setEditing] = useState(false);
  // Bumped by "Reload" after a conflict: the editor starts again from the version just fetched.
  const [editorVersion, setEditorVersion] = useState(0);

  return (
    <Card
      title={method.name}
      description={
        <span className="flex flex-wrap items-center gap-2">
          <span>{form?.title ?? method.method}</span>
          <Badge tone="slate">{method.first_factor_only ? "first factor" : "second factor"}</Badge>
        </span>
      }
      actions={
        <div className="flex gap-2">
          {form && !editing && (
            <Button
              variant="secondary"
              aria-label={`Edit ${method.name}`}
              disabled={!etag}
              onClick={() => setEditing(true)}
            >
              Edit
            </Button>
          )}
          <ConfirmDialog
            trigger={
              <Button variant="secondary" aria-label={`Delete ${method.name}`}>
                Delete
              </Button>
            }
            title={`Delete “${method.name}”?`}
            description="Users can no longer sign in with it. This is permanent; its secrets are destroyed."
            confirmLabel="Delete method"
            onConfirm={() => remove.mutateAsync({ issuerId, id: method.id, ifMatch: etag })}
          />
        </div>
      }
    >
      <div className="space-y-4" data-testid={`method-${method.id}`}>
        {conflict ? (
          <Alert tone="amber">
            <span className="font-medium">Changed elsewhere — reload.</span> This method was saved after you loaded it;
            your change was not applied.{" "}
            <button
              type="button"
              className="font-medium underline"
              onClick={() => {
                update.reset();
                remove.reset();
                void refresh();
              }}
            >
              Reload
            </button>
          </Alert>
        ) : (
          failure && <Alert>{describeError(failure).message}</Alert>
        )}
        <div className="flex flex-wrap gap-x-6 gap-y-3">
          <Switch
            label="Sign-in"
            checked={method.enabled_login}
            onCheckedChange={toggle("enabled_login")}
            disabled={update.isPending || !etag}
          />
          <Switch
            label="Sign-up"
            checked={method.enabled_signup}
            onCheckedChange={toggle("enabled_signup")}
            disabled={update.isPending || !etag}
          />
          <Switch
            label="Featured"
            checked={method.featured}
            onCheckedChange={toggle("featured")}
            disabled={update.isPending || !etag}
          />
        </div>
        {editing && form && etag ? (
          <MethodEditor
            key={editorVersion}
            issuerId={issuerId}
            method={method}
            etag={etag}
            form={form}
            onClose={() => setEditing(false)}
            onReload={async () => {
              await current.refetch();
              setEditorVersion((v) => v + 1);
            }}
          />
        ) : (
          <dl className="grid grid-cols-1 gap-x-4 gap-y-2 text-sm sm:grid-cols-2">
            {Object.entries(method.settings).map(([key, value]) => (
              <div key={key} className="min-w-0">
                <dt className="text-xs text-slate-500">{label(key)}</dt>
                <dd className="truncate text-slate-800">{display(value)}</dd>
              </div>
            ))}
            {secretKeys.map((key) => (
              <div key={key}>
                <dt className="text-xs text-slate-500">{label(key)}</dt>
                <dd>
                  {(method.secrets_set as string[]).includes(key) ? (
                    <Badge tone="green">set</Badge>
                  ) : (
                    <Badge tone="amber">not set</Badge>
                  )}
                </dd>
              </div>
            ))}
            {"callback_url" in method && typeof method.callback_url === "string" ? (
              <div className="min-w-0 sm:col-span-2">
                <dt className="text-xs text-slate-500">Callback URL</dt>
                <dd>
                  <code
                    className="block select-all break-all rounded bg-slate-100 px-1 text-slate-800"
                    data-testid="callback-url"
                  >
                    {method.callback_url}
                  </code>
                  <span className="text-xs text-slate-500">
                    Copy it into the provider&apos;s settings as the redirect URI.
                  </span>
                </dd>
              </div>
            ) : null}
          </dl>
        )}
      </div>
    </Card>
  );
}

/**
 * Edits a method's name and settings. The draft starts from the version the
 * card loaded and the save carries that version's ETag, so a change made
 * elsewhere meanwhile is a 412 "changed elsewhere — reload", never overwritten.
 * What cannot change after creation (the type, first factor only, a federated
 * method's credentials and endpoints) is shown read-only.
 */
function MethodEditor({
  issuerId,
  method,
  etag,
  form,
  onClose,
  onReload,
}: {
  issuerId: string;
  method: AuthMethod;
  etag: string;
  form: AuthMethodForm;
  onClose: () => void;
  onReload: () => Promise<void>;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const settings = method.settings as Record<string, unknown>;
  const secretsSet = method.secrets_set as string[];
  const [values, setValues] = useState<Values>(() => editValues(form, method.name, settings));
  const fixed = new Set(immutableKeys(form));
  const update = useMutation(
    trpc.authMethods.update.mutationOptions({
      onSuccess: (data) => {
        queryClient.setQueryData(trpc.authMethods.get.queryKey({ issuerId, id: method.id }), data);
        void queryClient.invalidateQueries({ queryKey: trpc.authMethods.list.queryKey({ issuerId }) });
        onClose();
      },
    }),
  );
  const errors: FieldErrors | undefined = update.error ? describeError(update.error, "patch") : undefined;
  const conflict = errors?.code === "precondition_failed";
  const shown = new Set(["name", ...form.fields.map((f) => `settings.${f.key}`)]);
  const unplaced = errors && Object.keys(errors.fields).filter((p) => !shown.has(p));
  const set = (key: string) => (value: string | boolean) => setValues((v) => ({ ...v, [key]: value }));

  function submit(event: FormEvent) {
    event.preventDefault();
    const patch: Record<string, unknown> = {};
    const name = String(values.name ?? "");
    if (name !== method.name) patch.name = name;
    const settingsPatch = editSettingsPatch(form, settings, values);
    if (Object.keys(settingsPatch).length > 0) patch.settings = settingsPatch;
    if (Object.keys(patch).length === 0) {
      onClose();
      return;
    }
    update.mutate({ issuerId, id: method.id, patch: patch as never, ifMatch: etag });
  }

  return (
    <form onSubmit={submit} noValidate className="space-y-5" aria-label={`Edit ${method.name}`}>
      {conflict ? (
        <Alert tone="amber">
          <span className="font-medium">Changed elsewhere — reload.</span> This method was saved after you started
          editing; your changes were not applied.{" "}
          <button type="button" className="font-medium underline" onClick={() => void onReload()}>
            Reload
          </button>
        </Alert>
      ) : errors && (unplaced?.length || Object.keys(errors.fields).length === 0) ? (
        <Alert>{errors.message}</Alert>
      ) : null}
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Name" error={errors?.fields.name} help="Unique within this issuer.">
          {(a11y) => (
            <TextInput
              {...a11y}
              name="name"
              value={String(values.name)}
              onChange={(e) => set("name")(e.target.value)}
            />
          )}
        </Field>
        <ReadOnlySetting label="Type" value={form.title} />
        <ReadOnlySetting label="First factor only" value={method.first_factor_only ? "yes" : "no"} />
      </div>
      {form.fields.length > 0 && (
        <fieldset className="grid gap-4 border-t border-slate-200 pt-4 sm:grid-cols-2">
          <legend className="sr-only">Settings</legend>
          {form.fields.map((field) => (
            <div key={field.key} className={field.kind === "multiline" ? "sm:col-span-2" : undefined}>
              {fixed.has(field.key) ? (
                <ReadOnlySetting
                  label={label(field.key)}
                  value={field.secret ? undefined : display(settings[field.key])}
                  secretSet={field.secret ? secretsSet.includes(field.key) : undefined}
                />
              ) : (
                <SettingField
                  field={field}
                  value={values[field.key] ?? ""}
                  onChange={set(field.key)}
                  error={errors?.fields[`settings.${field.key}`]}
                  secretSet={field.secret && secretsSet.includes(field.key)}
                />
              )}
            </div>
          ))}
        </fieldset>
      )}
      <div className="flex justify-end gap-3">
        <Button type="button" variant="secondary" onClick={onClose}>
          Cancel
        </Button>
        <Button type="submit" busy={update.isPending}>
          Save changes
        </Button>
      </div>
    </form>
  );
}

/** A value fixed at creation: shown, not editable; a secret shows only whether it is set. */
function ReadOnlySetting({ label, value, secretSet }: { label: string; value?: string; secretSet?: boolean }) {
  return (
    <Field
      label={label}
      help="Fixed at creation: delete the method and add a new one to change it."
      adornment={<Badge tone="slate">fixed</Badge>}
    >
      {(a11y) =>
        secretSet === undefined ? (
          <TextInput
            {...a11y}
            value={value ?? ""}
            readOnly
            aria-readonly="true"
            className="bg-slate-50 text-slate-600"
          />
        ) : (
          <p id={a11y.id} aria-describedby={a11y["aria-describedby"]}>
            {secretSet ? <Badge tone="green">set</Badge> : <Badge tone="amber">not set</Badge>}
          </p>
        )
      }
    </Field>
  );
}

function SettingField({
  field,
  value,
  onChange,
  error,
  secretSet = false,
}: {
  field: AuthMethodFormField;
  value: string | boolean;
  onChange: (value: string | boolean) => void;
  error: string | undefined;
  /** Editing a method whose secret is stored: empty keeps it. */
  secretSet?: boolean;
}) {
  const title = `${label(field.key)}${field.required ? " (required)" : ""}`;
  if (field.kind === "boolean") {
    return <Switch label={label(field.key)} checked={value === true} onCheckedChange={onChange} />;
  }
  const help = field.secret
    ? secretSet
      ? "Set. Write-only: leave empty to keep the stored value."
      : "Write-only: stored encrypted and never shown again."
    : [
        field.description,
        field.default !== undefined && field.default !== null ? `Default: ${display(field.default)}` : "",
      ]
        .filter(Boolean)
        .join(" ");
  return (
    <Field
      label={title}
      error={error}
      help={help || undefined}
      adornment={secretSet ? <Badge tone="green">set</Badge> : undefined}
    >
      {(a11y) =>
        field.kind === "choice" ? (
          <Select {...a11y} name={field.key} value={String(value)} onChange={(e) => onChange(e.target.value)}>
            <option value="">{field.required ? "Choose…" : "Default"}</option>
            {field.options?.map((option) => (
              <option key={String(option)} value={String(option)}>
                {String(option)}
              </option>
            ))}
          </Select>
        ) : field.kind === "multiline" ? (
          <TextArea
            {...a11y}
            name={field.key}
            rows={5}
            className="font-mono text-xs"
            autoComplete="off"
            spellCheck={false}
            value={String(value)}
            onChange={(e) => onChange(e.target.value)}
          />
        ) : (
          <TextInput
            {...a11y}
            name={field.key}
            type={field.secret ? "password" : "text"}
            autoComplete={field.secret ? "new-password" : "off"}
            inputMode={field.kind === "number" ? "numeric" : undefined}
            placeholder={field.kind === "list" ? "space- or comma-separated" : undefined}
            value={String(value)}
            onChange={(e) => onChange(e.target.value)}
          />
        )
      }
    </Field>
  );
}

function AddMethod({ issuerId, forms }: { issuerId: string; forms: AuthMethodForm[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [type, setType] = useState(forms[0]?.method ?? "password");
  const form = forms.find((f) => f.method === type) ?? forms[0];
  const [values, setValues] = useState<Values>(() => (form ? createValues(form) : {}));
  const create = useMutation(
    trpc.authMethods.create.mutationOptions({
      onSuccess: () => {
        if (form) setValues(createValues(form));
        void queryClient.invalidateQueries({ queryKey: trpc.authMethods.list.queryKey({ issuerId }) });
      },
    }),
  );
  if (!form) return null;
  const errors: FieldErrors | undefined = create.error ? describeError(create.error, "body") : undefined;
  const fieldError = (param: string) => errors?.fields[param];
  const set = (key: string) => (value: string | boolean) => setValues((v) => ({ ...v, [key]: value }));
  const shown = new Set(["name", ...form.fields.map((f) => `settings.${f.key}`)]);
  const unplaced = errors && Object.keys(errors.fields).filter((p) => !shown.has(p));

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!form) return;
    const body = {
      name: values.name,
      method: form.method,
      first_factor_only: values.first_factor_only,
      enabled_login: values.enabled_login,
      enabled_signup: values.enabled_signup,
      featured: values.featured,
      settings: createSettings(form, values),
    };
    create.mutate({ issuerId, body: body as never });
  }

  return (
    <Card title="Add a method" description="Pick a type; the form shows the settings that type takes.">
      <form onSubmit={submit} noValidate className="space-y-5" aria-label="Add auth method">
        <div className="grid gap-4 sm:grid-cols-2">
          <Field label="Type">
            {(a11y) => (
              <Select
                {...a11y}
                name="method"
                value={form.method}
                onChange={(e) => {
                  const next = forms.find((f) => f.method === e.target.value);
                  if (!next) return;
                  setType(next.method);
                  setValues(createValues(next));
                  create.reset();
                }}
              >
                {forms.map((f) => (
                  <option key={f.method} value={f.method}>
                    {f.title}
                    {f.singleton ? " (one per issuer)" : ""}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          <Field label="Name" error={fieldError("name")} help="Unique within this issuer.">
            {(a11y) => (
              <TextInput
                {...a11y}
                name="name"
                value={String(values.name)}
                onChange={(e) => set("name")(e.target.value)}
              />
            )}
          </Field>
        </div>
        <div className="flex flex-wrap gap-x-6 gap-y-3">
          <Switch
            label="Enabled for sign-in"
            checked={values.enabled_login === true}
            onCheckedChange={set("enabled_login")}
          />
          <Switch
            label="Enabled for sign-up"
            checked={values.enabled_signup === true}
            onCheckedChange={set("enabled_signup")}
          />
          <Switch label="Featured" checked={values.featured === true} onCheckedChange={set("featured")} />
          {form.first_factor_only === null && (
            <Switch
              label="First factor only"
              checked={values.first_factor_only === true}
              onCheckedChange={set("first_factor_only")}
            />
          )}
        </div>
        {form.fields.length > 0 && (
          <fieldset className="grid gap-4 border-t border-slate-200 pt-4 sm:grid-cols-2">
            <legend className="sr-only">Settings</legend>
            {form.fields.map((field) => (
              <div
                key={`${form.method}-${field.key}`}
                className={field.kind === "multiline" ? "sm:col-span-2" : undefined}
              >
                <SettingField
                  field={field}
                  value={values[field.key] ?? ""}
                  onChange={set(field.key)}
                  error={fieldError(`settings.${field.key}`)}
                />
              </div>
            ))}
          </fieldset>
        )}
        {errors && (unplaced?.length || Object.keys(errors.fields).length === 0) ? (
          <Alert>{errors.message}</Alert>
        ) : null}
        {create.isSuccess && <Alert tone="green">Added “{create.data.value.name}”.</Alert>}
        <div className="flex justify-end">
          <Button type="submit" busy={create.isPending}>
            Add method
          </Button>
        </div>
      </form>
    </Card>
  );
}
