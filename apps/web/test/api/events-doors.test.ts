import { operations } from "@authpi/api";
import { createDb } from "@authpi/db";
import { createServices, loadEnv } from "@authpi/server";
import { provisionTestDatabase } from "@authpi/server/testing/database";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { createAppServer } from "../../src/app-server.ts";
import { createLogger } from "../../src/logger.ts";
import { type TrpcHarness, trpcHarness } from "../trpc-harness.ts";

// The same events whatever the door: tRPC with an operator's session or an API key, the
// operator's sign-in itself, API keys created and revoked; and the server's periodic purge.

let h: TrpcHarness;
let cookie: string;
let operatorId: string;

beforeAll(async () => {
  h = await trpcHarness();
  const signedIn = await h.signIn(h.account.adminEmail, h.account.adminPassword);
  expect(signedIn.status).toBe(200);
  cookie = signedIn.cookie;
  const operator = await h.db.adminUser.findFirstOrThrow({ where: { accountId: h.account.accountId } });
  operatorId = operator.id;
});
afterAll(async () => {
  await h?.close();
});

/**
 * Every mutating operation of the registry and the events it writes (each exercised in
 * events*.test.ts). A new mutating operation fails here until its event is declared
 * (in its write's statement with `withEvent`, or `AUDITED_WRITES` + `audit.record`) and tested.
 */
const EVENTS_OF_MUTATING_OPERATIONS: Record<string, string[]> = {
  createIssuer: ["issuer.created"],
  updateIssuer: ["issuer.updated", "issuer.restored"],
  deleteIssuer: ["issuer.deleted"],
  restoreIssuer: ["issuer.restored"],
  createAuthMethod: ["auth_method.created"],
  updateAuthMethod: ["auth_method.updated"],
  deleteAuthMethod: ["auth_method.deleted"],
  rotateSigningKey: ["issuer.signing_key_rotated"],
  createApiKey: ["api_key.created"],
  revokeApiKey: ["api_key.revoked"],
  createClient: ["client.created"],
  updateClient: ["client.updated"],
  deleteClient: ["client.deleted"],
  rotateClientSecret: ["client.secret_rotated"],
  createUser: ["user.created"],
  updateUser: ["user.updated"],
  deleteUser: ["user.deleted"],
  deleteUserFactor: ["user.factor_removed"],
  deleteUserSessions: ["user.sessions_revoked"],
  signIn: ["operator.signed_in"],
  // Ending a session changes no resource of the account (the contract has no event for it).
  signOut: [],
};

test("every mutating operation of every door is accounted for", () => {
  const mutating = operations.filter((op) => op.method !== "GET").map((op) => op.id);
  expect(mutating.sort()).toEqual(Object.keys(EVENTS_OF_MUTATING_OPERATIONS).sort());
});

const asOperator = () => h.client(() => ({ cookie }));
const asApiKey = () => h.client(() => ({ authorization: `Bearer ${h.account.apiKey}` }));

test("an operator's sign-in is recorded, by that operator", async () => {
  const { data } = await asOperator().events.list.query({ type: "operator.signed_in" });
  expect(data).toHaveLength(1);
  expect(data[0]).toMatchObject({
    actor: { type: "operator", id: operatorId },
    resource: { type: "operator", id: operatorId },
  });
});

test("admin UI (operator session) writes name the operator; the request id comes back as Request-Id", async () => {
  const response = await fetch(`${h.baseUrl}/api/trpc/issuers.create`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie },
    body: JSON.stringify({ body: { name: "From the UI" } }),
  });
  expect(response.status).toBe(200);
  const requestId = response.headers.get("request-id");
  expect(requestId).toMatch(/^req_/);
  const issuerId = (await response.json()).result.data.value.id;

  const client = asOperator();
  await client.issuers.update.mutate({ id: issuerId, patch: { settings: { mfa: { policy: "required" } } } });
  const { data } = await client.events.list.query({ resource_id: issuerId });
  expect(data.map((e) => e.type)).toEqual(["issuer.updated", "issuer.created"]);
  expect(data.every((e) => e.actor.type === "operator" && e.actor.id === operatorId)).toBe(true);
  expect(data[1]?.request_id).toBe(requestId);
  expect(data[0]?.changes).toEqual({ "settings.mfa.policy": { from: "optional", to: "required" } });
});

test("tRPC with an API key names the key; API keys created and revoked are recorded", async () => {
  const key = await h.db.apiKey.findFirstOrThrow({ where: { accountId: h.account.accountId } });
  const client = asApiKey();
  const { value } = await client.issuers.create.mutate({ body: { name: "From a service" } });
  await client.issuers.delete.mutate({ id: value.id });
  await client.issuers.restore.mutate({ id: value.id });
  const { data } = await client.events.list.query({ resource_id: value.id });
  expect(data.map((e) => e.type)).toEqual(["issuer.restored", "issuer.deleted", "issuer.created"]);
  expect(data.every((e) => e.actor.type === "api_key" && e.actor.id === key.id)).toBe(true);

  const operator = asOperator();
  const { api_key: created } = await operator.apiKeys.create.mutate({ name: "CI" });
  const revoked = await operator.apiKeys.revoke.mutate({ id: created.id });
  await operator.apiKeys.revoke.mutate({ id: created.id }); // already revoked: no second event
  const keyEvents = await operator.events.list.query({ resource_id: created.id });
  expect(keyEvents.data.map((e) => e.type)).toEqual(["api_key.revoked", "api_key.created"]);
  expect(keyEvents.data[1]?.changes).toEqual({
    name: { from: null, to: "CI" },
    prefix: { from: null, to: created.prefix },
  });
  expect(keyEvents.data[0]?.changes).toEqual({ revoked_at: { from: null, to: revoked.revoked_at } });
});

test("tRPC: a refused mutation writes no event; the list refuses a foreign cursor", async () => {
  const client = asOperator();
  const before = (await client.events.list.query({ limit: 100 })).data.length;
  await expect(client.issuers.create.mutate({ body: { name: "" } })).rejects.toThrow();
  await expect(client.issuers.update.mutate({ id: "iss_01JDQ3S5M2N3P4Q5R6S7T8V9W0", patch: {} })).rejects.toThrow();
  expect((await client.events.list.query({ limit: 100 })).data.length).toBe(before);
  await expect(client.events.list.query({ cursor: "evt_01JDQ3S5M2N3P4Q5R6S7T8V9W0" })).rejects.toMatchObject({
    data: { domain: { code: "invalid_cursor" } },
  });
});

test("the server's periodic purge removes events older than 90 days and keeps the others", async () => {
  // A database of its own: this purge has no account scope.
  const database = await provisionTestDatabase(inject("databaseUrl"));
  const db = createDb(database.url);
  const services = createServices(db);
  const app = createAppServer({
    env: loadEnv({ AUTHPI_PURGE_INTERVAL_SECONDS: "1" }),
    logger: createLogger({ level: "silent" }),
    services,
  });
  try {
    const { account_id } = await services.accounts.bootstrap({ password: "events-purge-1234" });
    const day = 86_400_000;
    const insert = (id: string, ageDays: number) =>
      db.pool.query(
        `INSERT INTO audit_events (id, account_id, type, actor_type, resource_type, resource_id, changes, created_at)
         VALUES ($1, $2, 'issuer.updated', 'system', 'issuer', 'iss_x', '{}', $3)`,
        [id, account_id, new Date(Date.now() - ageDays * day)],
      );
    await insert("evt_00000000000000000000000001", 91);
    await insert("evt_00000000000000000000000002", 89);
    await expect
      .poll(
        async () => (await db.auditEvent.findMany({ where: { id: { startsWith: "evt_0000" } } })).map((e) => e.id),
        {
          timeout: 5_000,
        },
      )
      .toEqual(["evt_00000000000000000000000002"]);
    // The bootstrap's own events are recent: kept.
    expect(await db.auditEvent.count({ where: { accountId: account_id, type: "account.created" } })).toBe(1);
  } finally {
    await app.shutdown("test");
    await db.$disconnect();
    await database.drop();
  }
});
