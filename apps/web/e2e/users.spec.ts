import { expect, test } from "@playwright/test";
import { e2eState } from "./fixtures.ts";
import { screenshot, signIn } from "./helpers.ts";

test("create a user with a password and find them by email; block, unblock, sign out everywhere, delete", async ({
  page,
  request,
}, testInfo) => {
  const { operatorA } = e2eState();
  const headers = { authorization: `Bearer ${operatorA.api_key}` };
  const issuer = await (
    await request.post(`/v1/accounts/${operatorA.account_id}/issuers`, {
      headers,
      data: { name: `Pool ${Date.now()}` },
    })
  ).json();
  const method = await request.post(`/v1/accounts/${operatorA.account_id}/issuers/${issuer.id}/auth-methods`, {
    headers,
    data: { name: "Password", method: "password", first_factor_only: true, settings: { min_length: 12 } },
  });
  expect(method.status()).toBe(201);
  const password = `e2e password ${Date.now()}`;

  await signIn(page, operatorA);
  await page.goto(`/issuers/${issuer.id}`);
  await page.getByRole("link", { name: "Users" }).click();
  await expect(page).toHaveURL(new RegExp(`/issuers/${issuer.id}/users$`));
  await expect(page.getByText("No users yet")).toBeVisible();

  const form = page.getByRole("form", { name: "Create a user" });
  // A password the issuer's policy refuses: the field says why.
  await form.getByLabel("Email").fill("ada@example.com");
  await form.getByLabel("Password").fill("short");
  await form.getByRole("button", { name: "Create user" }).click();
  await expect(form.getByText(/at least 12 characters/)).toBeVisible();

  await form.getByLabel("Name").fill("Ada Lovelace");
  await form.getByLabel("Password").fill(password);
  await form.getByRole("button", { name: "Create user" }).click();
  await expect(form.getByText("Created ada@example.com.")).toBeVisible();
  await form.getByLabel("Email").fill("grace@example.com");
  await form.getByRole("button", { name: "Create user" }).click();
  await expect(form.getByText("Created grace@example.com.")).toBeVisible();
  expect(await page.content()).not.toContain(password);

  // Find Ada by email, in another case.
  const search = page.getByRole("form", { name: "Search users" });
  await search.getByLabel("Search by email").fill("ADA@Example.com");
  await search.getByRole("button", { name: "Search" }).click();
  const users = page.getByRole("list", { name: "Users" });
  await expect(users.getByRole("listitem")).toHaveCount(1);
  const card = users.getByRole("listitem").filter({ hasText: "ada@example.com" });
  await expect(card).toContainText("Ada Lovelace");
  await expect(card).toContainText("password set");
  await screenshot(page, testInfo, "user-found");

  await card.getByRole("button", { name: "Block" }).click();
  await expect(card.getByText("blocked", { exact: true })).toBeVisible();
  await card.getByRole("button", { name: "Unblock" }).click();
  await expect(card.getByText("active", { exact: true })).toBeVisible();

  await card.getByRole("button", { name: "Sign out everywhere" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Sign out everywhere" }).click();
  await expect(card.getByText("Signed out everywhere.")).toBeVisible();

  await card.getByRole("button", { name: "Delete ada@example.com" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete user" }).click();
  await expect(page.getByText("No user with the email ADA@Example.com")).toBeVisible();
  await page.getByRole("button", { name: "Show all" }).click();
  await expect(users.getByRole("listitem")).toHaveCount(1);
  await expect(users).toContainText("grace@example.com");
});
