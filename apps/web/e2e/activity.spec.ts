import { expect, test } from "@playwright/test";
import { e2eState } from "./fixtures.ts";
import { screenshot, signIn } from "./helpers.ts";

test("a change made through the API shows on the issuer's Activity tab and the account's Activity page, readably and filterable", async ({
  page,
  request,
}, testInfo) => {
  const { operatorA, operatorB, baseURL } = e2eState();
  const api = `${baseURL}/v1/accounts/${operatorA.account_id}`;
  const auth = { authorization: `Bearer ${operatorA.api_key}` };
  const name = `Audited ${Date.now()}`;
  const created = await request.post(`${api}/issuers`, { headers: auth, data: { name } });
  expect(created.status()).toBe(201);
  const issuer = await created.json();
  const patched = await request.patch(`${api}/issuers/${issuer.id}`, {
    headers: auth,
    data: { settings: { mfa: { policy: "required" } } },
  });
  expect(patched.status()).toBe(200);
  const method = await request.post(`${api}/issuers/${issuer.id}/auth-methods`, {
    headers: auth,
    data: {
      name: "GitHub",
      method: "github",
      first_factor_only: true,
      settings: { client_id: "gh-e2e", client_secret: "e2e-github-secret-value" },
    },
  });
  expect(method.status()).toBe(201);

  await signIn(page, operatorA);
  await page.goto(`/issuers/${issuer.id}`);
  await expect(page.getByRole("heading", { name })).toBeVisible();
  await page.getByRole("main").getByRole("link", { name: "Activity", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/issuers/${issuer.id}/activity$`));
  const events = page.getByTestId("event");
  await expect(events).toHaveCount(2);
  // Newest first: the MFA change, as path: before → after, by the API key.
  const update = events.first();
  await expect(update.getByText("issuer.updated")).toBeVisible();
  const change = update.getByTestId("change").filter({ hasText: "settings.mfa.policy" });
  await expect(change).toContainText("optional");
  await expect(change).toContainText("required");
  await expect(update).toContainText("by API key key_");
  await expect(events.nth(1).getByText("issuer.created")).toBeVisible();
  await screenshot(page, testInfo, "issuer-activity");

  // The account's Activity page: every resource; the secret only as "secret set".
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Activity" }).click();
  await expect(page).toHaveURL(/\/activity$/);
  const methodEvent = page.getByTestId("event").filter({ hasText: "auth_method.created" });
  await expect(methodEvent).toHaveCount(1);
  await expect(
    methodEvent.getByTestId("change").filter({ hasText: "settings.client_secret" }).getByText("secret set"),
  ).toBeVisible();
  await expect(page.locator("body")).not.toContainText("e2e-github-secret-value");
  await expect(page.getByTestId("event").filter({ hasText: "operator.signed_in" }).first()).toBeVisible();

  // Filter by type.
  await page.getByLabel("Type").selectOption("auth_method.created");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(page.getByTestId("event").filter({ hasText: "issuer.updated" })).toHaveCount(0);
  await expect(page.getByTestId("event").first()).toContainText("auth_method.created");
  await screenshot(page, testInfo, "account-activity");

  // Another account's operator sees none of it.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
  await signIn(page, operatorB);
  await page.goto("/activity");
  await expect(page.getByTestId("event").first()).toBeVisible();
  await expect(page.locator("body")).not.toContainText(issuer.id);
});
