import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type ApiHarness, apiHarness } from "../harness.ts";

// A controllable clock: tests move "now" forward to reach the purge date.
let now = Date.parse("2026-11-27T12:00:00.000Z");
const clock = () => new Date(now);
const DAY = 86_400_000;

let api: ApiHarness;
beforeAll(async () => {
  api = await apiHarness({ clock });
});
afterAll(() => api.close());

async function createIssuer(name = "Lifecycle") {
  const res = await api.request("POST", "/issuers", { body: { name } });
  expect(res.status).toBe(201);
  return res.body as { id: string };
}

describe("soft delete", () => {
  test("DELETE → 204; GET shows status deleted, deleted_at, purge_after = +30 days; the list hides it", async () => {
    const issuer = await createIssuer();
    const deleted = await api.request("DELETE", `/issuers/${issuer.id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe("");
    expect(deleted.headers.get("request-id")).toMatch(/^req_/);

    const got = await api.request("GET", `/issuers/${issuer.id}`);
    expect(got.status).toBe(200);
    expect(got.body.status).toBe("deleted");
    expect(got.body.deleted_at).toBe(new Date(now).toISOString());
    expect(got.body.purge_after).toBe(new Date(now + 30 * DAY).toISOString());

    const list = await api.request("GET", "/issuers?limit=100");
    expect(list.body.data.map((i: { id: string }) => i.id)).not.toContain(issuer.id);
    const deletedList = await api.request("GET", "/issuers?status=deleted&limit=100");
    expect(deletedList.body.data.map((i: { id: string }) => i.id)).toContain(issuer.id);
  });

  test("a second DELETE is 404", async () => {
    const issuer = await createIssuer();
    expect((await api.request("DELETE", `/issuers/${issuer.id}`)).status).toBe(204);
    const again = await api.request("DELETE", `/issuers/${issuer.id}`);
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe("resource_missing");
  });

  test("PATCH on a deleted issuer is 409 issuer_deleted unless it restores; restore clears the deletion", async () => {
    const issuer = await createIssuer();
    await api.request("DELETE", `/issuers/${issuer.id}`);

    const blocked = await api.request("PATCH", `/issuers/${issuer.id}`, { body: { name: "renamed" } });
    expect(blocked.status).toBe(409);
    expect(blocked.body.error).toMatchObject({ type: "conflict_error", code: "issuer_deleted" });
    const suspend = await api.request("PATCH", `/issuers/${issuer.id}`, { body: { status: "suspended" } });
    expect(suspend.status).toBe(409);

    const restored = await api.request("PATCH", `/issuers/${issuer.id}`, {
      body: { status: "active", name: "Restored" },
    });
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ status: "active", name: "Restored", deleted_at: null, purge_after: null });
    const list = await api.request("GET", "/issuers?limit=100");
    expect(list.body.data.map((i: { id: string }) => i.id)).toContain(issuer.id);
  });

  test("DELETE honours If-Match", async () => {
    const created = await api.request("POST", "/issuers", { body: { name: "Guarded" } });
    await api.request("PATCH", `/issuers/${created.body.id}`, { body: { name: "Changed" } });
    const stale = await api.request("DELETE", `/issuers/${created.body.id}`, {
      headers: { "if-match": created.headers.get("etag") as string },
    });
    expect(stale.status).toBe(412);
    expect(stale.body.error.code).toBe("precondition_failed");
    expect((await api.request("GET", `/issuers/${created.body.id}`)).body.status).toBe("active");
    const current = (await api.request("GET", `/issuers/${created.body.id}`)).headers.get("etag") as string;
    expect(
      (await api.request("DELETE", `/issuers/${created.body.id}`, { headers: { "if-match": current } })).status,
    ).toBe(204);
  });

  test("purge removes issuers past purge_after for good, and leaves the others", async () => {
    // An account of its own: the tests above left deleted issuers in the shared one.
    const owner = await api.newAccount();
    const as = (method: string, path: string, body?: unknown) =>
      api.request(method, `/v1/accounts/${owner.accountId}${path}`, {
        apiKey: owner.apiKey,
        ...(body ? { body } : {}),
      });
    const create = async (name: string) => {
      const res = await as("POST", "/issuers", { name });
      expect(res.status).toBe(201);
      return res.body as { id: string };
    };
    const early = await create("Purged");
    await as("DELETE", `/issuers/${early.id}`);
    now += 10 * DAY;
    const late = await create("Kept");
    await as("DELETE", `/issuers/${late.id}`);
    const alive = await create("Alive");

    now += 21 * DAY; // 31 days after the first deletion, 21 after the second
    const purged = await api.services.issuers.purgeExpired(clock(), { accountId: owner.accountId });
    expect(purged).toBe(1);

    for (const [method, body] of [
      ["GET", undefined],
      ["PATCH", { status: "active" }],
      ["DELETE", undefined],
    ] as const) {
      const res = await as(method, `/issuers/${early.id}`, body);
      expect(res.status, method).toBe(404);
    }
    expect(
      (await as("GET", "/issuers?status=deleted&limit=100")).body.data.map((i: { id: string }) => i.id),
    ).not.toContain(early.id);
    expect((await as("GET", `/issuers/${late.id}`)).body.status).toBe("deleted");
    expect((await as("GET", `/issuers/${alive.id}`)).body.status).toBe("active");
    expect(await api.db.issuer.count({ where: { id: early.id } })).toBe(0);
  });
});
