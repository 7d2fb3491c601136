"use client";

import { useMutation } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { Alert, Button, Field, TextInput } from "../../src/ui/components.tsx";
import { safeNextPath } from "../../src/ui/safe-next-path.ts";
import { describeError, useTRPC } from "../../src/ui/trpc.tsx";

/**
 * After signing in, a full page load of `next` (same origin only). Not a client
 * navigation: the router's cache was filled while signed out (a prefetched
 * `/issuers` is a redirect to `/login`), and replaying it would leave this page
 * spinning; a fresh load asks the server again with the new cookie.
 */
function goToNext(): void {
  const next = new URLSearchParams(window.location.search).get("next");
  window.location.assign(safeNextPath(next, window.location.origin));
}

export default function LoginPage() {
  const trpc = useTRPC();
  const signIn = useMutation(trpc.auth.signIn.mutationOptions({ onSuccess: goToNext }));
  const error = signIn.error ? describeError(signIn.error) : undefined;

  // Read from the form, not from React state: what was typed before hydration still counts.
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    signIn.mutate({ email: String(data.get("email") ?? ""), password: String(data.get("password") ?? "") });
  }

  return (
    <main className="flex min-h-screen items-center justify-center px-4 py-12">
      <div className="w-full max-w-sm">
        <div className="mb-8 text-center">
          <p className="text-sm font-semibold tracking-wide text-indigo-600 uppercase">AuthPI</p>
          <h1 className="mt-2 text-2xl font-semibold tracking-tight">Sign in to the admin console</h1>
        </div>
        <form
          method="post"
          onSubmit={submit}
          noValidate
          className="space-y-4 rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200"
        >
          {error && !error.fields.email && !error.fields.password && <Alert>{error.message}</Alert>}
          <Field label="Email" error={error?.fields.email}>
            {(props) => <TextInput {...props} type="email" name="email" autoComplete="username" required />}
          </Field>
          <Field label="Password" error={error?.fields.password}>
            {(props) => (
              <TextInput {...props} type="password" name="password" autoComplete="current-password" required />
            )}
          </Field>
          <Button type="submit" className="w-full" busy={signIn.isPending || signIn.isSuccess}>
            Sign in
          </Button>
        </form>
      </div>
    </main>
  );
}
