import { createDb, migrate } from "@authpi/db";
import { createServices } from "@authpi/server";
import { testKeyring } from "@authpi/server/testing";
import { parsed } from "@authpi/server/testing/bodies";
import { provisionTestDatabase } from "@authpi/server/testing/database";
import { expect, inject, test } from "vitest";

const MIGRATION = "20261202001000_audit_events_issuer_id";

// Events written before `audit_events.issuer_id` existed get their issuer from the migration,
// wherever it can still be derived: issuer events from their resource, the events of auth
// methods, clients and users from the row while it exists. Account-level events keep none.
test("the issuer_id migration backfills the events written before it", async () => {
  // A database of its own: the migration is taken back and applied again.
  const database = await provisionTestDatabase(inject("databaseUrl"));
  const db = createDb(database.url, { max: 2 });
  try {
    const services = createServices(db, { keyring: testKeyring() });
    const { account_id: accountId } = await services.accounts.bootstrap({ password: "backfill-horse-battery" });
    const { value: issuer } = await services.issuers.create(accountId, parsed.issuer({ name: "Before the column" }));
    const method = await services.authMethods.create(
      accountId,
      issuer.id,
      parsed.authMethod({
        name: "Codes",
        method: "email_otp",
        first_factor_only: true,
      }),
    );
    const gone = await services.authMethods.create(
      accountId,
      issuer.id,
      parsed.authMethod({
        name: "Passwords",
        method: "password",
        first_factor_only: true,
        settings: {},
      }),
    );
    await services.authMethods.delete(accountId, issuer.id, gone.value.id);
    const client = await services.clients.create(
      accountId,
      issuer.id,
      parsed.client({
        name: "Web",
        application_type: "web",
        redirect_uris: ["https://app.example.com/cb"],
      }),
    );
    const user = await services.users.create(accountId, issuer.id, parsed.user({ email: "ada@example.com" }));
    await services.close();

    // The database as it was before the migration, then the migration.
    await db.pool.query(`ALTER TABLE audit_events DROP COLUMN issuer_id`);
    await db.pool.query(`DELETE FROM "_prisma_migrations" WHERE migration_name = $1`, [MIGRATION]);
    expect((await migrate(database.url)).applied).toEqual([MIGRATION]);

    const { rows } = await db.pool.query<{ resource_id: string; type: string; issuer_id: string | null }>(
      "SELECT resource_id, type, issuer_id FROM audit_events WHERE account_id = $1 ORDER BY id",
      [accountId],
    );
    const issuerOf = Object.fromEntries(rows.map((r) => [`${r.type} ${r.resource_id}`, r.issuer_id]));
    expect(issuerOf).toEqual({
      [`account.created ${accountId}`]: null,
      [`api_key.created ${rows.find((r) => r.type === "api_key.created")?.resource_id}`]: null,
      [`issuer.created ${issuer.id}`]: issuer.id,
      [`auth_method.created ${method.value.id}`]: issuer.id,
      // The method is gone: nothing left to derive its issuer from.
      [`auth_method.created ${gone.value.id}`]: null,
      [`auth_method.deleted ${gone.value.id}`]: null,
      [`client.created ${client.value.id}`]: issuer.id,
      [`user.created ${user.value.id}`]: issuer.id,
    });
    const { rows: indexes } = await db.pool.query(
      "SELECT indexname FROM pg_indexes WHERE tablename = 'audit_events' AND indexname = $1",
      ["audit_events_account_id_issuer_id_id_idx"],
    );
    expect(indexes).toHaveLength(1);
  } finally {
    await db.$disconnect();
    await database.drop();
  }
}, 60_000);
