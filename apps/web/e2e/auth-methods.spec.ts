import { expect, type Response, test } from "@playwright/test";
import { e2eState } from "./fixtures.ts";
import { screenshot, signIn } from "./helpers.ts";

test("add an OIDC method with a client secret: never in a page or a response; toggle it off; delete it", async ({
  page,
  request,
}, testInfo) => {
  const { operatorA } = e2eState();
  const secret = `oidc-secret-${Date.now()}-do-not-show`;
  const bodies: Promise<string>[] = [];
  page.on("response", (response: Response) => {
    bodies.push(response.text().catch(() => ""));
  });

  const created = await request.post(`/v1/accounts/${operatorA.account_id}/issuers`, {
    headers: { authorization: `Bearer ${operatorA.api_key}` },
    data: { name: `With Google ${Date.now()}` },
  });
  const issuer = await created.json();

  await signIn(page, operatorA);
  await page.goto(`/issuers/${issuer.id}`);
  await page.getByRole("link", { name: "Auth methods" }).click();
  await expect(page).toHaveURL(new RegExp(`/issuers/${issuer.id}/auth-methods$`));
  await expect(page.getByText("No auth methods yet")).toBeVisible();

  const form = page.getByRole("form", { name: "Add auth method" });
  await form.getByLabel("Type").selectOption("oidc");
  // The form shows what this type requires, from the domain's declaration.
  await expect(form.getByLabel("Issuer URL (required)")).toBeVisible();
  await expect(form.getByLabel("Client ID (required)")).toBeVisible();
  const secretInput = form.getByLabel("Client secret (required)");
  await expect(secretInput).toHaveAttribute("type", "password");
  await expect(form.getByLabel("RP ID (required)")).toHaveCount(0);

  await form.getByLabel("Name").fill("Google");
  await form.getByLabel("Issuer URL (required)").fill("https://accounts.google.com");
  await form.getByLabel("Client ID (required)").fill("1234.apps.googleusercontent.com");
  await secretInput.fill(secret);
  await screenshot(page, testInfo, "add-method-form");
  await form.getByRole("button", { name: "Add method" }).click();

  const card = page.getByRole("listitem").filter({ hasText: "Google" });
  await expect(card).toBeVisible();
  await expect(card.getByText("set", { exact: true })).toBeVisible();
  await expect(card).toContainText("1234.apps.googleusercontent.com");
  // Write-only: the form was cleared and no page holds the value.
  await expect(secretInput).toHaveValue("");
  expect(await page.content()).not.toContain(secret);
  await page.reload();
  await expect(card).toBeVisible();
  expect(await page.content()).not.toContain(secret);

  const login = card.getByRole("switch", { name: "Sign-in" });
  await expect(login).toHaveAttribute("aria-checked", "true");
  await login.click();
  await expect(login).toHaveAttribute("aria-checked", "false");
  await page.reload();
  await expect(
    page.getByRole("listitem").filter({ hasText: "Google" }).getByRole("switch", { name: "Sign-in" }),
  ).toHaveAttribute("aria-checked", "false");
  const methods = await request.get(`/v1/accounts/${operatorA.account_id}/issuers/${issuer.id}/auth-methods`, {
    headers: { authorization: `Bearer ${operatorA.api_key}` },
  });
  expect(methods.status()).toBe(200);
  expect((await methods.json()).data[0]).toMatchObject({ name: "Google", enabled_login: false });

  await card.getByRole("button", { name: "Delete Google" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete method" }).click();
  await expect(page.getByText("No auth methods yet")).toBeVisible();

  const all = await Promise.all(bodies);
  expect(all.length).toBeGreaterThan(5);
  for (const body of all) expect(body).not.toContain(secret);
});

test("a required field left empty is named by the schema's message", async ({ page, request }) => {
  const { operatorA } = e2eState();
  const created = await request.post(`/v1/accounts/${operatorA.account_id}/issuers`, {
    headers: { authorization: `Bearer ${operatorA.api_key}` },
    data: { name: `Passkeys ${Date.now()}` },
  });
  const issuer = await created.json();
  await signIn(page, operatorA);
  await page.goto(`/issuers/${issuer.id}/auth-methods`);
  const form = page.getByRole("form", { name: "Add auth method" });
  await form.getByLabel("Type").selectOption("passkey");
  await expect(form.getByLabel("RP ID (required)")).toBeVisible();
  await expect(form.getByLabel("Client secret (required)")).toHaveCount(0);
  await form.getByRole("button", { name: "Add method" }).click();
  await expect(form.getByLabel("RP ID (required)")).toHaveAttribute("aria-invalid", "true");
});

test("a toggle based on an old version shows “changed elsewhere — reload”", async ({ browser, request }) => {
  const { operatorA } = e2eState();
  const auth = { authorization: `Bearer ${operatorA.api_key}` };
  const issuer = await (
    await request.post(`/v1/accounts/${operatorA.account_id}/issuers`, {
      headers: auth,
      data: { name: `Toggles ${Date.now()}` },
    })
  ).json();
  const methods = `/v1/accounts/${operatorA.account_id}/issuers/${issuer.id}/auth-methods`;
  const created = await request.post(methods, {
    headers: auth,
    data: { name: "Password", method: "password", first_factor_only: true, settings: {} },
  });
  expect(created.status()).toBe(201);

  const first = await (await browser.newContext()).newPage();
  const second = await (await browser.newContext()).newPage();
  for (const page of [first, second]) {
    await signIn(page, operatorA);
    await page.goto(`/issuers/${issuer.id}/auth-methods`);
    await expect(page.getByRole("switch", { name: "Featured" }).first()).toBeEnabled();
  }
  const featured = (page: typeof first) =>
    page.getByRole("listitem").filter({ hasText: "Password" }).getByRole("switch", { name: "Featured" });
  await featured(first).click();
  await expect(featured(first)).toHaveAttribute("aria-checked", "true");

  await second.getByRole("listitem").filter({ hasText: "Password" }).getByRole("switch", { name: "Sign-up" }).click();
  await expect(second.getByText("Changed elsewhere — reload.")).toBeVisible();
  await second.getByRole("button", { name: "Reload" }).click();
  await expect(featured(second)).toHaveAttribute("aria-checked", "true");
  await expect(second.getByText("Changed elsewhere — reload.")).toHaveCount(0);
  const after = await (await request.get(methods, { headers: auth })).json();
  expect(after.data[0]).toMatchObject({ featured: true, enabled_signup: true });
});
