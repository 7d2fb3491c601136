import { expect, test } from "@playwright/test";
import { e2eState } from "./fixtures.ts";

test("the production build serves the app and the API from one process", async ({ page, request }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "AuthPI" })).toBeVisible();

  const { operatorA } = e2eState();
  const response = await request.get(`/v1/accounts/${operatorA.account_id}/issuers`, {
    headers: { authorization: `Bearer ${operatorA.api_key}` },
  });
  expect(response.status()).toBe(200);
  expect((await response.json()).object).toBe("list");
});
