import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { freePort, portOpen, useEmbeddedPostgres } from "@authpi/db";
import { afterAll, expect, test } from "vitest";

/**
 * Ctrl-C in a terminal signals the whole foreground process group, and the embedded PostgreSQL is
 * a child in it: it gets the SIGINT too and is usually gone before the server, still draining
 * requests and closing Next.js, asks it to stop. That stop must still end (it once waited forever,
 * and `pnpm dev` hung after "shutting down").
 */
const dataDir = await mkdtemp(path.join(os.tmpdir(), "authpi-embedded-stop-"));
afterAll(() => rm(dataDir, { recursive: true, force: true }));

test("stopping the embedded database ends when Ctrl-C already stopped it", async () => {
  const port = await freePort();
  const database = await useEmbeddedPostgres({ dataDir, port });
  expect(database.owned).toBe(true);

  // The postmaster's pid is the first line of its pid file; SIGINT is the terminal's Ctrl-C.
  const pid = Number((await readFile(path.join(dataDir, "postgres", "postmaster.pid"), "utf8")).split("\n")[0]);
  process.kill(pid, "SIGINT");
  await expect.poll(() => portOpen(port), { timeout: 10_000 }).toBe(false);
  await expect.poll(() => isRunning(pid), { timeout: 10_000 }).toBe(false);

  const stopped = await Promise.race([
    database.stop().then(() => "stopped"),
    new Promise((resolve) => setTimeout(resolve, 5_000, "still waiting after 5 s")),
  ]);
  expect(stopped).toBe("stopped");
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
