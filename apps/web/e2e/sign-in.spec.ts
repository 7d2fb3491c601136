import { expect, test } from "@playwright/test";
import { e2eState } from "./fixtures.ts";
import { signIn } from "./helpers.ts";

test("the bootstrap operator signs in; a wrong password is a clear error; signed out is redirected", async ({
  page,
  context,
}) => {
  const { operatorA } = e2eState();

  // Signed out: an admin page sends you to the login form.
  await page.goto("/issuers");
  await expect(page).toHaveURL(/\/login\?next=%2Fissuers$/);
  await expect(page.getByRole("heading", { name: "Sign in to the admin console" })).toBeVisible();

  await page.getByLabel("Email").fill(operatorA.admin_email);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "The email or password is incorrect" })).toBeVisible();
  expect((await context.cookies()).find((c) => c.name === "authpi_session")).toBeUndefined();

  await signIn(page, operatorA);
  const cookie = (await context.cookies()).find((c) => c.name === "authpi_session");
  expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/" });
  // The session cookie is invisible to scripts.
  expect(await page.evaluate(() => document.cookie)).not.toContain("authpi_session");

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/api-keys");
  await expect(page).toHaveURL(/\/login\?next=%2Fapi-keys$/);
});

test("a stale session cookie is sent back to the login form", async ({ page, context, baseURL }) => {
  await context.addCookies([{ name: "authpi_session", value: "x".repeat(43), url: baseURL ?? "" }]);
  await page.goto("/issuers");
  await expect(page).toHaveURL(/\/login\?next=%2Fissuers$/);
});

test("a session ended elsewhere sends the next action to the login form, then back", async ({
  page,
  context,
  request,
}) => {
  const { operatorA } = e2eState();
  await signIn(page, operatorA);
  await page.getByRole("link", { name: "API keys" }).click();
  await expect(page).toHaveURL(/\/api-keys$/);
  const session = (await context.cookies()).find((c) => c.name === "authpi_session");
  // Sign this session out from another client: the server deletes it.
  const signOut = await request.post("/api/trpc/auth.signOut", {
    headers: { cookie: `authpi_session=${session?.value}` },
    data: {},
  });
  expect(signOut.status()).toBe(200);

  await page.getByLabel("Key name").fill("after sign-out");
  await page.getByRole("button", { name: "Create key" }).click();
  await expect(page).toHaveURL(/\/login\?next=%2Fapi-keys$/);
  await page.getByLabel("Email").fill(operatorA.admin_email);
  await page.getByLabel("Password").fill(operatorA.admin_password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/api-keys$/);
  await expect(page.getByRole("row").filter({ hasText: "after sign-out" })).toHaveCount(0);
});
