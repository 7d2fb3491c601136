import { expect, test } from "@playwright/test";
import { e2eState } from "./fixtures.ts";
import { signIn } from "./helpers.ts";

test("create an API key (shown once), use it against /v1, revoke it in the UI, then 401", async ({ page, request }) => {
  const { operatorA } = e2eState();
  await signIn(page, operatorA);
  await page.getByRole("link", { name: "API keys" }).click();
  await expect(page).toHaveURL(/\/api-keys$/);

  const name = `e2e key ${Date.now()}`;
  await page.getByLabel("Key name").fill(name);
  await page.getByRole("button", { name: "Create key" }).click();
  const secret = (await page.getByTestId("new-key-secret").textContent()) ?? "";
  expect(secret).toMatch(/^sk_[0-9A-Za-z]{43,}$/);

  const call = () =>
    request.get(`/v1/accounts/${operatorA.account_id}/issuers`, { headers: { authorization: `Bearer ${secret}` } });
  expect((await call()).status()).toBe(200);

  // Shown once: after a reload only the prefix is left.
  await page.reload();
  await expect(page.getByTestId("new-key-secret")).toHaveCount(0);
  expect(await page.content()).not.toContain(secret);
  const row = page.getByRole("row").filter({ hasText: name });
  await expect(row).toContainText(secret.slice(0, 11));

  await row.getByRole("button", { name: `Revoke ${name}` }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Revoke key" }).click();
  await expect(row.getByText("Revoked")).toBeVisible();
  expect((await call()).status()).toBe(401);
});
