// The one server entry (`pnpm start`, `pnpm dev`, the e2e tests, `pnpm bench`): the server in
// src/server-main.ts. Plain JavaScript, so that production needs no TypeScript at run time: after
// `pnpm build` it runs that server compiled (dist/server.mjs, see scripts/build-server.mjs), with
// no transform hook in the process at all — a loader hook that sees every module Next.js loads
// costs ≈ 130 MB of resident memory. With `--dev`, without a build, or when a source file changed
// since it, it registers tsx and runs the TypeScript sources.
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const dev = process.argv.includes("--dev");
const compiled = path.join(import.meta.dirname, "dist/server.mjs");

/** The build exists and no file it was built from has changed or gone since. */
function compiledIsCurrent() {
  if (!existsSync(compiled)) return false;
  const built = statSync(compiled).mtimeMs;
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(path.join(import.meta.dirname, "dist/server.inputs.json"), "utf8"));
  } catch {
    console.warn("dist/server.inputs.json is missing or unreadable: running the TypeScript sources (run `pnpm build`)");
    return false;
  }
  const changed = inputs.find((file) => !existsSync(file) || statSync(file).mtimeMs > built);
  if (changed === undefined) return true;
  console.warn(`${path.relative(process.cwd(), changed)} changed since \`pnpm build\`: running the TypeScript sources`);
  return false;
}

if (!dev && compiledIsCurrent()) {
  await import(compiled);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("./src/server-main.ts");
}
