import { afterAll, beforeAll, expect, test } from "vitest";
import { type ApiHarness, apiHarness } from "../harness.ts";

// Every client and user write records exactly one event of its type, in its transaction; a
// secret (client secret, password, temporary password) appears only as "[set]", never a value.

let api: ApiHarness;
let issuer: string;
const PASSWORD = "correct horse battery staple";
const NEW_PASSWORD = "another horse battery staple";
/** Every secret a response carried or a request sent, to search events for. */
const secrets: string[] = [PASSWORD, NEW_PASSWORD];

beforeAll(async () => {
  api = await apiHarness();
  const created = await api.request("POST", "/issuers", { body: { name: "Events of clients and users" } });
  issuer = created.body.id;
  for (const [name, method] of [
    ["Password", "password"],
    ["Temporary", "temporary_password"],
  ]) {
    const m = await api.request("POST", `/issuers/${issuer}/auth-methods`, {
      body: { name, method, first_factor_only: true, settings: {} },
    });
    expect(m.status, m.text).toBe(201);
  }
});
afterAll(async () => {
  await api?.close();
});

async function eventsOf(resourceId: string) {
  const res = await api.request("GET", `/events?resource_id=${resourceId}&limit=100`);
  expect(res.status).toBe(200);
  const text = res.text;
  for (const secret of secrets) expect(text).not.toContain(secret);
  // Nor any stored hash (argon2id PHC strings, or the SHA-256 of a client secret).
  expect(text).not.toMatch(/\$argon2id\$/);
  return res.body.data as { type: string; changes: Record<string, { from: unknown; to: unknown }> }[];
}

/** Runs one write and returns the one event it added to the resource. */
async function oneEvent(resourceId: string, write: () => Promise<{ status: number; text: string }>, status: number) {
  const before = (await eventsOf(resourceId)).length;
  const res = await write();
  expect(res.status, res.text).toBe(status);
  const events = await eventsOf(resourceId);
  expect(events).toHaveLength(before + 1);
  return events[0] as (typeof events)[number];
}

test("client create, update, rotate-secret and delete: one event each, the secret only as [set]", async () => {
  const created = await api.request("POST", `/issuers/${issuer}/clients`, {
    body: { name: "Web", application_type: "web", redirect_uris: ["https://app.example.com/cb"] },
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  secrets.push(created.body.client_secret);
  const [createdEvent] = await eventsOf(id);
  expect(createdEvent).toMatchObject({ type: "client.created", resource: { type: "client", id } });
  expect(createdEvent?.changes).toMatchObject({
    name: { from: null, to: "Web" },
    client_secret: { from: null, to: "[set]" },
    client_secret_set: { from: null, to: true },
  });

  const updated = await oneEvent(id, () => api.request("PATCH", `${clientPath(id)}`, { body: { name: "Web 2" } }), 200);
  expect(updated).toMatchObject({ type: "client.updated", changes: { name: { from: "Web", to: "Web 2" } } });
  expect(Object.keys(updated.changes)).toEqual(["name"]);

  let rotatedSecret = "";
  const rotated = await oneEvent(
    id,
    async () => {
      const res = await api.request("POST", `${clientPath(id)}/rotate-secret`, {
        body: { previous_secret_expires_in_seconds: 60 },
      });
      rotatedSecret = res.body.client_secret;
      return res;
    },
    200,
  );
  secrets.push(rotatedSecret);
  expect(rotated.type).toBe("client.secret_rotated");
  expect(rotated.changes.client_secret).toEqual({ from: "[set]", to: "[set]" });
  expect(rotated.changes.previous_secret_expires_at).toMatchObject({ from: null });

  const deleted = await oneEvent(id, () => api.request("DELETE", clientPath(id)), 204);
  expect(deleted.type).toBe("client.deleted");
  expect(deleted.changes.name).toEqual({ from: "Web 2", to: null });
  expect(JSON.stringify(await eventsOf(id))).not.toContain(rotatedSecret);
});

function clientPath(id: string) {
  return `/issuers/${issuer}/clients/${id}`;
}

function userPath(id: string) {
  return `/issuers/${issuer}/users/${id}`;
}

test("user create, update, factor removal, sign-out everywhere, delete: one event each, passwords only as [set]", async () => {
  const created = await api.request("POST", `/issuers/${issuer}/users`, {
    body: { email: "ev@example.com", password: PASSWORD },
  });
  expect(created.status, created.text).toBe(201);
  const id = created.body.id as string;
  const [createdEvent] = await eventsOf(id);
  expect(createdEvent).toMatchObject({ type: "user.created", resource: { type: "user", id } });
  expect(createdEvent?.changes).toMatchObject({
    email: { from: null, to: "ev@example.com" },
    password: { from: null, to: "[set]" },
    password_set: { from: null, to: true },
  });
  expect(createdEvent?.changes).not.toHaveProperty("temporary_password");

  const renamed = await oneEvent(id, () => api.request("PATCH", userPath(id), { body: { name: "Eve" } }), 200);
  expect(renamed).toMatchObject({ type: "user.updated", changes: { name: { from: null, to: "Eve" } } });
  expect(Object.keys(renamed.changes)).toEqual(["name"]);

  const newPassword = await oneEvent(
    id,
    () => api.request("PATCH", userPath(id), { body: { password: NEW_PASSWORD } }),
    200,
  );
  expect(newPassword.type).toBe("user.updated");
  expect(newPassword.changes).toEqual({ password: { from: "[set]", to: "[set]" } });

  let temporary = "";
  const temporaryEvent = await oneEvent(
    id,
    async () => {
      const res = await api.request("PATCH", userPath(id), { body: { temporary_password: true } });
      temporary = res.body.temporary_password;
      return res;
    },
    200,
  );
  secrets.push(temporary);
  expect(temporaryEvent.changes.temporary_password).toEqual({ from: null, to: "[set]" });
  expect(temporaryEvent.changes.temporary_password_expires_at).toMatchObject({ from: null });

  const factorId = "fac_01JDQ3S6A1B2C3D4E5F6G7H8J9";
  await api.db.userFactor.create({
    data: { id: factorId, userId: id, type: "totp", name: "Phone", createdAt: new Date() },
  });
  const factor = await oneEvent(id, () => api.request("DELETE", `${userPath(id)}/factors/${factorId}`), 204);
  expect(factor.type).toBe("user.factor_removed");
  expect(JSON.stringify(factor.changes)).toContain(factorId);

  const sessions = await oneEvent(id, () => api.request("DELETE", `${userPath(id)}/sessions`), 204);
  expect(sessions).toMatchObject({ type: "user.sessions_revoked", changes: {} });

  const blocked = await oneEvent(id, () => api.request("PATCH", userPath(id), { body: { status: "blocked" } }), 200);
  expect(blocked).toMatchObject({ type: "user.updated", changes: { status: { from: "active", to: "blocked" } } });

  const deleted = await oneEvent(id, () => api.request("DELETE", userPath(id)), 204);
  expect(deleted.type).toBe("user.deleted");
  expect(deleted.changes).toMatchObject({
    email: { from: "ev@example.com", to: null },
    password: { from: "[set]", to: null },
  });
});

test("a refused write records nothing (412 on a stale If-Match, 409 on a taken email)", async () => {
  const a = await api.request("POST", `/issuers/${issuer}/users`, { body: { email: "a@example.com" } });
  const b = await api.request("POST", `/issuers/${issuer}/users`, { body: { email: "b@example.com" } });
  const before = (await eventsOf(b.body.id)).length;
  const taken = await api.request("PATCH", userPath(b.body.id), { body: { email: "A@example.com" } });
  expect(taken.status).toBe(409);
  const stale = await api.request("PATCH", userPath(a.body.id), {
    body: { name: "x" },
    headers: { "if-match": '"stale"' },
  });
  expect(stale.status).toBe(412);
  expect(await eventsOf(b.body.id)).toHaveLength(before);
  expect(await eventsOf(a.body.id)).toHaveLength(1);
});
