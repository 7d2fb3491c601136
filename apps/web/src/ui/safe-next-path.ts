/**
 * Where to go after signing in: `next` when it names a page of this origin,
 * else `fallback`. Checked by resolving `next` against the origin the way the
 * browser will (so `/\evil.example`, a tab or a backslash after the slash,
 * `//evil.example`, `javascript:` and absolute URLs elsewhere all fail), never
 * by its first characters. The answer is the resolved path, query and hash;
 * a path that would itself read as protocol-relative (`//…`) is refused too.
 */
export function safeNextPath(next: string | null | undefined, origin: string, fallback = "/issuers"): string {
  if (!next) return fallback;
  let url: URL;
  try {
    url = new URL(next, origin);
  } catch {
    return fallback;
  }
  if (url.origin !== new URL(origin).origin || url.pathname.startsWith("//")) return fallback;
  return `${url.pathname}${url.search}${url.hash}`;
}
