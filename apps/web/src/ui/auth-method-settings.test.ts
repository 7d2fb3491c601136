import { AUTH_METHODS } from "@authpi/domain";
import type { AuthMethodForm } from "@authpi/trpc";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type TrpcHarness, trpcHarness } from "../../test/trpc-harness.ts";
import { createSettings, createValues, editSettingsPatch, editValues, immutableKeys } from "./auth-method-settings.ts";

// The forms as the admin UI receives them, over the tRPC HTTP door.
let h: TrpcHarness;
let forms: AuthMethodForm[];
beforeAll(async () => {
  h = await trpcHarness();
  forms = await h.client(() => ({ authorization: `Bearer ${h.account.apiKey}` })).authMethods.forms.query();
});
afterAll(() => h.close());

const formOf = (method: string) => {
  const form = forms.find((f) => f.method === method);
  if (!form) throw new Error(`no form for ${method}`);
  return form;
};

test("the editor's read-only keys are exactly the domain's immutable keys, for every type", () => {
  expect(forms).toHaveLength(Object.keys(AUTH_METHODS).length);
  for (const form of forms) {
    expect([...immutableKeys(form)].sort(), form.method).toEqual([...AUTH_METHODS[form.method].immutableKeys].sort());
  }
  expect(immutableKeys(formOf("oidc"))).toEqual(expect.arrayContaining(["issuer_url", "client_id", "client_secret"]));
  expect(immutableKeys(formOf("password"))).toEqual([]);
});

test("an unchanged edit sends nothing; a changed number sends just that key", () => {
  const form = formOf("password");
  const settings = { min_length: 12, check_breached: true };
  const values = editValues(form, "Password", settings);
  expect(values.min_length).toBe("12");
  expect(editSettingsPatch(form, settings, values)).toEqual({});
  expect(editSettingsPatch(form, settings, { ...values, min_length: "16" })).toEqual({ min_length: 16 });
  // Not a number: sent as typed, so the schema's message names the field.
  expect(editSettingsPatch(form, settings, { ...values, min_length: "sixteen" })).toEqual({ min_length: "sixteen" });
  expect(editSettingsPatch(form, settings, { ...values, check_breached: false })).toEqual({ check_breached: false });
});

test("an emptied field is reset with null; a list is edited as words", () => {
  const form = formOf("oidc");
  const settings = {
    issuer_url: "https://accounts.google.com",
    client_id: "abc",
    scopes: ["openid", "email"],
  };
  const values = editValues(form, "Google", settings);
  expect(values.scopes).toBe("openid email");
  expect(editSettingsPatch(form, settings, values)).toEqual({});
  expect(editSettingsPatch(form, settings, { ...values, scopes: "openid, email profile" })).toEqual({
    scopes: ["openid", "email", "profile"],
  });
  expect(editSettingsPatch(form, settings, { ...values, scopes: "  " })).toEqual({ scopes: null });
});

test("immutable keys are never sent, and a write-only secret is sent only when typed", () => {
  const oidc = formOf("oidc");
  const settings = { issuer_url: "https://accounts.google.com", client_id: "abc" };
  const values = editValues(oidc, "Google", settings);
  expect(values.client_secret).toBe("");
  expect(
    editSettingsPatch(oidc, settings, { ...values, client_id: "changed", issuer_url: "https://x", client_secret: "s" }),
  ).toEqual({});
});

test("a new method sends only what was filled in", () => {
  const form = formOf("password");
  const values = createValues(form);
  expect(createSettings(form, values)).toEqual({});
  expect(createSettings(form, { ...values, min_length: "10" })).toEqual({ min_length: 10 });
});
