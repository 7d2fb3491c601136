import { afterAll, beforeAll, expect, test } from "vitest";
import { type ApiHarness, apiHarness } from "../harness.ts";

let api: ApiHarness;
let issuerId: string;
beforeAll(async () => {
  api = await apiHarness();
  issuerId = (await api.request("POST", "/issuers", { body: { name: "Target" } })).body.id;
});
afterAll(() => api.close());

const JSON_HEADERS = { "content-type": "application/json" };

function expectClientError(res: { status: number; body: any; text: string }, label: string) {
  expect(res.status, `${label}: ${res.text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
  expect(res.status, label).toBeLessThan(500);
  expect(res.body.error.type, label).toBeTruthy();
  expect(res.text, label).not.toMatch(/at .*\.ts:\d+|node_modules|Prisma|SELECT|stack/i);
}

const rawBodies: [string, string][] = [
  ["truncated", '{"name": "x"'],
  ["trailing garbage", '{"name": "x"} xyz'],
  ["single quotes", "{'name': 'x'}"],
  ["NaN", '{"name": NaN}'],
  ["bare string", '"name"'],
  ["null", "null"],
  ["number", "42"],
  ["empty", ""],
  ["BOM-less garbage", "\u0000\u0001\u0002"],
  ["deep nesting", `${"[".repeat(10_000)}${"]".repeat(10_000)}`],
  ["deep object", `${'{"a":'.repeat(5_000)}1${"}".repeat(5_000)}`],
  ["invalid utf-8", "\xff\xfe"],
];

test.each(rawBodies)("malformed JSON (%s) on POST and PATCH is a 4xx", async (label, raw) => {
  for (const [method, path] of [
    ["POST", "/issuers"],
    ["PATCH", `/issuers/${issuerId}`],
  ] as const) {
    const rawBody = label === "invalid utf-8" ? new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) : raw;
    const res = await api.request(method, path, { rawBody, headers: JSON_HEADERS });
    expectClientError(res, `${method} ${label}`);
  }
});

const values: unknown[] = [
  null,
  true,
  0,
  -1,
  1e308,
  Number.MAX_SAFE_INTEGER + 2,
  "",
  "x".repeat(5000),
  [],
  {},
  [1, "a", null],
  { $gt: "" },
  "'; DROP TABLE issuers; --",
  "\u0000",
  "a\u0000b",
  "\u202E\u200B\uFEFF",
  "😀".repeat(30),
  "\uD800",
  "<script>alert(1)</script>",
];
const fields = [
  "name",
  "description",
  "links",
  "available_scopes",
  "status",
  "settings",
  "metadata",
  "__proto__",
  "constructor",
];

test("wrong types and hostile values in every field never give a 500", async () => {
  const statuses = new Set<number>();
  for (const field of fields) {
    for (const value of values) {
      const raw = `{"name":"ok",${JSON.stringify(field)}:${JSON.stringify(value)}}`;
      const res = await api.request("POST", "/issuers", { rawBody: raw, headers: JSON_HEADERS });
      statuses.add(res.status);
      if (res.status !== 201) expectClientError(res, `${field}=${JSON.stringify(value)?.slice(0, 40)}`);
      const patch = await api.request("PATCH", `/issuers/${issuerId}`, {
        rawBody: `{${JSON.stringify(field)}:${JSON.stringify(value)}}`,
        headers: JSON_HEADERS,
      });
      if (patch.status !== 200) expectClientError(patch, `PATCH ${field}=${JSON.stringify(value)?.slice(0, 40)}`);
    }
  }
  expect(statuses.has(201)).toBe(true);
  expect(statuses.has(400)).toBe(true);
});

test("nested hostile values in settings and metadata never give a 500", async () => {
  const bodies = [
    { settings: { session: { lifetime_seconds: "1e309" } } },
    { settings: { signup: { allowed_email_domains: "example.com" } } },
    { settings: { signup: { allowed_email_domains: [null] } } },
    { settings: { branding: { primary_color: "#12345g" } } },
    { metadata: { "a\u0000": "b" } },
    { metadata: { "": "empty key" } },
    { metadata: { nested: { deep: "x" } } },
    { links: { homepage: "https://exa mple.com" } },
    { links: { homepage: "https://" } },
    { links: null },
    { settings: null },
    { metadata: null },
  ];
  for (const body of bodies) {
    const res = await api.request("POST", "/issuers", { body: { name: "nested", ...body } });
    if (res.status !== 201) expectClientError(res, JSON.stringify(body));
    const patch = await api.request("PATCH", `/issuers/${issuerId}`, { body });
    if (patch.status !== 200) expectClientError(patch, `PATCH ${JSON.stringify(body)}`);
  }
});

test("unicode and control characters: names keep unicode, refuse control characters and NUL", async () => {
  const unicode = await api.request("POST", "/issuers", { body: { name: "Ünïcödé 身份 🔐" } });
  expect(unicode.status).toBe(201);
  expect(unicode.body.name).toBe("Ünïcödé 身份 🔐");

  for (const name of ["tab\there", "bell\u0007", "nul\u0000"]) {
    const res = await api.request("POST", "/issuers", { body: { name } });
    expect(res.status, JSON.stringify(name)).toBe(400);
    expect(res.body.error.param).toBe("name");
  }
  const description = await api.request("POST", "/issuers", { body: { name: "d", description: "line\nnext\ttab" } });
  expect(description.status).toBe(201);
});

test("SQL-looking strings are stored and returned verbatim", async () => {
  const sql = "Robert'); DROP TABLE issuers;--";
  const res = await api.request("POST", "/issuers", { body: { name: sql, metadata: { q: "' OR 1=1 --" } } });
  expect(res.status).toBe(201);
  const got = await api.request("GET", `/issuers/${res.body.id}`);
  expect(got.body.name).toBe(sql);
  expect(got.body.metadata.q).toBe("' OR 1=1 --");
});

test("duplicate JSON keys: the last one wins, as in JSON.parse, and never a 500", async () => {
  const res = await api.request("POST", "/issuers", {
    rawBody: '{"name":"first","name":"second","metadata":{"k":"1","k":"2"}}',
    headers: JSON_HEADERS,
  });
  expect(res.status).toBe(201);
  expect(res.body.name).toBe("second");
  expect(res.body.metadata).toEqual({ k: "2" });
});

test("1 MB bodies are 413 whether or not Content-Length is sent", async () => {
  const big = JSON.stringify({ name: "x", description: "y".repeat(1024 * 1024) });
  const res = await api.request("POST", "/issuers", { rawBody: big, headers: JSON_HEADERS });
  expect(res.status).toBe(413);
  expect(res.body.error.code).toBe("body_too_large");

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const chunk = new TextEncoder().encode("y".repeat(64 * 1024));
      controller.enqueue(new TextEncoder().encode('{"name":"x","description":"'));
      for (let i = 0; i < 16; i++) controller.enqueue(chunk);
      controller.enqueue(new TextEncoder().encode('"}'));
      controller.close();
    },
  });
  const chunked = await fetch(`${api.baseUrl}/v1/accounts/${api.account.accountId}/issuers`, {
    method: "POST",
    headers: { authorization: `Bearer ${api.account.apiKey}`, "content-type": "application/json" },
    body: stream,
    duplex: "half",
  } as RequestInit);
  expect(chunked.status).toBe(413);
});

test("malformed ids and path segments are 404, never 500", async () => {
  for (const id of [
    "%",
    "%00",
    "iss_%00",
    "..%2F..%2Fetc",
    `iss_${"9".repeat(26)}`,
    "ISS_01M8FNXRDG6PFQ1QYSHA3R8PXW",
    "x".repeat(3000),
  ]) {
    for (const method of ["GET", "PATCH", "DELETE"]) {
      const res = await api.request(method, `/issuers/${id}`, method === "PATCH" ? { body: { name: "x" } } : {});
      expect([404, 400], `${method} ${id.slice(0, 30)}`).toContain(res.status);
      expectClientError(res, `${method} ${id.slice(0, 30)}`);
    }
  }
});

test("hostile query strings are 400, never 500", async () => {
  for (const query of ["limit=%00", "cursor=%00", "status=%00", "cursor=iss_%ZZ", "limit=1e3", "limit=0x10", "%ZZ=1"]) {
    const res = await api.request("GET", `/issuers?${query}`);
    expect(res.status, query).toBeGreaterThanOrEqual(400);
    expectClientError(res, query);
  }
});
