import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type ApiHarness, apiHarness } from "../harness.ts";

let api: ApiHarness;
let other: ApiHarness;
beforeAll(async () => {
  [api, other] = await Promise.all([apiHarness(), apiHarness()]);
});
afterAll(async () => {
  await Promise.all([api.close(), other.close()]);
});

async function createMany(harness: ApiHarness, count: number, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  // Sequential in small parallel batches: creation order is what the list must reproduce.
  for (let i = 0; i < count; i += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, count - i) }, (_, j) =>
        harness.request("POST", "/issuers", { body: { name: `${prefix} ${i + j}` } }),
      ),
    );
    for (const res of batch) expect(res.status).toBe(201);
    // Requests of one batch reach the server in any order: their creation order is their id order
    // (time-ordered, monotonic within a millisecond); batches follow each other.
    ids.push(...batch.map((res) => res.body.id as string).sort());
  }
  return ids;
}

describe("GET /issuers", () => {
  test("250 issuers in pages of 7: each exactly once, newest first, also while new ones are created", async () => {
    const ids = await createMany(api, 250, "Page");
    const seen: string[] = [];
    const createdDuring: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=7&cursor=${cursor}` : "?limit=7";
      const res = await api.request("GET", `/issuers${query}`);
      expect(res.status).toBe(200);
      expect(res.body.object).toBe("list");
      expect(res.body.data.length).toBeLessThanOrEqual(7);
      seen.push(...res.body.data.map((i: { id: string }) => i.id));
      cursor = res.body.next_cursor;
      expect(res.body.has_more).toBe(cursor !== null);
      if (pages % 5 === 0) {
        const fresh = await api.request("POST", "/issuers", { body: { name: `During ${pages}` } });
        createdDuring.push(fresh.body.id);
      }
      pages++;
    } while (cursor);

    expect(pages).toBe(Math.ceil(250 / 7));
    expect(new Set(seen).size).toBe(seen.length);
    // Exactly the issuers that existed when the walk began, none created during it.
    expect(seen).toEqual([...ids].sort().reverse());
    for (const id of createdDuring) expect(seen).not.toContain(id);

    const createdAt = (await Promise.all(seen.slice(0, 20).map((id) => api.request("GET", `/issuers/${id}`)))).map(
      (r) => Date.parse(r.body.created_at),
    );
    expect(createdAt).toEqual([...createdAt].sort((a, b) => b - a));
  });

  test("default limit is 50 and limit 100 is the maximum", async () => {
    const first = await api.request("GET", "/issuers");
    expect(first.body.data).toHaveLength(50);
    expect(first.body.has_more).toBe(true);
    const hundred = await api.request("GET", "/issuers?limit=100");
    expect(hundred.body.data).toHaveLength(100);
    const one = await api.request("GET", "/issuers?limit=1");
    expect(one.body.data).toHaveLength(1);
    expect(one.body.next_cursor).toBe(one.body.data[0].id);
  });

  test.each(["0", "101", "-1", "abc", "1.5", ""])("limit=%s is 400 naming limit", async (limit) => {
    const res = await api.request("GET", `/issuers?limit=${limit}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "validation_failed", param: "limit" });
  });

  test("an unknown or repeated query parameter is 400", async () => {
    const unknown = await api.request("GET", "/issuers?sort=asc");
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.param).toBe("sort");
    const repeated = await api.request("GET", "/issuers?limit=5&limit=6");
    expect(repeated.status).toBe(400);
    expect(repeated.body.error.param).toBe("limit");
  });

  test("cursors that are malformed, unknown or of another account are 400 invalid_cursor", async () => {
    const [otherIssuer] = await createMany(other, 1, "Other");
    for (const cursor of ["garbage", "iss_01M8FNXRDG6PFQ1QYSHA3R8PXW", otherIssuer, "' OR 1=1 --", "x".repeat(500)]) {
      const res = await api.request("GET", `/issuers?cursor=${encodeURIComponent(cursor as string)}`);
      expect(res.status, String(cursor)).toBe(400);
      expect(res.body.error).toMatchObject({ type: "invalid_request_error", param: "cursor" });
    }
    const cross = await api.request("GET", `/issuers?cursor=${otherIssuer}`);
    expect(cross.body.error.code).toBe("invalid_cursor");
  });

  test("names beyond ASCII arrive byte for byte, with a Content-Length of the UTF-8 bytes (the page is sent as Postgres wrote it)", async () => {
    const names = ["Acme — Europe", "Ünïcode ✓", "Rocket 🚀 (4 bytes)", 'Quote " and \\ backslash', "日本語の発行者"];
    const harness = await apiHarness();
    try {
      for (const name of names)
        expect((await harness.request("POST", "/issuers", { body: { name } })).status).toBe(201);
      const res = await fetch(`${harness.baseUrl}/v1/accounts/${harness.account.accountId}/issuers?limit=3`, {
        headers: { authorization: `Bearer ${harness.account.apiKey}` },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
      const bytes = new Uint8Array(await res.arrayBuffer());
      expect(Number(res.headers.get("content-length"))).toBe(bytes.byteLength);
      const page = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
      expect(page.data.map((i: { name: string }) => i.name)).toEqual(names.slice(2).reverse());
      expect(page).toMatchObject({ object: "list", has_more: true, next_cursor: page.data[2].id });
      const rest = await harness.request("GET", `/issuers?cursor=${page.next_cursor}`);
      expect(rest.body.data.map((i: { name: string }) => i.name)).toEqual(names.slice(0, 2).reverse());
      expect(rest.body).toMatchObject({ has_more: false, next_cursor: null });
    } finally {
      await harness.close();
    }
  });

  test("a page of ≈ 120,000 characters (written in several pieces) arrives whole: its Content-Length, its bytes, every item", async () => {
    const harness = await apiHarness();
    try {
      // 2,000 characters a description, with an em dash and a 4-byte emoji in each: far past one piece.
      const description = (i: number) => `${i} — 🚀 ${"é".repeat(1980)}`.slice(0, 2000);
      for (let i = 0; i < 60; i += 10) {
        const batch = await Promise.all(
          Array.from({ length: 10 }, (_, j) =>
            harness.request("POST", "/issuers", { body: { name: `Big ${i + j}`, description: description(i + j) } }),
          ),
        );
        for (const res of batch) expect(res.status).toBe(201);
      }
      const res = await fetch(`${harness.baseUrl}/v1/accounts/${harness.account.accountId}/issuers?limit=55`, {
        headers: { authorization: `Bearer ${harness.account.apiKey}` },
      });
      expect(res.status).toBe(200);
      const bytes = new Uint8Array(await res.arrayBuffer());
      expect(Number(res.headers.get("content-length"))).toBe(bytes.byteLength);
      const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
      expect(text.length).toBeGreaterThan(110_000);
      const page = JSON.parse(text);
      expect(page.data).toHaveLength(55);
      expect(page).toMatchObject({ object: "list", has_more: true, next_cursor: page.data[54].id });
      for (const issuer of page.data) expect(issuer.description).toBe(description(Number(issuer.name.slice(4))));
      // The same page through the service (what the tRPC door parses) is the same text.
      const listed = await harness.services.issuers.list(harness.account.accountId, { limit: 55 });
      expect(listed.json).toBe(text);
    } finally {
      await harness.close();
    }
  });

  test("after the oldest issuer, or past every match of a filter, a valid cursor gives an empty last page", async () => {
    const fresh = await apiHarness();
    try {
      const [a, b] = await createMany(fresh, 2, "Edge");
      const empty = { object: "list", data: [], has_more: false, next_cursor: null };
      const afterOldest = await fresh.request("GET", `/issuers?cursor=${a}`);
      expect(afterOldest.status).toBe(200);
      expect(afterOldest.body).toEqual(empty);
      // b is active and so is a: a status that matches nothing after b is an empty page, not a bad cursor.
      const filtered = await fresh.request("GET", `/issuers?status=suspended&cursor=${b}`);
      expect(filtered.status).toBe(200);
      expect(filtered.body).toEqual(empty);
      const exact = await fresh.request("GET", "/issuers?limit=2");
      expect(exact.body).toMatchObject({ has_more: false, next_cursor: null });
      expect(exact.body.data.map((i: { id: string }) => i.id)).toEqual([b, a]);
      const first = await fresh.request("GET", "/issuers?limit=1");
      expect(first.body).toMatchObject({ has_more: true, next_cursor: b });
      const second = await fresh.request("GET", `/issuers?limit=1&cursor=${b}`);
      expect(second.body).toMatchObject({ has_more: false, next_cursor: null });
      expect(second.body.data.map((i: { id: string }) => i.id)).toEqual([a]);
    } finally {
      await fresh.close();
    }
  });

  test("lists only the caller's issuers", async () => {
    const otherIds = new Set(await createMany(other, 3, "Theirs"));
    const res = await api.request("GET", "/issuers?limit=100");
    expect(res.body.data.every((i: { id: string; account_id: string }) => !otherIds.has(i.id))).toBe(true);
    expect(res.body.data.every((i: { account_id: string }) => i.account_id === api.account.accountId)).toBe(true);
  });

  test("status filter: deleted issuers are hidden unless asked for; each status filters", async () => {
    const fresh = await apiHarness();
    try {
      const [a, b, c] = await createMany(fresh, 3, "S");
      await fresh.request("PATCH", `/issuers/${b}`, { body: { status: "suspended" } });
      expect((await fresh.request("DELETE", `/issuers/${c}`)).status).toBe(204);

      const ids = async (query: string) =>
        (await fresh.request("GET", `/issuers${query}`)).body.data.map((i: { id: string }) => i.id);
      expect(await ids("")).toEqual([b, a]);
      expect(await ids("?status=deleted")).toEqual([c]);
      expect(await ids("?status=suspended")).toEqual([b]);
      expect(await ids("?status=active")).toEqual([a]);
      expect(await ids("?status=disabled")).toEqual([]);
      const bad = await fresh.request("GET", "/issuers?status=gone");
      expect(bad.status).toBe(400);
      expect(bad.body.error.param).toBe("status");
    } finally {
      await fresh.close();
    }
  });
});
