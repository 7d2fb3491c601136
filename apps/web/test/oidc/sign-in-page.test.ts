import { parsed } from "@authpi/server/testing/bodies";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addAuthMethod, type OidcHarness, oidcHarness, relyingParty, startSignIn } from "./harness.ts";

/**
 * The sign-in page (api-contract §8): every method enabled for sign-in as an entry of its own,
 * `featured` first, the others in the order they were added; nothing of a disabled method.
 */
describe("the hosted sign-in page", () => {
  let h: OidcHarness;
  beforeAll(async () => {
    h = await oidcHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Where each step's form starts on the page (-1: absent). */
  const positions = (text: string, steps: string[]) =>
    steps.map((step) => text.search(new RegExp(`action="[^"]*/interaction/[^/"]+/${step}"`)));

  it("lists the enabled methods as their own forms, featured first", async () => {
    const issuerId = await h.newIssuer(); // password, not featured
    await addAuthMethod(h, issuerId, { method: "email_link" });
    await addAuthMethod(h, issuerId, { method: "email_otp", featured: true });
    const config = await relyingParty(h, issuerId);
    const { page } = await startSignIn(h, config);
    const [otp, login, link] = positions(page.text, ["email-code", "login", "email-link"]);
    expect(otp).toBeGreaterThan(-1);
    expect(login).toBeGreaterThan(otp as number);
    expect(link).toBeGreaterThan(login as number);
  });

  it("offers nothing of a method disabled for sign-in, and says so when nothing is left", async () => {
    const issuerId = await h.newIssuer();
    await addAuthMethod(h, issuerId, { method: "email_otp", enabled_login: false });
    const config = await relyingParty(h, issuerId);
    const { page } = await startSignIn(h, config);
    expect(positions(page.text, ["email-code"])).toEqual([-1]);
    expect(positions(page.text, ["login"])[0]).toBeGreaterThan(-1);

    const { value: bare } = await h.services.issuers.create(h.account.accountId, parsed.issuer({ name: "No methods" }));
    const empty = await startSignIn(h, await relyingParty(h, bare.id));
    expect(empty.page.text).toContain("No sign-in method is available here.");
    expect(empty.page.text).not.toContain("<form");
  });
});
