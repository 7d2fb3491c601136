import { expect, type Response, test } from "@playwright/test";
import { e2eState } from "./fixtures.ts";
import { screenshot, signIn } from "./helpers.ts";

test("create a client: its secret is shown once, with a copy button; rotate; edit redirect URIs; delete", async ({
  page,
  request,
}, testInfo) => {
  const { operatorA } = e2eState();
  const bodies: Promise<string>[] = [];
  page.on("response", (response: Response) => {
    bodies.push(response.text().catch(() => ""));
  });
  const created = await request.post(`/v1/accounts/${operatorA.account_id}/issuers`, {
    headers: { authorization: `Bearer ${operatorA.api_key}` },
    data: { name: `With clients ${Date.now()}` },
  });
  const issuer = await created.json();

  await signIn(page, operatorA);
  await page.goto(`/issuers/${issuer.id}`);
  await page.getByRole("link", { name: "Clients" }).click();
  await expect(page).toHaveURL(new RegExp(`/issuers/${issuer.id}/clients$`));
  await expect(page.getByText("No clients yet")).toBeVisible();

  const form = page.getByRole("form", { name: "Create a client" });
  await form.getByLabel("Name").fill("Web app");
  await form.getByLabel("Application type").selectOption("web");
  await form.getByLabel("Redirect URIs").fill("https://app.example.com/callback");
  await form.getByRole("button", { name: "Create client" }).click();

  const once = page.getByTestId("client-secret-once");
  await expect(once).toBeVisible();
  await expect(once).toContainText("will not be shown again");
  await expect(once.getByRole("button", { name: "Copy secret" })).toBeVisible();
  const secret = (await page.getByTestId("client-secret").textContent()) ?? "";
  expect(secret).toMatch(/^cs_[0-9A-Za-z]{43}$/);
  await screenshot(page, testInfo, "client-secret-once");
  await once.getByRole("button", { name: "I have saved it" }).click();
  await expect(once).toHaveCount(0);
  expect(await page.content()).not.toContain(secret);

  const card = page.getByRole("listitem").filter({ hasText: "Web app" });
  await expect(card).toContainText("https://app.example.com/callback");
  await page.reload();
  await expect(card).toBeVisible();
  expect(await page.content()).not.toContain(secret);

  // Edit the redirect URIs (the save carries the client's ETag).
  await card.getByRole("button", { name: "Edit redirect URIs" }).click();
  await card.getByLabel("Redirect URIs", { exact: true }).fill("https://app.example.com/cb2\nhttp://localhost:3000/cb");
  await card.getByRole("button", { name: "Save redirect URIs" }).click();
  await expect(card).toContainText("https://app.example.com/cb2");
  await expect(card).toContainText("http://localhost:3000/cb");

  // Rotate with a grace period: a new secret, shown once; the old one still noted as working.
  await card.getByLabel("Rotation grace period").selectOption("3600");
  await card.getByRole("button", { name: "Rotate secret" }).click();
  await expect(once).toBeVisible();
  const rotated = (await page.getByTestId("client-secret").textContent()) ?? "";
  expect(rotated).toMatch(/^cs_/);
  expect(rotated).not.toBe(secret);
  await once.getByRole("button", { name: "I have saved it" }).click();
  await expect(card).toContainText("old secret works until");
  await page.reload();
  await expect(card).toBeVisible();
  expect(await page.content()).not.toContain(rotated);

  // Each secret reached the browser in exactly one response: the create and the rotate answers.
  const texts = await Promise.all(bodies);
  expect(texts.filter((t) => t.includes(secret))).toHaveLength(1);
  expect(texts.filter((t) => t.includes(rotated))).toHaveLength(1);

  await card.getByRole("button", { name: "Delete Web app" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete client" }).click();
  await expect(page.getByText("No clients yet")).toBeVisible();
});
