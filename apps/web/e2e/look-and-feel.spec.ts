import { expect, test } from "@playwright/test";
import { e2eState } from "./fixtures.ts";
import { screenshot, signIn } from "./helpers.ts";

test("keyboard only: sign in, reach the issuers, open the delete dialog and leave it with Escape", async ({ page }) => {
  const { operatorA } = e2eState();
  await page.goto("/login");
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Email")).toBeFocused();
  await page.keyboard.type(operatorA.admin_email);
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Password")).toBeFocused();
  await page.keyboard.type(operatorA.admin_password);
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/issuers$/);

  await page.getByRole("link", { name: "Create issuer" }).focus();
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/issuers\/new$/);
  await page.getByLabel("Name").focus();
  await page.keyboard.type(`Keyboard ${Date.now()}`);
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/issuers\/iss_/);

  await page.getByRole("button", { name: "Delete issuer" }).focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog");
  await expect(dialog).toBeVisible();
  // Focus moves into the dialog and Escape closes it without deleting.
  await expect(dialog.locator(":focus")).toHaveCount(1);
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(page.getByText("This issuer is deleted.")).toHaveCount(0);
});

test("on a phone-sized screen no page scrolls sideways", async ({ browser, request }, testInfo) => {
  const { operatorA } = e2eState();
  const created = await request.post(`/v1/accounts/${operatorA.account_id}/issuers`, {
    headers: { authorization: `Bearer ${operatorA.api_key}` },
    data: { name: `Phone ${Date.now()}` },
  });
  const issuer = await created.json();
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await signIn(page, operatorA);
  for (const path of ["/issuers", `/issuers/${issuer.id}`, `/issuers/${issuer.id}/auth-methods`, "/api-keys"]) {
    await page.goto(path);
    await expect(page.getByRole("main").getByRole("heading", { level: 1 })).toBeVisible();
    // Measured once loaded: spinners ("Loading…") are role=status.
    await expect(page.getByRole("status")).toHaveCount(0);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${path} scrolls sideways`).toBeLessThanOrEqual(0);
  }
  await page.goto("/issuers");
  await screenshot(page, testInfo, "issuers-list-phone");
  await context.close();
});

test("no font, script or asset is fetched from anywhere but this server", async ({ page, baseURL }) => {
  const { operatorA } = e2eState();
  const foreign: string[] = [];
  page.on("request", (req) => {
    const url = req.url();
    if (!url.startsWith(baseURL ?? "") && !url.startsWith("data:") && !url.startsWith("blob:")) foreign.push(url);
  });
  await signIn(page, operatorA);
  await page.getByRole("link", { name: "Create issuer" }).click();
  await page.getByLabel("Name").fill(`Offline ${Date.now()}`);
  await page.getByRole("button", { name: "Create issuer" }).click();
  await expect(page).toHaveURL(/\/issuers\/iss_/);
  await page.getByRole("link", { name: "Auth methods" }).click();
  await expect(page.getByRole("form", { name: "Add auth method" })).toBeVisible();
  await page.getByRole("link", { name: "API keys" }).click();
  await expect(page.getByRole("heading", { name: "API keys" })).toBeVisible();
  // The system font stack is in use (no web font was loaded).
  const fonts = await page.evaluate(() => [...document.fonts].map((f) => f.family));
  expect(fonts).toEqual([]);
  expect(foreign).toEqual([]);
});
