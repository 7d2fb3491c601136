import { expect, test } from "@playwright/test";
import { e2eState } from "./fixtures.ts";
import { screenshot, signIn } from "./helpers.ts";

test("create an issuer, edit its session lifetime, see it in the list; delete, find under deleted, restore", async ({
  page,
}, testInfo) => {
  const { operatorA } = e2eState();
  await signIn(page, operatorA);
  const name = `Staging ${Date.now()}`;

  await page.getByRole("link", { name: "Create issuer" }).click();
  await expect(page).toHaveURL(/\/issuers\/new$/);
  // A validation message from the domain schema, next to its field.
  await page.getByRole("button", { name: "Create issuer" }).click();
  await expect(page.getByText("Must not be empty")).toBeVisible();
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Description").fill("Pre-production users");
  await page.getByRole("button", { name: "Create issuer" }).click();
  await expect(page).toHaveURL(/\/issuers\/iss_[0-9A-Z]{26}$/);
  await expect(page.getByRole("heading", { name })).toBeVisible();
  const issuerUrl = page.url();

  const lifetime = page.getByLabel("Session lifetime (seconds)");
  await expect(lifetime).toHaveValue("1209600");
  await lifetime.fill("120");
  await page.getByRole("button", { name: "Save changes" }).click();
  // The domain schema's own message, under the field it names.
  await expect(lifetime).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByText("Too small: expected number to be >=300")).toBeVisible();
  await lifetime.fill("3600");
  await page.getByLabel("Idle timeout (seconds)").fill("600");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await expect(lifetime).toHaveAttribute("aria-invalid", "false");
  await page.reload();
  await expect(page.getByLabel("Session lifetime (seconds)")).toHaveValue("3600");
  await expect(page.getByLabel("Idle timeout (seconds)")).toHaveValue("600");
  await screenshot(page, testInfo, "issuer-detail");

  await page.getByRole("link", { name: "Issuers", exact: true }).first().click();
  await expect(page).toHaveURL(/\/issuers$/);
  const row = page.getByRole("row").filter({ hasText: name });
  await expect(row).toBeVisible();
  await expect(row.getByText("active")).toBeVisible();
  await screenshot(page, testInfo, "issuers-list");

  await page.goto(issuerUrl);
  await page.getByRole("button", { name: "Delete issuer" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toContainText(`Delete ${name}?`);
  await dialog.getByRole("button", { name: "Delete issuer" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText("This issuer is deleted.")).toBeVisible();

  await page.goto("/issuers");
  await expect(page.getByRole("row").filter({ hasText: name })).toHaveCount(0);
  await page.getByLabel("Status").selectOption("deleted");
  const deletedRow = page.getByRole("row").filter({ hasText: name });
  await expect(deletedRow).toBeVisible();
  await deletedRow.getByRole("button", { name: `Restore ${name}` }).click();
  await expect(deletedRow).toHaveCount(0);
  await page.getByLabel("Status").selectOption("");
  await expect(page.getByRole("row").filter({ hasText: name }).getByText("active")).toBeVisible();
});

test("an edit based on an old version shows “changed elsewhere — reload”, never a silent overwrite", async ({
  browser,
}) => {
  const { operatorA } = e2eState();
  const first = await (await browser.newContext()).newPage();
  const second = await (await browser.newContext()).newPage();
  await signIn(first, operatorA);
  await signIn(second, operatorA);

  await first.getByRole("link", { name: "Create issuer" }).click();
  await first.getByLabel("Name").fill(`Concurrent ${Date.now()}`);
  await first.getByRole("button", { name: "Create issuer" }).click();
  await expect(first).toHaveURL(/\/issuers\/iss_/);
  await second.goto(first.url());

  await first.getByLabel("Display name").fill("Saved first");
  await first.getByRole("button", { name: "Save changes" }).click();
  await expect(first.getByText("Saved.")).toBeVisible();

  await second.getByLabel("Display name").fill("Saved second");
  await second.getByRole("button", { name: "Save changes" }).click();
  await expect(second.getByText("Changed elsewhere — reload.")).toBeVisible();
  await second.getByRole("button", { name: "Reload" }).click();
  await expect(second.getByLabel("Display name")).toHaveValue("Saved first");
});

test("the list pages newest first", async ({ page, request }) => {
  const { operatorB } = e2eState();
  const auth = { authorization: `Bearer ${operatorB.api_key}` };
  for (let i = 0; i < 22; i++) {
    const created = await request.post(`/v1/accounts/${operatorB.account_id}/issuers`, {
      headers: auth,
      data: { name: `Paged ${String(i).padStart(2, "0")}` },
    });
    expect(created.status()).toBe(201);
  }
  await signIn(page, operatorB);
  await expect(page.getByRole("row").nth(1)).toContainText("Paged 21");
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByText("Page 2")).toBeVisible();
  await expect(page.getByRole("row").filter({ hasText: "Paged 00" })).toBeVisible();
  await page.getByRole("button", { name: "Previous" }).click();
  await expect(page.getByRole("row").nth(1)).toContainText("Paged 21");
});
