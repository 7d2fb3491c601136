import { cp, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { MIGRATIONS_DIR, migrate, readMigrations } from "@authpi/db";
import pg from "pg";
import { expect, inject, test } from "vitest";

const RENAME = "20261201000100_clients_users";

/** `usr_` now names pool users: the migration renames the operators made before it to `op_`. */
test("the clients_users migration renames existing operator ids from usr_ to op_, sessions included", async () => {
  const server = new URL(inject("databaseUrl"));
  const name = `authpi_opids_${Date.now()}`;
  const admin = new pg.Client({ connectionString: server.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  const before = await mkdtemp(path.join(os.tmpdir(), "authpi-migrations-"));
  try {
    for (const m of await readMigrations()) {
      if (m.name >= RENAME) break;
      await cp(path.join(MIGRATIONS_DIR, m.name), path.join(before, m.name), { recursive: true });
    }
    await migrate(url.toString(), before);
    const db = new pg.Client({ connectionString: url.toString() });
    await db.connect();
    try {
      await db.query(`INSERT INTO accounts (id, name) VALUES ('acct_01JDQ3S6A1B2C3D4E5F6G7H8J9', 'A')`);
      await db.query(`INSERT INTO admin_users (id, account_id, email, password_hash)
        VALUES ('usr_01JDQ3S6A1B2C3D4E5F6G7H8J9', 'acct_01JDQ3S6A1B2C3D4E5F6G7H8J9', 'op@example.com', 'x')`);
      await db.query(`INSERT INTO admin_sessions (id, admin_user_id, token_hash, created_at, expires_at)
        VALUES ('ses_01JDQ3S6A1B2C3D4E5F6G7H8J9', 'usr_01JDQ3S6A1B2C3D4E5F6G7H8J9', '\\x00', now(), now())`);
      expect((await migrate(url.toString())).applied).toContain(RENAME);
      const users = await db.query("SELECT id FROM admin_users");
      const sessions = await db.query("SELECT admin_user_id FROM admin_sessions");
      expect(users.rows).toEqual([{ id: "op_01JDQ3S6A1B2C3D4E5F6G7H8J9" }]);
      expect(sessions.rows).toEqual([{ admin_user_id: "op_01JDQ3S6A1B2C3D4E5F6G7H8J9" }]);
    } finally {
      await db.end();
    }
  } finally {
    await rm(before, { recursive: true, force: true });
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}, 60_000);
