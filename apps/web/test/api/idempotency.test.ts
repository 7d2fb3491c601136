import { parsed } from "@authpi/server/testing/bodies";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type ApiHarness, type ApiResponse, apiHarness } from "../harness.ts";
import { holdIssuerRowLock } from "../row-lock.ts";

let api: ApiHarness;
let other: ApiHarness;
let offsetMs = 0;
const clock = () => new Date(Date.now() + offsetMs);

beforeAll(async () => {
  api = await apiHarness({ clock });
  other = await apiHarness();
});
afterAll(async () => {
  await api.close();
  await other.close();
});

let counter = 0;
function freshKey(): string {
  counter += 1;
  return `key-${Date.now()}-${counter}-${Math.random().toString(36).slice(2)}`;
}

async function issuerCount(h: ApiHarness, name: string): Promise<number> {
  return h.db.issuer.count({ where: { accountId: h.account.accountId, name } });
}

function post(h: ApiHarness, key: string, body: unknown, header = key): Promise<ApiResponse> {
  return h.request("POST", "/issuers", { body, headers: { "idempotency-key": header } });
}

describe("Idempotency-Key on POST", () => {
  test("20 concurrent identical POSTs create exactly one issuer; a later retry is a byte-identical replay", async () => {
    const key = freshKey();
    const body = { name: `Concurrent ${key}` };
    const answers = await Promise.all(Array.from({ length: 20 }, () => post(api, key, body)));

    expect(await issuerCount(api, body.name)).toBe(1);
    for (const answer of answers) {
      if (answer.status === 409) expect(answer.body.error.code).toBe("idempotency_request_in_progress");
      else expect(answer.status).toBe(201);
    }
    const created = answers.filter((a) => a.status === 201);
    const originals = created.filter((a) => a.headers.get("idempotent-replayed") !== "true");
    expect(originals).toHaveLength(1);
    const original = originals[0] as ApiResponse;
    // Every 201, replayed or not, is the same response.
    for (const answer of created) {
      expect(answer.text).toBe(original.text);
      expect(answer.headers.get("etag")).toBe(original.headers.get("etag"));
    }

    const retry = await post(api, key, body);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.text).toBe(original.text);
    expect(retry.headers.get("etag")).toBe(original.headers.get("etag"));
    // A replay is a new request with its own id, but the body is the first one's.
    expect(retry.headers.get("request-id")).not.toBe(original.headers.get("request-id"));
    expect(await issuerCount(api, body.name)).toBe(1);
  });

  test("the quoted sf-string form and the bare form name the same key; key order in the body does not matter", async () => {
    const key = freshKey();
    const first = await post(api, key, { name: `Forms ${key}`, description: "d" });
    expect(first.status).toBe(201);
    const quoted = await post(api, key, { description: "d", name: `Forms ${key}` }, `"${key}"`);
    expect(quoted.status).toBe(201);
    expect(quoted.headers.get("idempotent-replayed")).toBe("true");
    expect(quoted.text).toBe(first.text);
  });

  test("the same key with a different body is a 422 and changes nothing", async () => {
    const key = freshKey();
    expect((await post(api, key, { name: `Reused ${key}` })).status).toBe(201);
    const reused = await post(api, key, { name: `Reused other ${key}` });
    expect(reused.status).toBe(422);
    expect(reused.body.error).toMatchObject({ type: "invalid_request_error", code: "idempotency_key_reused" });
    expect(await issuerCount(api, `Reused other ${key}`)).toBe(0);
  });

  test("the same key on another path or method is a different request: 422", async () => {
    const key = freshKey();
    const created = await post(api, key, { name: `Path ${key}` });
    const patch = await api.request("PATCH", `/issuers/${created.body.id}`, {
      body: { name: `Path ${key}` },
      headers: { "idempotency-key": key },
    });
    expect(patch.status).toBe(422);
    expect(patch.body.error.code).toBe("idempotency_key_reused");
  });

  test("the same key used by two accounts makes two independent requests", async () => {
    const key = freshKey();
    const name = `Shared key ${key}`;
    const mine = await post(api, key, { name });
    const theirs = await post(other, key, { name });
    expect(mine.status).toBe(201);
    expect(theirs.status).toBe(201);
    expect(theirs.headers.get("idempotent-replayed")).toBeNull();
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect(theirs.body.account_id).toBe(other.account.accountId);
    expect(await issuerCount(api, name)).toBe(1);
    expect(await issuerCount(other, name)).toBe(1);
  });

  test("after 24 hours a key starts a new request, and the cleanup removes expired keys", async () => {
    const key = freshKey();
    const name = `Expiring ${key}`;
    const first = await post(api, key, { name });
    expect(first.status).toBe(201);
    offsetMs = 24 * 60 * 60 * 1000 - 60_000;
    expect((await post(api, key, { name })).headers.get("idempotent-replayed")).toBe("true");
    offsetMs = 24 * 60 * 60 * 1000 + 1;
    try {
      const again = await post(api, key, { name });
      expect(again.status).toBe(201);
      expect(again.headers.get("idempotent-replayed")).toBeNull();
      expect(again.body.id).not.toBe(first.body.id);
      expect(await issuerCount(api, name)).toBe(2);

      const stale = freshKey();
      offsetMs = 0;
      await post(api, stale, { name: `Stale ${stale}` });
      offsetMs = 25 * 60 * 60 * 1000;
      const purged = await api.services.idempotency.purgeExpired();
      expect(purged).toBeGreaterThanOrEqual(1);
      const left = await api.db.idempotencyKey.findMany({ where: { accountId: api.account.accountId, key: stale } });
      expect(left).toEqual([]);
    } finally {
      offsetMs = 0;
    }
  });

  test("a 4xx is kept and replayed too; nothing was created", async () => {
    const key = freshKey();
    const bad = await post(api, key, { name: "" });
    expect(bad.status).toBe(400);
    const again = await post(api, key, { name: "" });
    expect(again.status).toBe(400);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.text).toBe(bad.text);
    // Fixing the body needs a new key.
    expect((await post(api, key, { name: `Fixed ${key}` })).status).toBe(422);
  });

  test.each([
    ["too long", "k".repeat(256)],
    ["not ASCII", "clé"],
    ["empty quoted", '""'],
  ])("a malformed key (%s) is a 400 invalid_header", async (_, header) => {
    const response = await post(api, "unused", { name: "Never" }, header);
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: "invalid_header", param: "Idempotency-Key" });
  });

  test("the table keeps the fingerprint, never the request body", async () => {
    const key = freshKey();
    await post(api, key, { name: `Stored ${key}`, metadata: { marker: "request-only-marker" } });
    const rows = await api.db.$queryRaw<Record<string, unknown>[]>`
      SELECT * FROM "idempotency_keys" WHERE "account_id" = ${api.account.accountId} AND "key" = ${key}`;
    expect(rows).toHaveLength(1);
    const row = rows[0] as Record<string, unknown>;
    expect(Object.keys(row).sort()).toEqual(
      [
        "account_id",
        "created_at",
        "expires_at",
        "finished_at",
        "fingerprint",
        "key",
        "operation",
        "response_body",
        "response_etag",
        "response_headers",
        "response_status",
        "state",
      ].sort(),
    );
    expect(row.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(row.state).toBe("done");
  });
});

describe("Idempotency-Key on PATCH", () => {
  test("a retried PATCH is replayed and does not write twice; a PATCH still running answers 409", async () => {
    const created = await api.request("POST", "/issuers", { body: { name: `Patch target ${freshKey()}` } });
    const id = created.body.id as string;
    const key = freshKey();
    const patch = () =>
      api.request("PATCH", `/issuers/${id}`, { body: { description: "patched" }, headers: { "idempotency-key": key } });

    // Hold the issuer's row so the first PATCH is still running when the second arrives.
    const lock = await holdIssuerRowLock(api.db, id, 15_000);
    const first = patch();
    // Wait until the first PATCH holds its key (its row is in progress).
    for (let i = 0; i < 100; i++) {
      const rows = await api.db.idempotencyKey.findMany({ where: { accountId: api.account.accountId, key } });
      if (rows.length) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 100));
    const concurrent = await patch();
    expect(concurrent.status).toBe(409);
    expect(concurrent.body.error).toMatchObject({ type: "conflict_error", code: "idempotency_request_in_progress" });
    await lock.release();
    const done = await first;
    expect(done.status).toBe(200);

    const retry = await patch();
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.text).toBe(done.text);
    expect(retry.headers.get("etag")).toBe(done.headers.get("etag"));
    // One write only: the current ETag is still the first PATCH's.
    const current = await api.request("GET", `/issuers/${id}`);
    expect(current.headers.get("etag")).toBe(done.headers.get("etag"));
  });

  test("requests without a key are not affected", async () => {
    const a = await api.request("POST", "/issuers", { body: { name: "No key" } });
    const b = await api.request("POST", "/issuers", { body: { name: "No key" } });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(a.body.id).not.toBe(b.body.id);
  });
});

describe("the idempotency service itself", () => {
  const scope = (key: string) => ({
    accountId: api.account.accountId,
    key,
    fingerprint: "f".repeat(64),
    operation: "test",
  });

  test("a 4xx outcome is kept, but nothing the request wrote before failing", async () => {
    const key = freshKey();
    const name = `Rolled back ${key}`;
    const first = await api.services.idempotency.execute(scope(key), async (tx) => {
      await tx.issuers.create(api.account.accountId, parsed.issuer({ name }));
      return { status: 409, body: '{"error":"conflict"}' };
    });
    expect(first).toMatchObject({ replayed: false, response: { status: 409, body: '{"error":"conflict"}' } });
    expect(await issuerCount(api, name)).toBe(0);
    const again = await api.services.idempotency.execute(scope(key), () => {
      throw new Error("a replay must not run the request");
    });
    expect(again).toMatchObject({ replayed: true, response: { status: 409, body: '{"error":"conflict"}' } });
  });

  test("a 5xx outcome keeps nothing and frees the key for the retry", async () => {
    const key = freshKey();
    const name = `Retried ${key}`;
    const failed = await api.services.idempotency.execute(scope(key), async (tx) => {
      await tx.issuers.create(api.account.accountId, parsed.issuer({ name }));
      return { status: 503, body: '{"error":"unavailable"}' };
    });
    expect(failed).toMatchObject({ replayed: false, response: { status: 503 } });
    expect(await issuerCount(api, name)).toBe(0);
    // The key is released after the answer, not before it (a failed database must not delay the
    // 503); a retry that lands while that DELETE holds the row gets 409 in progress, as a
    // concurrent request would. Clients retry after Retry-After; this one waits for the release.
    await expect
      .poll(() => api.services.db.idempotencyKey.count({ where: { accountId: api.account.accountId, key } }))
      .toBe(0);
    const retried = await api.services.idempotency.execute(scope(key), async (tx) => {
      await tx.issuers.create(api.account.accountId, parsed.issuer({ name }));
      return { status: 201, body: '{"ok":true}' };
    });
    expect(retried).toMatchObject({ replayed: false, response: { status: 201 } });
    expect(await issuerCount(api, name)).toBe(1);
  });
});
