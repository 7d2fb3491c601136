import { parsed } from "@authpi/server/testing/bodies";
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

/**
 * Makes every event insert of this account (or those `when` names) fail, as an unavailable audit
 * log would, while `fn` runs.
 */
async function refusingEvents<T>(
  name: string,
  fn: () => Promise<T>,
  when = `NEW.account_id = '${api.account.accountId}'`,
): Promise<T> {
  const refuse = `audit_test_refuse_${name}_${process.pid}`;
  await api.db.pool.query(
    `CREATE OR REPLACE FUNCTION ${refuse}() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN RAISE EXCEPTION 'audit log unavailable'; END $$`,
  );
  await api.db.pool.query(
    `CREATE TRIGGER ${refuse} BEFORE INSERT ON audit_events FOR EACH ROW
     WHEN (${when}) EXECUTE FUNCTION ${refuse}()`,
  );
  try {
    return await fn();
  } finally {
    await api.db.pool.query(`DROP TRIGGER IF EXISTS ${refuse} ON audit_events`);
    await api.db.pool.query(`DROP FUNCTION IF EXISTS ${refuse}()`);
  }
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
  await refusingEvents("user", async () => {
    const deleted = await api.request("DELETE", `/issuers/${issuerId}/users/${user.body.id}`);
    expect(deleted.status).toBe(500);
    expect(deleted.text).not.toContain("audit log unavailable");
    await expect(api.services.users.delete(api.account.accountId, issuerId, user.body.id)).rejects.toThrow();
    await expect(
      api.services.clients.create(
        api.account.accountId,
        issuerId,
        parsed.client({
          name: "Never",
          application_type: "spa",
          redirect_uris: ["https://x.example.com/cb"],
        }),
      ),
    ).rejects.toThrow();
  });
  expect((await api.request("GET", `/issuers/${issuerId}/users/${user.body.id}`)).status).toBe(200);
  expect(await api.db.client.count({ where: { issuerId, name: "Never" } })).toBe(0);
});

test("a change whose event cannot be written is not made either (every door, and the CLI's services)", async () => {
  const created = await api.request("POST", "/issuers", { body: { name: "Unchanged" } });
  const id = created.body.id as string;
  await refusingEvents("issuer", async () => {
    const patch = await api.request("PATCH", `/issuers/${id}`, { body: { name: "Changed" } });
    expect(patch.status).toBe(500);
    expect(patch.text).not.toContain("audit log unavailable");
    await expect(api.services.issuers.delete(api.account.accountId, id)).rejects.toThrow();
    await expect(
      api.services.issuers.create(api.account.accountId, parsed.issuer({ name: "Never" })),
    ).rejects.toThrow();
  });
  const issuer = await api.request("GET", `/issuers/${id}`);
  expect(issuer.body).toMatchObject({ name: "Unchanged", status: "active" });
  expect(await api.db.issuer.count({ where: { accountId: api.account.accountId, name: "Never" } })).toBe(0);
});

test("an operator sign-in whose event cannot be written leaves no session; a sign-in writes one session and one event", async () => {
  const operator = await api.db.adminUser.findFirstOrThrow({ where: { accountId: api.account.accountId } });
  const sessions = () => api.db.adminSession.count({ where: { adminUserId: operator.id } });
  const signedIn = () =>
    api.db.auditEvent.count({ where: { accountId: api.account.accountId, type: "operator.signed_in" } });
  const credentials = { email: api.account.adminEmail, password: api.account.adminPassword };
  const [sessionsBefore, eventsBefore] = [await sessions(), await signedIn()];
  await refusingEvents("sign_in", async () => {
    await expect(api.services.adminAuth.signIn(credentials)).rejects.toThrow();
  });
  expect([await sessions(), await signedIn()]).toEqual([sessionsBefore, eventsBefore]);

  const { operator: view } = await api.services.adminAuth.signIn(credentials);
  expect([await sessions(), await signedIn()]).toEqual([sessionsBefore + 1, eventsBefore + 1]);
  const [event] = await api.db.auditEvent.findMany({
    where: { accountId: api.account.accountId, type: "operator.signed_in" },
    orderBy: { id: "desc" },
    take: 1,
  });
  expect(event).toMatchObject({ actorType: "operator", actorId: view.id, resourceId: view.id, issuerId: null });
});

test("a signing key rotation whose event cannot be written keeps the keys as they were; a rotation writes one event", async () => {
  const issuerId = (await api.request("POST", "/issuers", { body: { name: "Refused rotation" } })).body.id as string;
  const keys = async () =>
    (await api.db.oidcSigningKey.findMany({ where: { issuerId }, orderBy: { id: "asc" } })).map((k) => [
      k.id,
      k.status,
    ]);
  const path = `/issuers/${issuerId}/signing-keys`;
  expect((await api.request("GET", path)).status).toBe(200);
  const before = await keys();
  expect(before).toHaveLength(1);
  await refusingEvents("rotation", async () => {
    const rotated = await api.request("POST", `${path}/rotate`, { body: {} });
    expect(rotated.status).toBe(500);
    expect(rotated.text).not.toContain("audit log unavailable");
  });
  expect(await keys()).toEqual(before);
  expect(await eventsOf(issuerId)).toHaveLength(1); // issuer.created only

  const rotated = await api.request("POST", `${path}/rotate`, { body: {} });
  expect(rotated.status).toBe(200);
  const after = await keys();
  expect(after).toHaveLength(2);
  const events = (await eventsOf(issuerId)).filter((e) => e.type === "issuer.signing_key_rotated");
  expect(events).toHaveLength(1);
  expect(events[0]?.changes).toEqual({
    "signing_keys.current": { from: before[0]?.[0], to: after.find(([, status]) => status === "current")?.[0] },
  });
});

test("a bootstrap whose event cannot be written leaves no account, operator or key", async () => {
  const accountName = `Refused bootstrap ${process.pid}`;
  const email = `refused-${process.pid}@example.com`;
  await refusingEvents(
    "bootstrap",
    async () => {
      await expect(
        api.services.accounts.bootstrap({ accountName, email, password: "refused-horse-battery" }),
      ).rejects.toThrow(/audit log unavailable/);
    },
    `NEW.type = 'account.created' AND NEW.changes -> 'name' ->> 'to' = '${accountName}'`,
  );
  expect(await api.db.account.count({ where: { name: accountName } })).toBe(0);
  expect(await api.db.adminUser.count({ where: { email } })).toBe(0);

  const { account_id } = await api.services.accounts.bootstrap({ accountName, email, password: "kept-horse-battery" });
  const events = await api.db.auditEvent.findMany({ where: { accountId: account_id }, orderBy: { id: "asc" } });
  expect(events.map((e) => e.type)).toEqual(["account.created", "api_key.created"]);
});
