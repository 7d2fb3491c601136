import { describe, expect, test } from "vitest";
import { DomainError } from "../errors.ts";
import { parseBody } from "../input-safety.ts";
import { applyUserPatch as applyPatch, userChangeForCreate as changeFor, type UserChange } from "./rules.ts";
import { CreateUserInput, UpdateUserInput, type UserProfile } from "./schema.ts";

// The doors parse each body with the operation's schema (`parseBody`) before the rules see it;
// these tests send raw bodies through both, as a request does.
function userChangeForCreate(body: unknown): UserChange {
  return changeFor(parseBody(CreateUserInput, body));
}

function applyUserPatch(current: UserProfile, body: unknown): UserChange {
  return applyPatch(current, parseBody(UpdateUserInput, body));
}

function refused(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error("expected a DomainError");
}

describe("user rules", () => {
  test("an email or a phone number is needed", () => {
    expect(refused(() => userChangeForCreate({ name: "Nobody" })).param).toBe("email");
    expect(userChangeForCreate({ phone_number: "+14155550123" }).profile.email).toBeNull();
  });

  test.each([
    [{ email: "not-an-email" }, "email"],
    [{ email: `${"a".repeat(250)}@b.co` }, "email"],
    [{ phone_number: "4155550123" }, "phone_number"],
    [{ email: "a@example.com", picture: "http://example.com/a.png" }, "picture"],
    [{ email: "a@example.com", status: "deleted" }, "status"],
    [{ email: "a@example.com", password_hash: "x" }, "password_hash"],
    [{ email: "a@example.com", factors: [] }, "factors"],
  ])("refuses %j naming %s", (input, param) => {
    const error = refused(() => userChangeForCreate(input));
    expect(error.code).toBe("validation_failed");
    expect(error.param).toBe(param);
  });

  test("a changed email is no longer verified unless the PATCH says so", () => {
    const { profile } = userChangeForCreate({ email: "a@example.com", email_verified: true });
    expect(applyUserPatch(profile, { email: "A@Example.com" }).profile.email_verified).toBe(true);
    expect(applyUserPatch(profile, { email: "b@example.com" }).profile.email_verified).toBe(false);
    expect(applyUserPatch(profile, { email: "b@example.com", email_verified: true }).profile.email_verified).toBe(true);
    expect(refused(() => applyUserPatch(profile, { email: null })).param).toBe("email");
  });

  test("credentials are carried apart from the profile", () => {
    const change = userChangeForCreate({ email: "a@example.com", password: "secret words", temporary_password: true });
    expect(change.password).toBe("secret words");
    expect(change.temporaryPassword).toBe(true);
    expect(JSON.stringify(change.profile)).not.toContain("secret words");
  });
});
