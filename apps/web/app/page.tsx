import Link from "next/link";

export default function Home() {
  return (
    <main className="mx-auto flex min-h-screen max-w-2xl flex-col justify-center px-6 py-16">
      <h1 className="text-3xl font-semibold tracking-tight">AuthPI</h1>
      <p className="mt-2 text-slate-600">Identity platform control plane.</p>
      <div className="mt-8 flex gap-3">
        {/* Not prefetched: signed out, the prefetch would cache the redirect to /login. */}
        <Link
          href="/issuers"
          prefetch={false}
          className="inline-flex items-center rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white shadow-sm hover:bg-indigo-500"
        >
          Open the admin console
        </Link>
      </div>
    </main>
  );
}
