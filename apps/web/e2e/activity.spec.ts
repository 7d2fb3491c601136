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
  // Another issuer's change: not on this issuer's tab.
  const otherIssuer = await (
    await request.post(`${api}/issuers`, { headers: auth, data: { name: `${name} B` } })
  ).json();
  const otherMethod = await request.post(`${api}/issuers/${otherIssuer.id}/auth-methods`, {
    headers: auth,
    data: { name: "Codes", method: "email_otp", first_factor_only: true },
  });
  expect(otherMethod.status()).toBe(201);
  const { id: otherMethodId } = await otherMethod.json();

  await signIn(page, operatorA);
  await page.goto(`/issuers/${issuer.id}`);
  await expect(page.getByRole("heading", { name })).toBeVisible();
  await page.getByRole("main").getByRole("link", { name: "Activity", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/issuers/${issuer.id}/activity$`));
  // The issuer's own events and its auth method's, newest first; the other issuer's not.
  const events = page.getByTestId("event");
  await expect(events).toHaveCount(3);
  await expect(events.first().getByText("auth_method.created")).toBeVisible();
  await expect(
    events.first().getByTestId("change").filter({ hasText: "settings.client_secret" }).getByText("secret set"),
  ).toBeVisible();
  await expect(page.locator("body")).not.toContainText(otherMethodId);
  // The MFA change, as path: before → after, by the API key.
  const update = events.nth(1);
  await expect(update.getByText("issuer.updated")).toBeVisible();
  const change = update.getByTestId("change").filter({ hasText: "settings.mfa.policy" });
  await expect(change).toContainText("optional");
  await expect(change).toContainText("required");
  await expect(update).toContainText("by API key key_");
  await expect(events.nth(2).getByText("issuer.created")).toBeVisible();
  await screenshot(page, testInfo, "issuer-activity");

  // The account's Activity page: every resource; the secret only as "secret set".
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Activity" }).click();
  await expect(page).toHaveURL(/\/activity$/);
  // Both issuers' auth methods are the account's.
  await expect(page.getByTestId("event").filter({ hasText: "auth_method.created" })).toHaveCount(2);
  const methodEvent = page
    .getByTestId("event")
    .filter({ hasText: "auth_method.created" })
    .filter({ hasText: "gh-e2e" });
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
