import { describe, expect, test } from "vitest";
import { claimsForScopes, releaseClaims } from "./claims.ts";
import { refreshTokenTtl } from "./session.ts";
import { signupOffered, signupRefusal, verificationRequired } from "./signup.ts";

describe("claims by scope", () => {
  test("sub always; each scope its own claims; unknown scopes nothing", () => {
    expect([...claimsForScopes([])]).toEqual(["sub"]);
    expect([...claimsForScopes(["openid", "email", "custom:read"])].sort()).toEqual(["email", "email_verified", "sub"]);
    expect(claimsForScopes(["profile"]).has("updated_at")).toBe(true);
    expect(claimsForScopes(["phone"]).has("phone_verified")).toBe(true);
  });

  test("releases only granted, defined values", () => {
    const values = { sub: "usr_1", email: "a@example.com", email_verified: true, name: "Ada", phone_number: undefined };
    expect(releaseClaims(values, ["openid", "email", "phone"])).toEqual({
      sub: "usr_1",
      email: "a@example.com",
      email_verified: true,
    });
  });
});

describe("refresh token lifetime", () => {
  const policy = { lifetime_seconds: 1000, idle_timeout_seconds: 100 };
  test("the idle timeout, while the chain has longer left", () => {
    expect(refreshTokenTtl(policy, 0, 10)).toBe(100);
  });
  test("never past the end of the chain", () => {
    expect(refreshTokenTtl(policy, 0, 950)).toBe(50);
    expect(refreshTokenTtl(policy, 0, 1200)).toBe(0);
  });
  test("without an idle timeout, the rest of the chain", () => {
    expect(refreshTokenTtl({ lifetime_seconds: 1000, idle_timeout_seconds: null }, 0, 400)).toBe(600);
  });
});

describe("signup policy", () => {
  const open = { mode: "open" as const, allowed_email_domains: [], require_email_verification: true };
  test("only open offers sign-up", () => {
    expect(signupOffered(open)).toBe(true);
    expect(signupRefusal({ ...open, mode: "invite_only" }, "a@x.example")).toBe("signup_closed");
    expect(signupRefusal({ ...open, mode: "closed" }, "a@x.example")).toBe("signup_closed");
  });
  test("allowed domains, case-insensitively, exact domain only", () => {
    const limited = { ...open, allowed_email_domains: ["corp.example"] };
    expect(signupRefusal(limited, "me@CORP.example")).toBeNull();
    expect(signupRefusal(limited, "me@evil-corp.example")).toBe("email_domain_not_allowed");
    expect(signupRefusal(limited, "me@sub.corp.example")).toBe("email_domain_not_allowed");
  });
  test("verification holds unverified emails only when required", () => {
    expect(verificationRequired(open, { email: "a@x.example", email_verified: false })).toBe(true);
    expect(verificationRequired(open, { email: "a@x.example", email_verified: true })).toBe(false);
    expect(
      verificationRequired(
        { ...open, require_email_verification: false },
        { email: "a@x.example", email_verified: false },
      ),
    ).toBe(false);
    expect(verificationRequired(open, { email: null, email_verified: false })).toBe(false);
  });
});
