import { readFileSync } from "node:fs";
import path from "node:path";

/**
 * The Node flags `pnpm start` gives the server (apps/web/package.json's start script), so that
 * the bench starts it the same way; each `${NAME:-default}` is read from the environment, as the
 * shell reads it.
 */
export function startNodeFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  const manifest = JSON.parse(readFileSync(path.join(import.meta.dirname, "../package.json"), "utf8"));
  const flags = /\bexec node (.*?) ?server\.mjs\b/.exec(manifest.scripts.start)?.[1];
  if (flags === undefined)
    throw new Error("apps/web/package.json's start script does not run `exec node … server.mjs`");
  return flags
    .split(/\s+/)
    .filter(Boolean)
    .map((flag) => flag.replace(/\$\{(\w+):-([^}]*)\}/g, (_, name: string, fallback: string) => env[name] || fallback));
}
