import { describe, expect, it } from "vitest";
import { mfaStep } from "./mfa.ts";

describe("mfaStep", () => {
  const step = (policy: "off" | "optional" | "required", offered: string[], enrolled: string[], satisfied = false) =>
    mfaStep({
      policy,
      offered: offered as never[],
      enrolled: enrolled as never[],
      satisfied,
    });

  it("off never asks, whatever is enrolled", () => {
    expect(step("off", ["totp"], ["totp"])).toBe("none");
  });
  it("asks an enrolled, offered factor under optional and required, unless already satisfied", () => {
    expect(step("optional", ["totp"], ["totp"])).toBe("challenge");
    expect(step("required", ["totp", "backup_codes"], ["backup_codes"])).toBe("challenge");
    expect(step("required", ["totp"], ["totp"], true)).toBe("none");
  });
  it("optional offers enrolment to a user without a factor, where the issuer offers one", () => {
    expect(step("optional", ["totp"], [])).toBe("offer");
    expect(step("optional", [], [])).toBe("none");
    // A factor the issuer no longer offers does not count.
    expect(step("optional", ["totp"], ["passkey"])).toBe("offer");
  });
  it("required enrols, or cannot finish when nothing can be enrolled", () => {
    expect(step("required", ["totp"], [])).toBe("enrol");
    expect(step("required", [], [])).toBe("unavailable");
  });
});
