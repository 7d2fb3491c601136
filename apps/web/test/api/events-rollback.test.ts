import { afterAll, beforeAll, expect, test } from "vitest";
import { type ApiHarness, apiHarness } from "../harness.ts";

// A change whose transaction dies (its database connection killed mid-request, after the
// event was written, while committing) leaves neither the change nor its event.

let api: ApiHarness;
const TRIGGER = `audit_test_stall_${process.pid}`;

beforeAll(async () => {
  api = await apiHarness();
});
afterAll(async () => {
  await unstall();
  await api?.close();
});

/**
 * Makes every COMMIT that carries an event of this account (and only this account) wait:
 * a deferred constraint trigger sleeps at commit time, after the change and its event are written.
 */
async function stallCommits(): Promise<void> {
  await api.db.pool.query(
    `CREATE OR REPLACE FUNCTION ${TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN PERFORM pg_sleep(20); RETURN NULL; END $$`,
  );
  await api.db.pool.query(
    `CREATE CONSTRAINT TRIGGER ${TRIGGER} AFTER INSERT ON audit_events DEFERRABLE INITIALLY DEFERRED
     FOR EACH ROW WHEN (NEW.account_id = '${api.account.accountId}') EXECUTE FUNCTION ${TRIGGER}()`,
  );
}

async function unstall(): Promise<void> {
  await api.db.pool.query(`DROP TRIGGER IF EXISTS ${TRIGGER} ON audit_events`);
  await api.db.pool.query(`DROP FUNCTION IF EXISTS ${TRIGGER}()`);
}

/** Waits for the stalled commit, then kills its connection, as a crashed database would. */
async function killStalledCommit(): Promise<void> {
  await expect
    .poll(
      async () => {
        const { rows } = await api.db.pool.query(
          `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event = 'PgSleep' AND pid <> pg_backend_pid()`,
        );
        return rows.length;
      },
      { timeout: 10_000, interval: 50 },
    )
    .toBe(1);
}

async function eventsOf(resourceId: string) {
  return api.db.auditEvent.findMany({ where: { accountId: api.account.accountId, resourceId } });
}

test("PATCH without a key: the killed transaction keeps neither the rename nor its event", async () => {
  const created = await api.request("POST", "/issuers", { body: { name: "Before" } });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  await stallCommits();
  try {
    const patch = api.request("PATCH", `/issuers/${id}`, { body: { name: "After" } });
    await killStalledCommit();
    expect((await patch).status).toBeGreaterThanOrEqual(500);
  } finally {
    await unstall();
  }
  const issuer = await api.request("GET", `/issuers/${id}`);
  expect(issuer.body.name).toBe("Before");
  expect((await eventsOf(id)).map((e) => e.type)).toEqual(["issuer.created"]);
});

test("POST with an Idempotency-Key: nothing kept, and the retry creates it once with one event", async () => {
  const key = `rollback-${Date.now()}`;
  const name = `Rolled back ${key}`;
  await stallCommits();
  try {
    const post = api.request("POST", "/issuers", { body: { name }, headers: { "idempotency-key": key } });
    await killStalledCommit();
    expect((await post).status).toBeGreaterThanOrEqual(500);
  } finally {
    await unstall();
  }
  expect(await api.db.issuer.count({ where: { accountId: api.account.accountId, name } })).toBe(0);
  const retry = await api.request("POST", "/issuers", { body: { name }, headers: { "idempotency-key": key } });
  expect(retry.status).toBe(201);
  expect(retry.headers.get("idempotent-replayed")).toBeNull();
  expect((await eventsOf(retry.body.id)).map((e) => e.type)).toEqual(["issuer.created"]);
});

test("client POST with an Idempotency-Key: the killed transaction keeps neither client, nor event, nor a stored answer", async () => {
  const issuerId = (await api.request("POST", "/issuers", { body: { name: "Rollback clients" } })).body.id as string;
  const key = `client-rollback-${Date.now()}`;
  const name = `Rolled back ${key}`;
  const body = { name, application_type: "web", redirect_uris: ["https://app.example.com/cb"] };
  const clientsOf = () => api.db.client.findMany({ where: { issuerId, name } });
  await stallCommits();
  try {
    const post = api.request("POST", `/issuers/${issuerId}/clients`, { body, headers: { "idempotency-key": key } });
    await killStalledCommit();
    expect((await post).status).toBeGreaterThanOrEqual(500);
  } finally {
    await unstall();
  }
  expect(await clientsOf()).toEqual([]);
  expect(await api.db.auditEvent.count({ where: { accountId: api.account.accountId, type: "client.created" } })).toBe(
    0,
  );
  // The key's claim (committed before the request's transaction) may remain, but no answer was stored:
  // the retry takes it over and runs the request, it does not replay a failure.
  const keys = await api.db.idempotencyKey.findMany({ where: { accountId: api.account.accountId, key } });
  expect(keys.map((k) => [k.state, k.responseStatus, k.responseBody])).toEqual(
    keys.map(() => ["in_progress", null, null]),
  );
  const retry = await api.request("POST", `/issuers/${issuerId}/clients`, {
    body,
    headers: { "idempotency-key": key },
  });
  expect(retry.status).toBe(201);
  expect(retry.headers.get("idempotent-replayed")).toBeNull();
  expect((await clientsOf()).map((c) => c.id)).toEqual([retry.body.id]);
  expect((await eventsOf(retry.body.id)).map((e) => e.type)).toEqual(["client.created"]);
});

test("a user delete whose event cannot be written keeps the user (REST and the services)", async () => {
  const issuerId = (await api.request("POST", "/issuers", { body: { name: "Refused users" } })).body.id as string;
  const user = await api.request("POST", `/issuers/${issuerId}/users`, { body: { email: "kept@example.com" } });
  expect(user.status).toBe(201);
  const refuse = `audit_test_refuse_user_${process.pid}`;
  await api.db.pool.query(
    `CREATE OR REPLACE FUNCTION ${refuse}() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN RAISE EXCEPTION 'audit log unavailable'; END $$`,
  );
  await api.db.pool.query(
    `CREATE TRIGGER ${refuse} BEFORE INSERT ON audit_events FOR EACH ROW
     WHEN (NEW.account_id = '${api.account.accountId}') EXECUTE FUNCTION ${refuse}()`,
  );
  try {
    const deleted = await api.request("DELETE", `/issuers/${issuerId}/users/${user.body.id}`);
    expect(deleted.status).toBe(500);
    expect(deleted.text).not.toContain("audit log unavailable");
    await expect(api.services.users.delete(api.account.accountId, issuerId, user.body.id)).rejects.toThrow();
    await expect(
      api.services.clients.create(api.account.accountId, issuerId, {
        name: "Never",
        application_type: "spa",
        redirect_uris: ["https://x.example.com/cb"],
      }),
    ).rejects.toThrow();
  } finally {
    await api.db.pool.query(`DROP TRIGGER IF EXISTS ${refuse} ON audit_events`);
    await api.db.pool.query(`DROP FUNCTION IF EXISTS ${refuse}()`);
  }
  expect((await api.request("GET", `/issuers/${issuerId}/users/${user.body.id}`)).status).toBe(200);
  expect(await api.db.client.count({ where: { issuerId, name: "Never" } })).toBe(0);
});

test("a change whose event cannot be written is not made either (every door, and the CLI's services)", async () => {
  const created = await api.request("POST", "/issuers", { body: { name: "Unchanged" } });
  const id = created.body.id as string;
  const refuse = `audit_test_refuse_${process.pid}`;
  await api.db.pool.query(
    `CREATE OR REPLACE FUNCTION ${refuse}() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN RAISE EXCEPTION 'audit log unavailable'; END $$`,
  );
  await api.db.pool.query(
    `CREATE TRIGGER ${refuse} BEFORE INSERT ON audit_events FOR EACH ROW
     WHEN (NEW.account_id = '${api.account.accountId}') EXECUTE FUNCTION ${refuse}()`,
  );
  try {
    const patch = await api.request("PATCH", `/issuers/${id}`, { body: { name: "Changed" } });
    expect(patch.status).toBe(500);
    expect(patch.text).not.toContain("audit log unavailable");
    await expect(api.services.issuers.delete(api.account.accountId, id)).rejects.toThrow();
    await expect(api.services.issuers.create(api.account.accountId, { name: "Never" })).rejects.toThrow();
  } finally {
    await api.db.pool.query(`DROP TRIGGER IF EXISTS ${refuse} ON audit_events`);
    await api.db.pool.query(`DROP FUNCTION IF EXISTS ${refuse}()`);
  }
  const issuer = await api.request("GET", `/issuers/${id}`);
  expect(issuer.body).toMatchObject({ name: "Unchanged", status: "active" });
  expect(await api.db.issuer.count({ where: { accountId: api.account.accountId, name: "Never" } })).toBe(0);
});
