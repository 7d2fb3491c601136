"use client";

import type { Issuer } from "@authpi/domain";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { type FormEvent, type ReactNode, useState } from "react";
import {
  Alert,
  Breadcrumb,
  Button,
  Card,
  ConfirmDialog,
  Field,
  formatDate,
  PageHeader,
  Select,
  Spinner,
  StatusBadge,
  Switch,
  TextArea,
  TextInput,
} from "../../../../src/ui/components.tsx";
import { describeError, type FieldErrors, useTRPC } from "../../../../src/ui/trpc.tsx";

/** The form's own state: strings as typed, turned into a patch only on save. */
function draftOf(issuer: Issuer) {
  const s = issuer.settings;
  return {
    name: issuer.name,
    description: issuer.description ?? "",
    status: issuer.status,
    scopes: issuer.available_scopes.join(" "),
    homepage: issuer.links.homepage ?? "",
    privacy_policy: issuer.links.privacy_policy ?? "",
    terms_of_service: issuer.links.terms_of_service ?? "",
    support: issuer.links.support ?? "",
    signupMode: s.signup.mode,
    allowedDomains: s.signup.allowed_email_domains.join(", "),
    requireEmailVerification: s.signup.require_email_verification,
    lifetime: String(s.session.lifetime_seconds),
    idle: s.session.idle_timeout_seconds === null ? "" : String(s.session.idle_timeout_seconds),
    rotation: s.session.refresh_token_rotation,
    reuseDetection: s.session.refresh_token_reuse_detection,
    mfaPolicy: s.mfa.policy,
    rememberDays: String(s.mfa.remember_device_days),
    displayName: s.branding.display_name ?? "",
    logoUrl: s.branding.logo_url ?? "",
    primaryColor: s.branding.primary_color ?? "",
    metadata: Object.entries(issuer.metadata)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n"),
  };
}
type Draft = ReturnType<typeof draftOf>;

// A number field sends a number when it is one, else the text, so the schema's message names the field.
const numberOrText = (value: string): number | string => (/^-?\d+$/.test(value.trim()) ? Number(value) : value);
const orNull = (value: string) => (value.trim() === "" ? null : value.trim());
const list = (value: string, separator: RegExp) =>
  value
    .split(separator)
    .map((v) => v.trim())
    .filter(Boolean);

function patchOf(draft: Draft, issuer: Issuer) {
  const metadata: Record<string, string | null> = {};
  for (const line of draft.metadata.split("\n")) {
    if (!line.trim()) continue;
    const eq = line.indexOf("=");
    metadata[(eq === -1 ? line : line.slice(0, eq)).trim()] = eq === -1 ? "" : line.slice(eq + 1).trim();
  }
  // Metadata is a merge patch: a key that was removed here is sent as null.
  for (const key of Object.keys(issuer.metadata)) if (!(key in metadata)) metadata[key] = null;
  return {
    name: draft.name,
    description: orNull(draft.description),
    status: draft.status === "deleted" ? undefined : draft.status,
    available_scopes: list(draft.scopes, /\s+/),
    links: {
      homepage: orNull(draft.homepage),
      privacy_policy: orNull(draft.privacy_policy),
      terms_of_service: orNull(draft.terms_of_service),
      support: orNull(draft.support),
    },
    settings: {
      signup: {
        mode: draft.signupMode,
        allowed_email_domains: list(draft.allowedDomains, /[\s,]+/),
        require_email_verification: draft.requireEmailVerification,
      },
      session: {
        lifetime_seconds: numberOrText(draft.lifetime),
        idle_timeout_seconds: draft.idle.trim() === "" ? null : numberOrText(draft.idle),
        refresh_token_rotation: draft.rotation,
        refresh_token_reuse_detection: draft.reuseDetection,
      },
      mfa: { policy: draft.mfaPolicy, remember_device_days: numberOrText(draft.rememberDays) },
      branding: {
        display_name: orNull(draft.displayName),
        logo_url: orNull(draft.logoUrl),
        primary_color: orNull(draft.primaryColor),
      },
    },
    metadata,
  };
}

/** The message for a field, also when the schema named an item or a key under it. */
function errorFor(errors: FieldErrors | undefined, param: string): string | undefined {
  if (!errors) return undefined;
  if (errors.fields[param]) return errors.fields[param];
  const nested = Object.keys(errors.fields).find((p) => p.startsWith(`${param}[`) || p.startsWith(`${param}.`));
  return nested ? `${nested}: ${errors.fields[nested]}` : undefined;
}

function Section({ title, description, children }: { title: string; description?: string; children: ReactNode }) {
  return (
    <fieldset className="grid gap-4 border-t border-slate-200 pt-6 first:border-t-0 first:pt-0 md:grid-cols-3">
      <div>
        <legend className="text-sm font-semibold text-slate-900">{title}</legend>
        {description && <p className="mt-1 text-xs text-slate-500">{description}</p>}
      </div>
      <div className="grid gap-4 sm:grid-cols-2 md:col-span-2">{children}</div>
    </fieldset>
  );
}

export default function IssuerPage() {
  const { id } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const issuer = useQuery(trpc.issuers.get.queryOptions({ id }));
  // Outside the keyed editor: a save changes the ETag, which starts a fresh editor.
  const [savedEtag, setSavedEtag] = useState<string | null>(null);

  if (issuer.isLoading) return <Spinner label="Loading issuer…" />;
  if (issuer.error || !issuer.data) {
    return (
      <>
        <Alert>{issuer.error ? describeError(issuer.error).message : "Not found"}</Alert>
        <p className="mt-4">
          <Link href="/issuers" className="text-indigo-600 hover:underline">
            Back to issuers
          </Link>
        </p>
      </>
    );
  }
  // Keyed by ETag: a reload or a save starts the form from the version it will be based on.
  return (
    <IssuerEditor
      key={issuer.data.etag}
      issuer={issuer.data.value}
      etag={issuer.data.etag}
      saved={savedEtag === issuer.data.etag}
      onSaved={setSavedEtag}
    />
  );
}

function IssuerEditor({
  issuer,
  etag,
  saved,
  onSaved,
}: {
  issuer: Issuer;
  etag: string;
  saved: boolean;
  onSaved: (etag: string) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState(() => draftOf(issuer));
  const [dirty, setDirty] = useState(false);
  const set =
    <K extends keyof Draft>(key: K) =>
    (value: Draft[K]) => {
      setDirty(true);
      setDraft((d) => ({ ...d, [key]: value }));
    };
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.issuers.pathKey() });

  const update = useMutation(
    trpc.issuers.update.mutationOptions({
      onSuccess: (data) => {
        onSaved(data.etag);
        queryClient.setQueryData(trpc.issuers.get.queryKey({ id: issuer.id }), data);
        void queryClient.invalidateQueries({ queryKey: trpc.issuers.list.pathKey() });
      },
    }),
  );
  const remove = useMutation(trpc.issuers.delete.mutationOptions({ onSuccess: refresh }));
  const restore = useMutation(trpc.issuers.restore.mutationOptions({ onSuccess: refresh }));
  const errors = update.error ? describeError(update.error, "patch") : undefined;
  const conflict = errors?.code === "precondition_failed";
  const deleted = issuer.status === "deleted";

  function submit(event: FormEvent) {
    event.preventDefault();
    update.mutate({ id: issuer.id, patch: patchOf(draft, issuer), ifMatch: etag });
  }

  const text = (label: string, key: keyof Draft, param: string, help?: string, props: Record<string, unknown> = {}) => (
    <Field label={label} error={errorFor(errors, param)} help={help}>
      {(a11y) => (
        <TextInput
          {...a11y}
          {...props}
          name={param}
          disabled={deleted}
          value={draft[key] as string}
          onChange={(e) => set(key)(e.target.value as never)}
        />
      )}
    </Field>
  );

  return (
    <>
      <Breadcrumb items={[{ label: "Issuers", href: "/issuers" }, { label: issuer.name }]} />
      <PageHeader
        title={issuer.name}
        description={
          <span className="flex flex-wrap items-center gap-2">
            <StatusBadge status={issuer.status} />
            <span className="font-mono text-xs">{issuer.id}</span>
            <span>· updated {formatDate(issuer.updated_at)}</span>
          </span>
        }
        actions={
          deleted ? (
            <Button busy={restore.isPending} onClick={() => restore.mutate({ id: issuer.id, ifMatch: etag })}>
              Restore issuer
            </Button>
          ) : (
            <>
              <Link
                href={`/issuers/${issuer.id}/auth-methods`}
                className="inline-flex items-center rounded-md bg-white px-3 py-2 text-sm font-medium text-slate-900 shadow-sm ring-1 ring-slate-300 ring-inset hover:bg-slate-50"
              >
                Auth methods
              </Link>
              <Link
                href={`/issuers/${issuer.id}/activity`}
                className="inline-flex items-center rounded-md bg-white px-3 py-2 text-sm font-medium text-slate-900 shadow-sm ring-1 ring-slate-300 ring-inset hover:bg-slate-50"
              >
                Activity
              </Link>
              {(["clients", "users"] as const).map((tab) => (
                <Link
                  key={tab}
                  href={`/issuers/${issuer.id}/${tab}`}
                  className="inline-flex items-center rounded-md bg-white px-3 py-2 text-sm font-medium text-slate-900 shadow-sm ring-1 ring-slate-300 ring-inset hover:bg-slate-50"
                >
                  {tab === "clients" ? "Clients" : "Users"}
                </Link>
              ))}
              <ConfirmDialog
                trigger={<Button variant="danger">Delete issuer</Button>}
                title={`Delete ${issuer.name}?`}
                description="The issuer stops working at once. It stays restorable under “Deleted” until its purge date, then it is gone for good with its auth methods."
                confirmLabel="Delete issuer"
                onConfirm={() => remove.mutateAsync({ id: issuer.id, ifMatch: etag })}
              />
            </>
          )
        }
      />
      <div className="space-y-4">
        {deleted && (
          <Alert tone="amber">
            This issuer is deleted. It will be purged after {formatDate(issuer.purge_after)} unless you restore it.
          </Alert>
        )}
        {(remove.error || restore.error) && <Alert>{describeError(remove.error ?? restore.error).message}</Alert>}
        <Card>
          <form onSubmit={submit} noValidate className="space-y-6" aria-label="Issuer settings">
            <Section title="General">
              {text("Name", "name", "name")}
              <Field
                label="Status"
                error={errorFor(errors, "status")}
                help="Disabled and suspended issuers refuse sign-ins."
              >
                {(a11y) => (
                  <Select
                    {...a11y}
                    name="status"
                    disabled={deleted}
                    value={draft.status}
                    onChange={(e) => set("status")(e.target.value as Draft["status"])}
                  >
                    {deleted && <option value="deleted">deleted</option>}
                    <option value="active">active</option>
                    <option value="disabled">disabled</option>
                    <option value="suspended">suspended</option>
                  </Select>
                )}
              </Field>
              <div className="sm:col-span-2">
                <Field
                  label="Description"
                  error={errorFor(errors, "description")}
                  help="Markdown, up to 2000 characters."
                >
                  {(a11y) => (
                    <TextArea
                      {...a11y}
                      name="description"
                      disabled={deleted}
                      value={draft.description}
                      onChange={(e) => set("description")(e.target.value)}
                    />
                  )}
                </Field>
              </div>
              <div className="sm:col-span-2">
                {text("Available scopes", "scopes", "available_scopes", "Space-separated OAuth scope tokens.")}
              </div>
            </Section>
            <Section title="Sign-up" description="Who may create an account.">
              <Field label="Mode" error={errorFor(errors, "settings.signup.mode")}>
                {(a11y) => (
                  <Select
                    {...a11y}
                    disabled={deleted}
                    value={draft.signupMode}
                    onChange={(e) => set("signupMode")(e.target.value as Draft["signupMode"])}
                  >
                    <option value="open">open</option>
                    <option value="invite_only">invite only</option>
                    <option value="closed">closed</option>
                  </Select>
                )}
              </Field>
              {text(
                "Allowed email domains",
                "allowedDomains",
                "settings.signup.allowed_email_domains",
                "Comma-separated; empty allows every domain.",
              )}
              <Switch
                label="Require email verification"
                disabled={deleted}
                checked={draft.requireEmailVerification}
                onCheckedChange={set("requireEmailVerification")}
              />
            </Section>
            <Section title="Sessions">
              {text("Session lifetime (seconds)", "lifetime", "settings.session.lifetime_seconds", "300 to 31536000.", {
                inputMode: "numeric",
              })}
              {text(
                "Idle timeout (seconds)",
                "idle",
                "settings.session.idle_timeout_seconds",
                "Empty for none; at most the lifetime.",
                {
                  inputMode: "numeric",
                },
              )}
              <Switch
                label="Rotate refresh tokens"
                disabled={deleted}
                checked={draft.rotation}
                onCheckedChange={set("rotation")}
              />
              <Switch
                label="Detect refresh token reuse"
                disabled={deleted}
                checked={draft.reuseDetection}
                onCheckedChange={set("reuseDetection")}
              />
            </Section>
            <Section title="Multi-factor authentication">
              <Field label="Policy" error={errorFor(errors, "settings.mfa.policy")}>
                {(a11y) => (
                  <Select
                    {...a11y}
                    disabled={deleted}
                    value={draft.mfaPolicy}
                    onChange={(e) => set("mfaPolicy")(e.target.value as Draft["mfaPolicy"])}
                  >
                    <option value="off">off</option>
                    <option value="optional">optional</option>
                    <option value="required">required</option>
                  </Select>
                )}
              </Field>
              {text("Remember device (days)", "rememberDays", "settings.mfa.remember_device_days", "0 to 365.", {
                inputMode: "numeric",
              })}
            </Section>
            <Section title="Branding">
              {text("Display name", "displayName", "settings.branding.display_name")}
              {text("Logo URL", "logoUrl", "settings.branding.logo_url", "An https URL.")}
              {text("Primary colour", "primaryColor", "settings.branding.primary_color", "#RRGGBB")}
            </Section>
            <Section title="Links" description="Shown on the sign-in pages; https URLs.">
              {text("Homepage", "homepage", "links.homepage")}
              {text("Privacy policy", "privacy_policy", "links.privacy_policy")}
              {text("Terms of service", "terms_of_service", "links.terms_of_service")}
              {text("Support", "support", "links.support")}
            </Section>
            <Section title="Metadata" description="Up to 50 key=value lines for your own use.">
              <div className="sm:col-span-2">
                <Field label="Metadata" error={errorFor(errors, "metadata")} help="One key=value per line.">
                  {(a11y) => (
                    <TextArea
                      {...a11y}
                      name="metadata"
                      className="font-mono"
                      disabled={deleted}
                      value={draft.metadata}
                      onChange={(e) => set("metadata")(e.target.value)}
                    />
                  )}
                </Field>
              </div>
            </Section>
            {conflict && (
              <Alert tone="amber">
                <span className="font-medium">Changed elsewhere — reload.</span> Someone saved this issuer after you
                opened it; your edits were not applied.{" "}
                <button type="button" className="font-medium underline" onClick={() => void refresh()}>
                  Reload
                </button>
              </Alert>
            )}
            {errors && !conflict && (
              <Alert>
                {Object.keys(errors.fields).length > 0
                  ? "Some fields need attention; see the messages above."
                  : errors.message}
              </Alert>
            )}
            {saved && !dirty && <Alert tone="green">Saved.</Alert>}
            {!deleted && (
              <div className="flex justify-end gap-2 border-t border-slate-200 pt-4">
                <Button variant="secondary" onClick={() => setDraft(draftOf(issuer))}>
                  Discard changes
                </Button>
                <Button type="submit" busy={update.isPending}>
                  Save changes
                </Button>
              </div>
            )}
          </form>
        </Card>
      </div>
    </>
  );
}
