import { afterAll, beforeAll, expect, test } from "vitest";
import { type ApiHarness, type ApiResponse, apiHarness } from "../harness.ts";

// `GET /events?issuer_id=…` (the issuer's Activity tab): the issuer's own events and those of its
// auth methods, clients, users and signing keys, whichever door or actor wrote them; never another
// issuer's, never an account-level resource's (API keys), never another account's.

let api: ApiHarness;
let other: ApiHarness;

interface EventBody {
  id: string;
  type: string;
  actor: { type: string; id: string | null };
  resource: { type: string; id: string };
}

beforeAll(async () => {
  api = await apiHarness();
  other = await apiHarness();
});
afterAll(async () => {
  await api?.close();
  await other?.close();
});

async function events(h: ApiHarness, query: string): Promise<EventBody[]> {
  const res = await h.request("GET", `/events?limit=100&${query}`);
  expect(res.status, res.text).toBe(200);
  return res.body.data;
}

async function created(h: ApiHarness, path: string, body: unknown): Promise<string> {
  const res = await h.request("POST", path, { body });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

/** An issuer with one of everything that records events, each written once. */
async function populatedIssuer(h: ApiHarness, name: string) {
  const issuer = await created(h, "/issuers", { name });
  const methods = `/issuers/${issuer}/auth-methods`;
  const method = await created(h, methods, { name: "Codes", method: "email_otp", first_factor_only: true });
  expect((await h.request("PATCH", `${methods}/${method}`, { body: { featured: true } })).status).toBe(200);
  const gone = await created(h, methods, {
    name: "Passwords",
    method: "password",
    first_factor_only: true,
    settings: {},
  });
  expect((await h.request("DELETE", `${methods}/${gone}`)).status).toBe(204);
  const client = await created(h, `/issuers/${issuer}/clients`, {
    name: "Web",
    application_type: "web",
    redirect_uris: ["https://app.example.com/cb"],
  });
  const user = await created(h, `/issuers/${issuer}/users`, { email: `ada-${issuer}@example.com` });
  expect((await h.request("POST", `/issuers/${issuer}/signing-keys/rotate`, { body: {} })).status).toBe(200);
  // What the hosted pages write (a verified email) is recorded as the system, and is the issuer's too.
  await h.services.users.setEmailVerified(issuer, user);
  return { issuer, method, gone, client, user };
}

test("issuer_id lists the issuer's events and those of its auth methods, clients, users and signing keys", async () => {
  const mine = await populatedIssuer(api, "Mine");
  const theirs = await populatedIssuer(api, "Another issuer");
  await api.services.apiKeys.create(api.account.accountId, "Account-level");

  const listed = await events(api, `issuer_id=${mine.issuer}`);
  expect(listed.map((e) => `${e.type} ${e.resource.id}`)).toEqual([
    `user.updated ${mine.user}`,
    `issuer.signing_key_rotated ${mine.issuer}`,
    `user.created ${mine.user}`,
    `client.created ${mine.client}`,
    `auth_method.deleted ${mine.gone}`,
    `auth_method.created ${mine.gone}`,
    `auth_method.updated ${mine.method}`,
    `auth_method.created ${mine.method}`,
    `issuer.created ${mine.issuer}`,
  ]);
  expect(listed[0]?.actor).toEqual({ type: "system", id: null });
  const theirIds = new Set(Object.values(theirs));
  expect(listed.some((e) => theirIds.has(e.resource.id))).toBe(false);

  // With the other filters, and page by page.
  const methodEvents = await events(api, `issuer_id=${mine.issuer}&resource_id=${mine.method}`);
  expect(methodEvents.map((e) => e.type)).toEqual(["auth_method.updated", "auth_method.created"]);
  expect((await events(api, `issuer_id=${mine.issuer}&type=client.created`)).map((e) => e.resource.id)).toEqual([
    mine.client,
  ]);
  const paged: string[] = [];
  let cursor: string | null = null;
  do {
    const res: ApiResponse = await api.request(
      "GET",
      `/events?issuer_id=${mine.issuer}&limit=4${cursor ? `&cursor=${cursor}` : ""}`,
    );
    expect(res.status).toBe(200);
    paged.push(...res.body.data.map((e: EventBody) => e.id));
    cursor = res.body.next_cursor;
  } while (cursor);
  expect(paged).toEqual(listed.map((e) => e.id));

  // Account-level resources belong to no issuer.
  const keyEvents = await api.db.auditEvent.findMany({
    where: { accountId: api.account.accountId, resourceType: { in: ["api_key", "account", "operator"] } },
  });
  expect(keyEvents.length).toBeGreaterThanOrEqual(3);
  expect(keyEvents.every((e) => e.issuerId === null)).toBe(true);
});

test("a purged issuer's events stay listed under it, the purge included", async () => {
  const issuer = await created(api, "/issuers", { name: "Purged" });
  expect((await api.request("DELETE", `/issuers/${issuer}`)).status).toBe(204);
  await api.services.issuers.purgeExpired(new Date(Date.now() + 31 * 86_400_000), {
    accountId: api.account.accountId,
  });
  expect((await events(api, `issuer_id=${issuer}`)).map((e) => e.type)).toEqual([
    "issuer.purged",
    "issuer.deleted",
    "issuer.created",
  ]);
});

test("tenancy: another account sees none of an issuer's events, and its own filter finds none of them", async () => {
  const mine = await created(api, "/issuers", { name: "Private" });
  await created(api, `/issuers/${mine}/auth-methods`, { name: "Codes", method: "email_otp", first_factor_only: true });
  expect(await events(api, `issuer_id=${mine}`)).toHaveLength(2);
  expect(await events(other, `issuer_id=${mine}`)).toEqual([]);
  const forbidden = await other.request("GET", `/v1/accounts/${api.account.accountId}/events?issuer_id=${mine}`);
  expect(forbidden.status).toBe(403);
});

test("bad input: an over-long issuer_id is a 400 with its param", async () => {
  const res = await api.request("GET", `/events?issuer_id=${"i".repeat(65)}`);
  expect(res.status).toBe(400);
  expect(res.body.error).toMatchObject({ code: "validation_failed", param: "issuer_id" });
});
