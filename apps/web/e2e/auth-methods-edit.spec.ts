import { expect, type Page, test } from "@playwright/test";
import { e2eState } from "./fixtures.ts";
import { screenshot, signIn } from "./helpers.ts";

const auth = () => ({ authorization: `Bearer ${e2eState().operatorA.api_key}` });

async function issuerWith(request: Page["request"], method: Record<string, unknown>) {
  const { operatorA } = e2eState();
  const issuer = await (
    await request.post(`/v1/accounts/${operatorA.account_id}/issuers`, {
      headers: auth(),
      data: { name: `Edit ${Date.now()}` },
    })
  ).json();
  const base = `/v1/accounts/${operatorA.account_id}/issuers/${issuer.id}/auth-methods`;
  const created = await request.post(base, { headers: auth(), data: method });
  expect(created.status()).toBe(201);
  const body = await created.json();
  return { issuerId: issuer.id as string, url: `${base}/${body.id}` };
}

test("edit a password method's minimum length and name in the UI; the API reads them back", async ({
  page,
}, testInfo) => {
  const { operatorA } = e2eState();
  const { issuerId, url } = await issuerWith(page.request, {
    name: "Password",
    method: "password",
    first_factor_only: true,
    settings: { min_length: 12 },
  });
  await signIn(page, operatorA);
  await page.goto(`/issuers/${issuerId}/auth-methods`);
  await page.getByRole("button", { name: "Edit Password" }).click();

  const form = page.getByRole("form", { name: "Edit Password" });
  // What cannot change is shown, read-only.
  await expect(form.getByLabel("Type")).toHaveValue("Password");
  await expect(form.getByLabel("Type")).not.toBeEditable();
  await expect(form.getByLabel("First factor only")).not.toBeEditable();
  await expect(form.getByLabel(/^Min length/)).toHaveValue("12");
  await form.getByLabel(/^Min length/).fill("16");
  await form.getByLabel("Name").fill("Passwords (16+)");
  await screenshot(page, testInfo, "edit-password-method");
  await form.getByRole("button", { name: "Save changes" }).click();
  await expect(form).toHaveCount(0);
  await expect(page.getByRole("listitem").filter({ hasText: "Passwords (16+)" })).toContainText("16");

  const stored = await (await page.request.get(url, { headers: auth() })).json();
  expect(stored).toMatchObject({ name: "Passwords (16+)", settings: { min_length: 16 } });

  // A value the schema refuses is named at its field, and nothing is saved.
  await page.getByRole("button", { name: "Edit Passwords (16+)" }).click();
  const again = page.getByRole("form", { name: "Edit Passwords (16+)" });
  await again.getByLabel(/^Min length/).fill("4");
  await again.getByRole("button", { name: "Save changes" }).click();
  await expect(again.getByLabel(/^Min length/)).toHaveAttribute("aria-invalid", "true");
  expect((await (await page.request.get(url, { headers: auth() })).json()).settings.min_length).toBe(16);
});

test("a federated method: credentials are read-only, the secret shows only “set”, scopes are editable", async ({
  page,
}) => {
  const { operatorA } = e2eState();
  const secret = `edit-secret-${Date.now()}-never-shown`;
  const { issuerId, url } = await issuerWith(page.request, {
    name: "Google",
    method: "oidc",
    first_factor_only: true,
    settings: { issuer_url: "https://accounts.google.com", client_id: "my-client", client_secret: secret },
  });
  await signIn(page, operatorA);
  await page.goto(`/issuers/${issuerId}/auth-methods`);
  await page.getByRole("button", { name: "Edit Google" }).click();
  const form = page.getByRole("form", { name: "Edit Google" });
  await expect(form.getByLabel("Client ID")).toHaveValue("my-client");
  await expect(form.getByLabel("Client ID")).not.toBeEditable();
  await expect(form.getByLabel("Issuer URL")).not.toBeEditable();
  await expect(form.getByText("set", { exact: true })).toBeVisible();
  expect(await page.content()).not.toContain(secret);

  await form.getByLabel("Scopes").fill("openid email");
  await form.getByRole("button", { name: "Save changes" }).click();
  await expect(form).toHaveCount(0);
  const stored = await (await page.request.get(url, { headers: auth() })).json();
  expect(stored).toMatchObject({ settings: { scopes: ["openid", "email"], client_id: "my-client" } });
  expect(stored.secrets_set).toEqual(["client_secret"]);
});

test("an edit based on an old version shows “changed elsewhere — reload” and overwrites nothing", async ({ page }) => {
  const { operatorA } = e2eState();
  const { issuerId, url } = await issuerWith(page.request, {
    name: "Password",
    method: "password",
    first_factor_only: true,
    settings: {},
  });
  await signIn(page, operatorA);
  await page.goto(`/issuers/${issuerId}/auth-methods`);
  await page.getByRole("button", { name: "Edit Password" }).click();
  const form = page.getByRole("form", { name: "Edit Password" });
  await form.getByLabel(/^Min length/).fill("20");

  // Someone else changes it meanwhile.
  const elsewhere = await page.request.patch(url, { headers: auth(), data: { settings: { min_length: 14 } } });
  expect(elsewhere.status()).toBe(200);

  await form.getByRole("button", { name: "Save changes" }).click();
  await expect(form.getByText("Changed elsewhere — reload.")).toBeVisible();
  expect((await (await page.request.get(url, { headers: auth() })).json()).settings.min_length).toBe(14);

  await form.getByRole("button", { name: "Reload" }).click();
  await expect(form.getByLabel(/^Min length/)).toHaveValue("14");
  await form.getByLabel(/^Min length/).fill("20");
  await form.getByRole("button", { name: "Save changes" }).click();
  await expect(form).toHaveCount(0);
  expect((await (await page.request.get(url, { headers: auth() })).json()).settings.min_length).toBe(20);
});
