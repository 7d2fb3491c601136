import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { rename, stat, utimes } from "node:fs/promises";
import path from "node:path";
import { freePort } from "@authpi/db";
import { generateKeyEntry } from "@authpi/server";
import { afterEach, expect, inject, test } from "vitest";

/**
 * `server.mjs`, the one entry: after `pnpm build` it runs the compiled server (no TypeScript
 * loader in the process); when a file the build came from is newer, it says so and runs the
 * sources through tsx. The "listening" line names which. (The web package's `test` script runs
 * after its build, and the files of test/commands one at a time: the README commands test
 * rebuilds dist/.)
 */
const WEB = path.resolve(import.meta.dirname, "../..");
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

async function start(): Promise<{ output: () => string; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ["server.mjs"], {
    cwd: WEB,
    env: {
      ...process.env,
      NODE_ENV: "production",
      PORT: String(port),
      HOST: "127.0.0.1",
      DATABASE_URL: inject("databaseUrl"),
      AUTHPI_ENCRYPTION_KEYS: generateKeyEntry(),
      REDIS_URL: "",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  await expect
    .poll(
      () =>
        fetch(`${url}/healthz`).then(
          (r) => r.status,
          () => 0,
        ),
      { timeout: 45_000, interval: 250 },
    )
    .toBe(200);
  return { output: () => output, url };
}

/** What the "listening" log line says the process runs. */
const code = (output: string) => /"code":"(\w+)"[^\n]*AuthPI listening/.exec(output)?.[1];

test("after pnpm build it runs the compiled server", async () => {
  expect(existsSync(path.join(WEB, "dist/server.mjs"))).toBe(true);
  const server = await start();
  expect(server.output()).not.toContain("changed since `pnpm build`");
  expect(code(server.output())).toBe("compiled");
  expect((await fetch(`${server.url}/v1/accounts/acct_x/issuers`)).status).toBe(401);
}, 60_000);

test("a source changed since the build: it says which and runs the sources instead", async () => {
  const source = path.join(WEB, "src/logger.ts");
  const { atime, mtime } = await stat(source);
  const later = new Date(Date.now() + 60_000);
  await utimes(source, later, later);
  try {
    const server = await start();
    expect(server.output()).toContain("src/logger.ts changed since `pnpm build`: running the TypeScript sources");
    expect(code(server.output())).toBe("sources");
  } finally {
    await utimes(source, atime, mtime);
  }
}, 60_000);

test("without the list of the build's inputs it cannot tell: it runs the sources", async () => {
  const inputs = path.join(WEB, "dist/server.inputs.json");
  await rename(inputs, `${inputs}.moved`);
  try {
    const server = await start();
    expect(server.output()).toContain("dist/server.inputs.json is missing or unreadable");
    expect(code(server.output())).toBe("sources");
  } finally {
    await rename(`${inputs}.moved`, inputs);
  }
}, 60_000);
