import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type ApiHarness, type ApiResponse, apiHarness } from "../harness.ts";

// Every mutating REST endpoint writes exactly one event (type, actor, request id, changes);
// refused requests and idempotent replays write none; the list is keyset, filtered, tenant-scoped.

let api: ApiHarness;
let other: ApiHarness;
let apiKeyId: string;

const OIDC_SECRET = "oidc-client-secret-do-not-log-7f3a9";

beforeAll(async () => {
  api = await apiHarness();
  other = await apiHarness();
  const key = await api.db.apiKey.findFirstOrThrow({ where: { accountId: api.account.accountId } });
  apiKeyId = key.id;
});
afterAll(async () => {
  await api?.close();
  await other?.close();
});

interface EventBody {
  object: "event";
  id: string;
  type: string;
  actor: { type: string; id: string | null };
  resource: { type: string; id: string };
  request_id: string | null;
  changes: Record<string, { from: unknown; to: unknown }>;
  created_at: string;
}

async function allEvents(h: ApiHarness, query = ""): Promise<EventBody[]> {
  const res = await h.request("GET", `/events?limit=100${query}`);
  expect(res.status).toBe(200);
  return res.body.data;
}

/** Runs `act`, then returns the events it added (newest first). */
async function eventsOf(h: ApiHarness, act: () => Promise<unknown>): Promise<EventBody[]> {
  const before = await allEvents(h);
  await act();
  const after = await allEvents(h);
  const known = new Set(before.map((e) => e.id));
  return after.filter((e) => !known.has(e.id));
}

async function newIssuer(h: ApiHarness, body: Record<string, unknown> = { name: "Audited" }) {
  const res = await h.request("POST", "/issuers", { body });
  expect(res.status).toBe(201);
  return res;
}

describe("one event per change, with actor, request id and changes", () => {
  test("POST /signing-keys/rotate → issuer.signing_key_rotated, naming the old and new key ids", async () => {
    const { body: issuer } = await newIssuer(api);
    const before = await api.request("GET", `/issuers/${issuer.id}/signing-keys`);
    expect(before.status).toBe(200);
    const oldKid = before.body.data.find((key: { status: string }) => key.status === "current").id;
    let res!: ApiResponse;
    const events = await eventsOf(api, async () => {
      res = await api.request("POST", `/issuers/${issuer.id}/signing-keys/rotate`, { body: {} });
    });
    expect(res.status).toBe(200);
    const newKid = res.body.data.find((key: { status: string }) => key.status === "current").id;
    expect(newKid).not.toBe(oldKid);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: "issuer.signing_key_rotated",
      actor: { type: "api_key", id: apiKeyId },
      resource: { type: "issuer", id: issuer.id },
      changes: { "signing_keys.current": { from: oldKid, to: newKid } },
    });
    // The private halves never reach an event.
    expect(JSON.stringify(events)).not.toMatch(/"d"|PRIVATE|v1\./);
  });

  test("POST /issuers → issuer.created, by the API key, with the request id and every field from null", async () => {
    let res!: Awaited<ReturnType<typeof newIssuer>>;
    const events = await eventsOf(api, async () => {
      res = await newIssuer(api, { name: "Created", settings: { mfa: { policy: "required" } } });
    });
    expect(events).toHaveLength(1);
    const [event] = events as [EventBody];
    expect(event).toMatchObject({
      object: "event",
      type: "issuer.created",
      actor: { type: "api_key", id: apiKeyId },
      resource: { type: "issuer", id: res.body.id },
      request_id: res.headers.get("request-id"),
    });
    expect(event.id).toMatch(/^evt_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(event.changes.name).toEqual({ from: null, to: "Created" });
    expect(event.changes["settings.mfa.policy"]).toEqual({ from: null, to: "required" });
    // Bookkeeping is not a change.
    expect(Object.keys(event.changes)).not.toContain("updated_at");
    expect(Object.keys(event.changes)).not.toContain("id");
  });

  test("PATCH → issuer.updated with exactly the changed dotted paths, before and after", async () => {
    const { body: issuer } = await newIssuer(api);
    let res!: { headers: Headers };
    const events = await eventsOf(api, async () => {
      res = await api.request("PATCH", `/issuers/${issuer.id}`, {
        body: { settings: { session: { lifetime_seconds: 86400 } }, metadata: { team: "core" } },
      });
    });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: "issuer.updated",
      resource: { type: "issuer", id: issuer.id },
      request_id: res.headers.get("request-id"),
      changes: {
        "settings.session.lifetime_seconds": { from: 1209600, to: 86400 },
        "metadata.team": { from: null, to: "core" },
      },
    });
    expect(Object.keys(events[0]?.changes ?? {})).toHaveLength(2);
  });

  test("DELETE → issuer.deleted; PATCH status active → issuer.restored", async () => {
    const { body: issuer } = await newIssuer(api);
    const deleted = await eventsOf(api, () => api.request("DELETE", `/issuers/${issuer.id}`));
    expect(deleted).toHaveLength(1);
    expect(deleted[0]).toMatchObject({
      type: "issuer.deleted",
      resource: { id: issuer.id },
      changes: { status: { from: "active", to: "deleted" } },
    });
    expect(deleted[0]?.changes.purge_after?.to).toEqual(expect.any(String));

    const restored = await eventsOf(api, () =>
      api.request("PATCH", `/issuers/${issuer.id}`, { body: { status: "active" } }),
    );
    expect(restored).toHaveLength(1);
    expect(restored[0]).toMatchObject({
      type: "issuer.restored",
      changes: { status: { from: "deleted", to: "active" }, deleted_at: { to: null }, purge_after: { to: null } },
    });
  });

  test("auth methods: created, updated, deleted; the secret appears only as [set]", async () => {
    const { body: issuer } = await newIssuer(api);
    let methodId = "";
    const created = await eventsOf(api, async () => {
      const res = await api.request("POST", `/issuers/${issuer.id}/auth-methods`, {
        body: {
          name: "Google",
          method: "oidc",
          first_factor_only: true,
          settings: { issuer_url: "https://accounts.google.com", client_id: "cid-1", client_secret: OIDC_SECRET },
        },
      });
      expect(res.status).toBe(201);
      methodId = res.body.id;
    });
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({
      type: "auth_method.created",
      resource: { type: "auth_method", id: methodId },
      changes: {
        name: { from: null, to: "Google" },
        "settings.client_id": { from: null, to: "cid-1" },
        "settings.client_secret": { from: null, to: "[set]" },
      },
    });

    const updated = await eventsOf(api, () =>
      api.request("PATCH", `/issuers/${issuer.id}/auth-methods/${methodId}`, {
        body: { featured: true, settings: { scopes: ["openid"] } },
      }),
    );
    expect(updated).toHaveLength(1);
    expect(updated[0]?.type).toBe("auth_method.updated");
    expect(updated[0]?.changes).toEqual({
      featured: { from: false, to: true },
      "settings.scopes": { from: ["openid", "profile", "email"], to: ["openid"] },
    });

    const deleted = await eventsOf(api, () => api.request("DELETE", `/issuers/${issuer.id}/auth-methods/${methodId}`));
    expect(deleted).toHaveLength(1);
    expect(deleted[0]).toMatchObject({
      type: "auth_method.deleted",
      changes: { "settings.client_secret": { from: "[set]", to: null }, name: { from: "Google", to: null } },
    });
  });

  test("an issuer whose grace period passed is purged by the system: issuer.purged", async () => {
    const { body: issuer } = await newIssuer(api);
    expect((await api.request("DELETE", `/issuers/${issuer.id}`)).status).toBe(204);
    const events = await eventsOf(api, () =>
      api.services.issuers.purgeExpired(new Date(Date.now() + 31 * 86_400_000), { accountId: api.account.accountId }),
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: "issuer.purged",
      actor: { type: "system", id: null },
      resource: { id: issuer.id },
      request_id: null,
    });
  });

  test("the CLI's bootstrap records the account and its first key as the system", async () => {
    const events = await allEvents(api, `&actor_id=`);
    expect(events).toEqual([]); // an empty actor_id matches no actor
    const all = await allEvents(api);
    const boot = all.filter((e) => e.actor.type === "system" && e.type !== "issuer.purged");
    expect(boot.map((e) => e.type).sort()).toEqual(["account.created", "api_key.created"]);
    expect(boot.find((e) => e.type === "api_key.created")?.resource.id).toBe(apiKeyId);
  });
});

describe("what writes no event", () => {
  test("refused requests (400, 404, 409, 412, 422) write none", async () => {
    const { body: issuer, headers } = await newIssuer(api);
    const events = await eventsOf(api, async () => {
      const answers = await Promise.all([
        api.request("PATCH", `/issuers/${issuer.id}`, { body: { settings: { session: { lifetime_seconds: 1 } } } }),
        api.request("PATCH", `/issuers/${issuer.id}`, { body: { status: "deleted" } }),
        api.request("PATCH", `/issuers/${issuer.id}`, { body: { name: "x" }, headers: { "if-match": '"stale"' } }),
        api.request("DELETE", `/issuers/iss_01JDQ3S5M2N3P4Q5R6S7T8V9W0`),
        api.request("POST", "/issuers", { body: { name: "" } }),
        api.request("POST", `/issuers/${issuer.id}/auth-methods`, {
          body: { name: "P", method: "passkey", first_factor_only: false, settings: {} },
        }),
      ]);
      expect(answers.map((a) => a.status)).toEqual([400, 422, 412, 404, 400, 400]);
      expect(headers.get("etag")).toBeTruthy();
    });
    expect(events).toEqual([]);
  });

  test("a 409 refused after the write would have started (duplicate auth method name) writes none", async () => {
    const { body: issuer } = await newIssuer(api);
    const body = { name: "Passkeys", method: "passkey", first_factor_only: false, settings: { rp_id: "example.com" } };
    expect((await api.request("POST", `/issuers/${issuer.id}/auth-methods`, { body })).status).toBe(201);
    const events = await eventsOf(api, async () => {
      const res = await api.request("POST", `/issuers/${issuer.id}/auth-methods`, { body });
      expect(res.status).toBe(409);
    });
    expect(events).toEqual([]);
  });

  test("an idempotent replay writes no second event; a 4xx under a key writes none", async () => {
    const key = `evt-${Date.now()}-${Math.random()}`;
    const body = { name: `Idempotent ${key}` };
    const events = await eventsOf(api, async () => {
      const first = await api.request("POST", "/issuers", { body, headers: { "idempotency-key": key } });
      const replay = await api.request("POST", "/issuers", { body, headers: { "idempotency-key": key } });
      expect(first.status).toBe(201);
      expect(replay.headers.get("idempotent-replayed")).toBe("true");
      const refused = await api.request("POST", "/issuers", {
        body: { name: "" },
        headers: { "idempotency-key": `${key}-bad` },
      });
      expect(refused.status).toBe(400);
    });
    expect(events.map((e) => e.type)).toEqual(["issuer.created"]);
    expect(events[0]?.changes.name?.to).toBe(body.name);
  });

  test("the event is written inside the idempotent request's transaction (same request id)", async () => {
    const { body: issuer } = await newIssuer(api);
    let requestId: string | null = null;
    const events = await eventsOf(api, async () => {
      const res = await api.request("PATCH", `/issuers/${issuer.id}`, {
        body: { name: "Renamed under a key" },
        headers: { "idempotency-key": `patch-${Date.now()}-${Math.random()}` },
      });
      expect(res.status).toBe(200);
      requestId = res.headers.get("request-id");
    });
    expect(events).toHaveLength(1);
    expect(events[0]?.request_id).toBe(requestId);
  });
});

describe("GET /events", () => {
  test("keyset pages newest first, with next_cursor, covering every event once", async () => {
    for (let i = 0; i < 5; i++) await newIssuer(api, { name: `Paged ${i}` });
    const all = await allEvents(api);
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const res: ApiResponse = await api.request("GET", `/events?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      ids.push(...res.body.data.map((e: EventBody) => e.id));
      cursor = res.body.next_cursor;
      expect(res.body.has_more).toBe(cursor !== null);
    } while (cursor);
    expect(ids).toEqual(all.map((e) => e.id));
    expect([...ids].sort().reverse()).toEqual(ids);
  });

  test("filters: resource_id, type, actor_id (and together)", async () => {
    const { body: issuer } = await newIssuer(api);
    await api.request("PATCH", `/issuers/${issuer.id}`, { body: { name: "Filtered 2" } });
    const byResource = await allEvents(api, `&resource_id=${issuer.id}`);
    expect(byResource.map((e) => e.type)).toEqual(["issuer.updated", "issuer.created"]);
    const byType = await allEvents(api, "&type=issuer.updated");
    expect(byType.length).toBeGreaterThan(0);
    expect(byType.every((e) => e.type === "issuer.updated")).toBe(true);
    const byActor = await allEvents(api, `&actor_id=${apiKeyId}`);
    expect(byActor.every((e) => e.actor.id === apiKeyId)).toBe(true);
    expect(byActor.length).toBeGreaterThan(byResource.length);
    const both = await allEvents(api, `&resource_id=${issuer.id}&type=issuer.created&actor_id=${apiKeyId}`);
    expect(both.map((e) => e.resource.id)).toEqual([issuer.id]);
  });

  test("bad input: 400 with the param", async () => {
    const cases: [string, string, string][] = [
      ["/events?limit=0", "validation_failed", "limit"],
      ["/events?limit=101", "validation_failed", "limit"],
      ["/events?type=issuer.exploded", "validation_failed", "type"],
      ["/events?colour=red", "validation_failed", "colour"],
      ["/events?cursor=nonsense", "invalid_cursor", "cursor"],
      ["/events?cursor=evt_01JDQ3S5M2N3P4Q5R6S7T8V9W0", "invalid_cursor", "cursor"],
    ];
    for (const [path, code, param] of cases) {
      const res = await api.request("GET", path);
      expect(res.status, path).toBe(400);
      expect(res.body.error, path).toMatchObject({ code, param });
    }
  });

  test("tenancy: account B never sees account A's events, by list, filter or cursor", async () => {
    const { body: issuer } = await newIssuer(api, { name: "A only" });
    const aEvents = await allEvents(api);
    const bEvents = await allEvents(other);
    const aIds = new Set(aEvents.map((e) => e.id));
    expect(bEvents.some((e) => aIds.has(e.id))).toBe(false);
    expect(await allEvents(other, `&resource_id=${issuer.id}`)).toEqual([]);
    expect(await allEvents(other, `&actor_id=${apiKeyId}`)).toEqual([]);
    const cursor = await other.request("GET", `/events?cursor=${aEvents[0]?.id}`);
    expect(cursor.status).toBe(400);
    expect(cursor.body.error.code).toBe("invalid_cursor");
    // B's key on A's path: 403.
    const forbidden = await other.request("GET", `/v1/accounts/${api.account.accountId}/events`);
    expect(forbidden.status).toBe(403);
    const anonymous = await api.request("GET", "/events", { apiKey: null });
    expect(anonymous.status).toBe(401);
  });
});

describe("secrets", () => {
  test("no secret value, hash or ciphertext appears in any event", async () => {
    const { body: issuer } = await newIssuer(api);
    await api.request("POST", `/issuers/${issuer.id}/auth-methods`, {
      body: {
        name: "GitHub",
        method: "github",
        first_factor_only: true,
        settings: { client_id: "gh-id", client_secret: OIDC_SECRET },
      },
    });
    const ciphertexts = (
      await api.db.authMethod.findMany({ where: { issuer: { accountId: api.account.accountId } } })
    ).flatMap((m) => (m.secrets ? [m.secrets, ...m.secrets.split(".").filter((part) => part.length > 12)] : []));
    expect(ciphertexts.length).toBeGreaterThan(0);
    const keyHashes = (await api.db.apiKey.findMany({ where: { accountId: api.account.accountId } })).flatMap((k) => [
      Buffer.from(k.secretHash).toString("hex"),
      Buffer.from(k.secretHash).toString("base64"),
    ]);
    const rows = await api.db.auditEvent.findMany({ where: { accountId: api.account.accountId } });
    const stored = JSON.stringify(rows);
    const listed = JSON.stringify(await allEvents(api));
    for (const text of [stored, listed]) {
      expect(text).toContain("[set]");
      for (const secret of [OIDC_SECRET, api.account.apiKey, api.account.adminPassword, ...ciphertexts, ...keyHashes]) {
        expect(text).not.toContain(secret);
      }
    }
  });
});
