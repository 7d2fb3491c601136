import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import type { SchemaEngine } from "@prisma/schema-engine-wasm";
import * as engineBindings from "@prisma/schema-engine-wasm/schema_engine_bg";
import pg from "pg";
import { MIGRATIONS_DIR, migrate } from "./migrate.ts";

export const SCHEMA_FILE = path.resolve(MIGRATIONS_DIR, "../schema.prisma");

let engineClass: Promise<typeof SchemaEngine> | undefined;

/**
 * The package's entry imports its .wasm as an ES module, which Node 20 cannot;
 * this does what that entry does, by hand: instantiate the module against its
 * JS bindings and hand the instance back to them.
 */
function loadSchemaEngine(): Promise<typeof SchemaEngine> {
  engineClass ??= (async () => {
    const bindingsUrl = import.meta.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
    const wasmPath = path.join(path.dirname(fileURLToPath(bindingsUrl)), "schema_engine_bg.wasm");
    const { instance } = await WebAssembly.instantiate(await readFile(wasmPath), {
      "./schema_engine_bg.js": engineBindings as unknown as WebAssembly.ModuleImports,
    });
    const exports = instance.exports as WebAssembly.Exports & { __wbindgen_start(): void };
    engineBindings.__wbg_set_wasm(exports);
    exports.__wbindgen_start();
    return engineBindings.SchemaEngine as typeof SchemaEngine;
  })();
  return engineClass;
}

/**
 * The SQL that creates what prisma/schema.prisma describes, from Prisma's own
 * (WebAssembly) schema engine — the native engine of the CLI cannot be
 * downloaded here. The engine wants a driver adapter even for this direction,
 * which reads nothing from the database: any database of the server will do.
 */
export async function schemaSql(url: string): Promise<string> {
  const schema = await readFile(SCHEMA_FILE, "utf8");
  const Engine = await loadSchemaEngine();
  const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPg({ connectionString: url }));
  const engine = await Engine.new({ datamodels: [[SCHEMA_FILE, schema]] }, () => {}, adapter);
  try {
    const result = await engine.diff({
      from: { tag: "empty" },
      to: { tag: "schemaDatamodel", files: [{ path: SCHEMA_FILE, content: schema }] },
      script: true,
      exitCode: null,
      filters: { externalTables: [], externalEnums: [] },
    });
    return (result.stdout ?? "").replace(/-- CreateSchema\nCREATE SCHEMA IF NOT EXISTS "public";\n\n/, "");
  } finally {
    engine.free();
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Every column, index and constraint of the public schema, as comparable lines. */
async function describe(url: string): Promise<Map<string, string>> {
  return withClient(url, async (client) => {
    const objects = new Map<string, string>();
    const columns = await client.query<Record<string, string>>(`
      SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default,
             character_maximum_length, datetime_precision
      FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`);
    for (const c of columns.rows) {
      objects.set(
        `column ${c.table_name}.${c.column_name}`,
        `${c.udt_name}(${c.character_maximum_length ?? c.datetime_precision ?? ""}) ${c.is_nullable === "YES" ? "NULL" : "NOT NULL"} DEFAULT ${c.column_default ?? "-"}`,
      );
    }
    const indexes = await client.query<{ indexname: string; indexdef: string }>(`
      SELECT indexname, indexdef FROM pg_indexes
      WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`);
    for (const i of indexes.rows) objects.set(`index ${i.indexname}`, i.indexdef);
    const constraints = await client.query<{ conname: string; relname: string; def: string }>(`
      SELECT c.conname, t.relname, pg_get_constraintdef(c.oid) AS def
      FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = 'public' AND t.relname <> '_prisma_migrations'`);
    for (const c of constraints.rows) objects.set(`constraint ${c.relname}.${c.conname}`, c.def);
    return objects;
  });
}

export interface SchemaDrift {
  /** In schema.prisma but not (or not so) in the migrations: a migration is missing. */
  missing: string[];
  /** Built by the migrations but not described by schema.prisma. */
  extra: string[];
}

/**
 * Builds one scratch database from prisma/migrations and one from schema.prisma
 * (on the server of `serverUrl`, dropped after), and compares their catalogs.
 */
export async function compareMigrationsToSchema(serverUrl: string): Promise<SchemaDrift> {
  const suffix = randomBytes(4).toString("hex");
  const fromMigrations = `authpi_drift_m_${suffix}`;
  const fromSchema = `authpi_drift_s_${suffix}`;
  const admin = withDatabase(serverUrl, "postgres");
  await withClient(admin, async (c) => {
    await c.query(`CREATE DATABASE "${fromMigrations}"`);
    await c.query(`CREATE DATABASE "${fromSchema}"`);
  });
  try {
    await migrate(withDatabase(serverUrl, fromMigrations));
    const sql = await schemaSql(withDatabase(serverUrl, fromSchema));
    await withClient(withDatabase(serverUrl, fromSchema), (c) => c.query(sql));
    const [migrated, described] = await Promise.all([
      describe(withDatabase(serverUrl, fromMigrations)),
      describe(withDatabase(serverUrl, fromSchema)),
    ]);
    const missing: string[] = [];
    const extra: string[] = [];
    for (const [key, def] of described) {
      const actual = migrated.get(key);
      if (actual === undefined) missing.push(`${key}: ${def}`);
      else if (actual !== def) missing.push(`${key}: schema has ${def}; migrations have ${actual}`);
    }
    for (const [key, def] of migrated) if (!described.has(key)) extra.push(`${key}: ${def}`);
    return { missing: missing.sort(), extra: extra.sort() };
  } finally {
    await withClient(admin, async (c) => {
      await c.query(`DROP DATABASE IF EXISTS "${fromMigrations}" WITH (FORCE)`);
      await c.query(`DROP DATABASE IF EXISTS "${fromSchema}" WITH (FORCE)`);
    });
  }
}
