"use client";

import type { AppRouter } from "@authpi/trpc";
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { type ReactNode, useState } from "react";

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

function isUnauthorized(error: unknown): boolean {
  return error instanceof TRPCClientError && error.data?.code === "UNAUTHORIZED";
}

/** A session that expired or was ended elsewhere: back to the login form, then to this page. */
function toLogin(error: unknown): void {
  if (!isUnauthorized(error) || window.location.pathname === "/login") return;
  window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname)}`);
}

function makeQueryClient() {
  return new QueryClient({
    queryCache: new QueryCache({ onError: toLogin }),
    mutationCache: new MutationCache({ onError: toLogin }),
    defaultOptions: {
      queries: {
        staleTime: 5_000,
        retry: (count, error) => !isUnauthorized(error) && !(error instanceof TRPCClientError) && count < 2,
      },
    },
  });
}

/** The admin UI's only way to the server: tRPC over `/api/trpc`, the session cookie riding along. */
export function Providers({ children }: { children: ReactNode }) {
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(() => createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: "/api/trpc" })] }));
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}

export interface FieldErrors {
  /** Messages by the contract's `param` (`settings.session.lifetime_seconds`). */
  fields: Record<string, string>;
  message: string;
  code: string | undefined;
}

/**
 * Reads the contract's error fields (`code`, `param`, `details`) out of a failed
 * call. `envelope` is the input key the form's body was sent under (`patch`,
 * `body`): a Zod failure of the input names `patch.name`, the form's field is `name`.
 */
export function describeError(error: unknown, envelope?: string): FieldErrors {
  if (!(error instanceof TRPCClientError)) {
    return { fields: {}, message: "Something went wrong; try again.", code: undefined };
  }
  const domain = error.data?.domain as
    | { code: string; param?: string; details?: { param: string; message: string }[] }
    | null
    | undefined;
  const unwrap = (param: string) =>
    envelope && param.startsWith(`${envelope}.`) ? param.slice(envelope.length + 1) : param;
  const fields: Record<string, string> = {};
  for (const detail of domain?.details ?? []) fields[unwrap(detail.param)] ??= detail.message;
  if (domain?.param && !fields[unwrap(domain.param)]) fields[unwrap(domain.param)] = error.message;
  return { fields, message: error.message, code: domain?.code };
}

export { isUnauthorized };
