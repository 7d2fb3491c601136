import { expect, test } from "@playwright/test";
import { e2eState } from "./fixtures.ts";
import { signIn } from "./helpers.ts";

test("an operator of account B sees none of A's issuers, and A's ids through tRPC are errors", async ({
  page,
  request,
}) => {
  const { operatorA, operatorB } = e2eState();
  const created = await request.post(`/v1/accounts/${operatorA.account_id}/issuers`, {
    headers: { authorization: `Bearer ${operatorA.api_key}` },
    data: { name: "Only for A" },
  });
  expect(created.status()).toBe(201);
  const issuerA = (await created.json()).id as string;

  await signIn(page, operatorB);
  await expect(page.getByRole("heading", { name: "Issuers" })).toBeVisible();
  await expect(page.getByText("Only for A")).toHaveCount(0);
  await page.getByLabel("Status").selectOption("deleted");
  await expect(page.getByText("Only for A")).toHaveCount(0);

  await page.goto(`/issuers/${issuerA}`);
  await expect(page.getByRole("alert").filter({ hasText: "No such issuer" })).toBeVisible();
  expect(await page.content()).not.toContain("Only for A");

  // Straight at the router with B's session cookie (page.request shares the browser's cookies).
  const input = encodeURIComponent(JSON.stringify({ id: issuerA }));
  const get = await page.request.get(`/api/trpc/issuers.get?input=${input}`);
  expect(get.status()).toBe(404);
  const body = await get.text();
  expect(body).not.toContain("Only for A");
  expect(JSON.parse(body).error.data.code).toBe("NOT_FOUND");

  for (const [path, data] of [
    ["issuers.update", { id: issuerA, patch: { name: "Taken over" } }],
    ["issuers.delete", { id: issuerA }],
  ] as const) {
    const response = await page.request.post(`/api/trpc/${path}`, { data });
    expect(response.status()).toBe(404);
  }
  const stillA = await request.get(`/v1/accounts/${operatorA.account_id}/issuers/${issuerA}`, {
    headers: { authorization: `Bearer ${operatorA.api_key}` },
  });
  expect(await stillA.json()).toMatchObject({ name: "Only for A", status: "active" });
});
