import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { createDb } from "@authpi/db";
import { createServices, generateKeyEntry, loadEnv } from "@authpi/server";
import { provisionTestDatabase } from "@authpi/server/testing/database";
import type { FullConfig } from "@playwright/test";

export const STATE_FILE = path.join(import.meta.dirname, "..", "test-results", "e2e-state.json");

async function waitForHealthy(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("server did not become healthy in time");
}

/** Fresh database → production server on it → one bootstrapped operator for the specs. */
export default async function globalSetup(config: FullConfig) {
  const baseURL = String(config.projects[0]?.use.baseURL);
  const port = new URL(baseURL).port;
  const database = await provisionTestDatabase(loadEnv().DATABASE_URL);

  const db = createDb(database.url);
  const services = createServices(db);
  const operatorA = await services.accounts.bootstrap({ password: "e2e-password-A-123", accountName: "Account A" });
  const operatorB = await services.accounts.bootstrap({ password: "e2e-password-B-123", accountName: "Account B" });
  await db.$disconnect();

  const child = spawn(process.execPath, ["server.mjs"], {
    cwd: path.join(import.meta.dirname, ".."),
    env: {
      ...process.env,
      NODE_ENV: "production",
      PORT: port,
      DATABASE_URL: database.url,
      LOG_LEVEL: "warn",
      // Production refuses to start without a key for auth method secrets.
      AUTHPI_ENCRYPTION_KEYS: generateKeyEntry(),
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }
    await database.drop();
  };
  try {
    await waitForHealthy(baseURL, child);
    await mkdir(path.dirname(STATE_FILE), { recursive: true });
    await writeFile(STATE_FILE, JSON.stringify({ baseURL, databaseUrl: database.url, operatorA, operatorB }));
  } catch (error) {
    await stop();
    throw error;
  }
  return stop;
}
