"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { type ReactNode, useEffect } from "react";
import { Button, cx, Spinner } from "../../src/ui/components.tsx";
import { isUnauthorized, useTRPC } from "../../src/ui/trpc.tsx";

const NAV = [
  { href: "/issuers", label: "Issuers" },
  { href: "/api-keys", label: "API keys" },
  { href: "/activity", label: "Activity" },
];

/** The signed-in shell: navigation, the operator, sign out; an expired session goes to /login. */
export default function AdminLayout({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const me = useQuery(trpc.auth.me.queryOptions());
  const signOut = useMutation(
    trpc.auth.signOut.mutationOptions({
      // A full page load: nothing of the signed-in session stays in memory.
      onSuccess: () => window.location.assign("/login"),
    }),
  );

  useEffect(() => {
    if (me.error && isUnauthorized(me.error)) router.replace(`/login?next=${encodeURIComponent(pathname)}`);
  }, [me.error, router, pathname]);

  return (
    <div className="min-h-screen">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-10 focus:rounded focus:bg-white focus:px-3 focus:py-2"
      >
        Skip to content
      </a>
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-3 px-4 py-3 sm:px-6">
          <div className="flex items-center gap-6">
            <Link href="/issuers" className="text-sm font-bold tracking-wide text-indigo-600 uppercase">
              AuthPI
            </Link>
            <nav aria-label="Main" className="flex gap-1">
              {NAV.map((item) => {
                const active = pathname === item.href || pathname.startsWith(`${item.href}/`);
                return (
                  <Link
                    key={item.href}
                    href={item.href}
                    aria-current={active ? "page" : undefined}
                    className={cx(
                      "rounded-md px-3 py-2 text-sm font-medium",
                      active ? "bg-slate-100 text-slate-900" : "text-slate-600 hover:bg-slate-50 hover:text-slate-900",
                    )}
                  >
                    {item.label}
                  </Link>
                );
              })}
            </nav>
          </div>
          <div className="flex items-center gap-3">
            {me.data ? (
              <span className="hidden text-sm text-slate-600 sm:inline" data-testid="operator-email">
                {me.data.email}
              </span>
            ) : (
              <Spinner />
            )}
            <Button variant="secondary" busy={signOut.isPending} onClick={() => signOut.mutate()}>
              Sign out
            </Button>
          </div>
        </div>
      </header>
      <main id="main" className="mx-auto max-w-6xl px-4 py-8 sm:px-6">
        {me.data ? (
          children
        ) : me.error && !isUnauthorized(me.error) ? (
          <p>Could not load your session.</p>
        ) : (
          <Spinner label="Loading…" />
        )}
      </main>
    </div>
  );
}
