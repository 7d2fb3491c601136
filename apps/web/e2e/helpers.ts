import { expect, type Page, type TestInfo } from "@playwright/test";
import type { Operator } from "./fixtures.ts";

/** Signs in through the login form, as an operator would. */
export async function signIn(page: Page, operator: Operator): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Email").fill(operator.admin_email);
  await page.getByLabel("Password").fill(operator.admin_password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/issuers$/);
  await expect(page.getByTestId("operator-email")).toHaveText(operator.admin_email);
}

/** Saves a full-page screenshot as a test artifact (test-results/<test>/<name>.png). */
export async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: "image/png" });
}
