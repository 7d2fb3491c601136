import { afterAll, beforeAll, expect, test } from "vitest";
import { type ApiHarness, apiHarness } from "../harness.ts";

let api: ApiHarness;
beforeAll(async () => {
  api = await apiHarness();
});
afterAll(() => api.close());

test("creates and reads an issuer", async () => {
  const created = await api.request("POST", "/issuers", { body: { name: "Production" } });
  expect(created.status).toBe(201);
  const got = await api.request("GET", `/issuers/${created.body.id}`);
  expect(got.body).toEqual(created.body);
});
