import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiHarness, apiHarness } from "../harness.ts";

/** The two control-plane operations over REST (every answer checked against the OpenAPI document). */
let api: ApiHarness;
let issuerId: string;

beforeAll(async () => {
  api = await apiHarness();
  const created = await api.request("POST", "/issuers", { body: { name: "Keys" } });
  issuerId = created.body.id;
});

afterAll(() => api.close());

describe("GET …/signing-keys and POST …/signing-keys/rotate", () => {
  it("lists the current key, rotates, and lists both", async () => {
    const listed = await api.request("GET", `/issuers/${issuerId}/signing-keys`);
    expect(listed.status).toBe(200);
    expect(listed.body.data).toHaveLength(1);
    expect(listed.body.data[0]).toMatchObject({ object: "signing_key", alg: "RS256", status: "current" });
    expect(listed.text).not.toMatch(/"d"|PRIVATE|private/);

    const rotated = await api.request("POST", `/issuers/${issuerId}/signing-keys/rotate`, { body: { alg: "ES256" } });
    expect(rotated.status).toBe(200);
    const byStatus = Object.fromEntries(rotated.body.data.map((key: { status: string }) => [key.status, key]));
    expect(byStatus.current).toMatchObject({ alg: "ES256" });
    expect(byStatus.previous).toMatchObject({ id: listed.body.data[0].id, alg: "RS256" });
    expect(byStatus.previous.retire_after).not.toBeNull();
  });

  it("serializes concurrent rotations of one issuer: each is a 200, one current key remains", async () => {
    const created = await api.request("POST", "/issuers", { body: { name: "Concurrent keys" } });
    const id = created.body.id;
    const rotations = await Promise.all(
      Array.from({ length: 4 }, () => api.request("POST", `/issuers/${id}/signing-keys/rotate`, { body: {} })),
    );
    expect(rotations.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const listed = await api.request("GET", `/issuers/${id}/signing-keys`);
    expect(listed.body.data.filter((key: { status: string }) => key.status === "current")).toHaveLength(1);
    expect(listed.body.data).toHaveLength(5);
  });

  it("answers 404 for an issuer of another account and a malformed id, 400 for a bad body", async () => {
    const other = await api.newAccount();
    const foreign = await api.request("GET", `/v1/accounts/${other.accountId}/issuers/${issuerId}/signing-keys`, {
      apiKey: other.apiKey,
    });
    expect(foreign.status).toBe(404);
    expect((await api.request("GET", "/issuers/iss_nope/signing-keys")).status).toBe(404);
    const bad = await api.request("POST", `/issuers/${issuerId}/signing-keys/rotate`, { body: { alg: "HS256" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe("alg");
  });
});
