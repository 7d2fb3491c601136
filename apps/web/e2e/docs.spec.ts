import { expect, test } from "@playwright/test";
import { e2eState } from "./fixtures.ts";

const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost"]);

test("/docs renders the OpenAPI reference offline, and its 'try it' calls the running API", async ({
  page,
}, testInfo) => {
  // The machine is offline and the reference must not need the internet: any request
  // to another host (CDN script, web font, telemetry) is refused and fails the test.
  const external: string[] = [];
  await page.route("**/*", (route) => {
    if (LOCAL_HOSTS.has(new URL(route.request().url()).hostname)) return route.continue();
    external.push(route.request().url());
    return route.abort();
  });

  const { operatorA } = e2eState();
  const documentResponse = page.waitForResponse((r) => new URL(r.url()).pathname === "/v1/openapi.json");
  await page.goto("/docs");
  expect((await documentResponse).status()).toBe(200);
  await expect(page.getByRole("heading", { name: "AuthPI Control Plane API" })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole("heading", { name: "List Issuers" })).toBeVisible();
  await expect(
    page.getByRole("link", { name: /Create Auth Method/ }).or(page.getByText("Auth Methods").first()),
  ).toBeVisible();

  const screenshot = testInfo.outputPath("docs.png");
  await page.screenshot({ path: screenshot, fullPage: false });
  await testInfo.attach("docs", { path: screenshot, contentType: "image/png" });

  // "Try it": the API key in the reference's Bearer field, then List Issuers of the account.
  await page.getByPlaceholder("Token").first().fill(operatorA.api_key);
  await page.getByRole("button", { name: /Test Request.*get \/v1\/accounts\/\{account_id\}\/issuers\)/ }).click();
  const dialog = page.getByRole("dialog");
  const accountIdValue = dialog.locator('.code-input-lite__editor[aria-label=" Value"]').first();
  await accountIdValue.click();
  await page.keyboard.type(operatorA.account_id);

  const listPath = `/v1/accounts/${operatorA.account_id}/issuers`;
  const apiResponse = page.waitForResponse((r) => new URL(r.url()).pathname === listPath);
  await dialog.getByRole("button", { name: /^Send/ }).first().click();
  const response = await apiResponse;
  expect(response.status()).toBe(200);
  expect(response.request().headers().authorization).toBe(`Bearer ${operatorA.api_key}`);
  expect((await response.json()).object).toBe("list");
  await expect(dialog.getByText("200 OK")).toBeVisible();

  const tried = testInfo.outputPath("docs-try-it.png");
  await page.screenshot({ path: tried });
  await testInfo.attach("docs-try-it", { path: tried, contentType: "image/png" });

  expect(external, "requests that left the machine").toEqual([]);
});
