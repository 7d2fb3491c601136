import { createDb } from "@authpi/db";
import { createServices, loadEnv } from "@authpi/server";
import { parsed } from "@authpi/server/testing/bodies";
import { provisionTestDatabase } from "@authpi/server/testing/database";
import { expect, inject, test } from "vitest";
import { createAppServer } from "../../src/app-server.ts";
import { createLogger } from "../../src/logger.ts";

test("the server purges expired deleted issuers on its own, and leaves the others", async () => {
  // A database of its own: this purge has no account scope, and must not touch other files' data.
  const database = await provisionTestDatabase(inject("databaseUrl"));
  const db = createDb(database.url);
  let now = Date.parse("2026-01-01T00:00:00.000Z");
  const services = createServices(db, { clock: () => new Date(now), deleteGraceDays: 30 });
  const app = createAppServer({
    env: loadEnv({ AUTHPI_PURGE_INTERVAL_SECONDS: "1" }),
    logger: createLogger({ level: "silent" }),
    services,
  });
  try {
    const { account_id } = await services.accounts.bootstrap({ password: "periodic-purge-123" });
    const expired = await services.issuers.create(account_id, parsed.issuer({ name: "Expired" }));
    const recent = await services.issuers.create(account_id, parsed.issuer({ name: "Recent" }));
    const alive = await services.issuers.create(account_id, parsed.issuer({ name: "Alive" }));
    await services.issuers.delete(account_id, expired.value.id);
    now += 20 * 86_400_000;
    await services.issuers.delete(account_id, recent.value.id);
    now += 11 * 86_400_000; // 31 days after the first deletion, 11 after the second

    await expect.poll(() => db.issuer.count({ where: { id: expired.value.id } }), { timeout: 5_000 }).toBe(0);
    expect(JSON.parse((await services.issuers.get(account_id, recent.value.id)).value.json).status).toBe("deleted");
    expect(JSON.parse((await services.issuers.get(account_id, alive.value.id)).value.json).status).toBe("active");
  } finally {
    await app.shutdown("test");
    await db.$disconnect();
    await database.drop();
  }
});
