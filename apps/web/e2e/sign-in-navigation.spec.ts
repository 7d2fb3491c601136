import { expect, test } from "@playwright/test";
import { e2eState } from "./fixtures.ts";

test("from the home page: a wrong password, then the right one, lands on the issuers page", async ({ page }) => {
  const { operatorA } = e2eState();
  await page.goto("/");
  // As a person does: the page has settled (any prefetch is done) before the click.
  await page.waitForLoadState("networkidle");
  await page.getByRole("link", { name: "Open the admin console" }).click();
  await expect(page).toHaveURL(/\/login\?next=%2Fissuers$/);

  await page.getByLabel("Email").fill(operatorA.admin_email);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "The email or password is incorrect" })).toBeVisible();

  await page.getByLabel("Password").fill(operatorA.admin_password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/issuers$/);
  await expect(page.getByTestId("operator-email")).toHaveText(operatorA.admin_email);
  await expect(page.getByRole("heading", { name: "Issuers" })).toBeVisible();
});

test("from the home page: the right password at once lands on the issuers page", async ({ page }) => {
  const { operatorA } = e2eState();
  await page.goto("/");
  // As a person does: the page has settled (any prefetch is done) before the click.
  await page.waitForLoadState("networkidle");
  await page.getByRole("link", { name: "Open the admin console" }).click();
  await expect(page).toHaveURL(/\/login\?next=%2Fissuers$/);
  await page.getByLabel("Email").fill(operatorA.admin_email);
  await page.getByLabel("Password").fill(operatorA.admin_password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/issuers$/);
  await expect(page.getByTestId("operator-email")).toHaveText(operatorA.admin_email);
});

for (const next of [
  "%2F%5Cevil.example%2F",
  "%2F%09%2Fevil.example%2F",
  "%2F%5C%2Fevil.example%2F",
  "%2F%2Fevil.example%2F",
]) {
  test(`after signing in, next=${next} stays on this origin`, async ({ page, baseURL }) => {
    const { operatorA } = e2eState();
    const visited: string[] = [];
    await page.route(
      (url) => url.hostname === "evil.example",
      (route) => {
        visited.push(route.request().url());
        return route.fulfill({ status: 200, contentType: "text/html", body: "<h1>evil</h1>" });
      },
    );
    await page.goto(`/login?next=${next}`);
    await page.getByLabel("Email").fill(operatorA.admin_email);
    await page.getByLabel("Password").fill(operatorA.admin_password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(`${baseURL}/issuers`);
    await expect(page.getByTestId("operator-email")).toHaveText(operatorA.admin_email);
    expect(visited).toEqual([]);
  });
}

test("after signing in, a same-origin next with a query is kept", async ({ page, baseURL }) => {
  const { operatorA } = e2eState();
  await page.goto(`/login?next=${encodeURIComponent("/issuers?status=deleted")}`);
  await page.getByLabel("Email").fill(operatorA.admin_email);
  await page.getByLabel("Password").fill(operatorA.admin_password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(`${baseURL}/issuers?status=deleted`);
});
