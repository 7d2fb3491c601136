import { describe, expect, it } from "vitest";
import { type PasskeySettings, relyingParty } from "./webauthn.ts";

const settings = (rp_id: string): PasskeySettings => ({
  rp_id,
  user_verification: "preferred",
  attestation: "none",
  authenticator_attachment: null,
});

describe("relyingParty", () => {
  it("takes the public URL's origin, and an rp_id that is its host or a parent domain of it", () => {
    expect(relyingParty(settings("login.example.com"), "Shop", "https://login.example.com/oidc/iss_1")).toEqual({
      ok: true,
      rp: {
        id: "login.example.com",
        name: "Shop",
        origin: "https://login.example.com",
        settings: settings("login.example.com"),
      },
    });
    const parent = relyingParty(settings("Example.com"), "Shop", "https://login.example.com:8443/oidc/iss_1");
    expect(parent).toMatchObject({ ok: true, rp: { id: "example.com", origin: "https://login.example.com:8443" } });
    expect(
      relyingParty({ ...settings("localhost"), rp_name: "Shop Login" }, "Shop", "http://localhost:3000"),
    ).toMatchObject({
      ok: true,
      rp: { name: "Shop Login" },
    });
  });

  it("refuses another site, a mere suffix of the name, and a top-level domain", () => {
    for (const rpId of ["example.org", "ample.com", "com", "sub.login.example.com"]) {
      const outcome = relyingParty(settings(rpId), "Shop", "https://login.example.com");
      expect(outcome.ok, rpId).toBe(false);
      expect(outcome.ok ? "" : outcome.message).toContain(`"${rpId}"`);
    }
  });
});
