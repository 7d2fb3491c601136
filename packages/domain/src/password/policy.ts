import type { z } from "zod";
import type { PasswordSettings } from "../auth-method/schema.ts";
import { DomainError } from "../errors.ts";

export type PasswordPolicy = z.output<typeof PasswordSettings>;

/** Each rule of a `password` auth method a password can break; named in the 400's `rule`. */
export type PasswordRule =
  | "min_length"
  | "max_length"
  | "require_uppercase"
  | "require_lowercase"
  | "require_digit"
  | "require_symbol"
  | "check_breached"
  | "history_count";

/** Longer passwords are refused outright, so hashing stays bounded (NIST SP 800-63B allows a cap ≥ 64). */
export const MAX_PASSWORD_LENGTH = 256;

export function weakPassword(rule: PasswordRule, message: string): DomainError {
  return new DomainError("weak_password", `password: ${message} (${rule})`, {
    param: "password",
    details: [{ param: "password", message }],
    extra: { rule },
  });
}

/** Length counts code points, so an emoji is one character, as a person counts. */
export function passwordLength(password: string): number {
  return [...password].length;
}

/**
 * The first rule of the policy the password breaks, as the contract's 400
 * `weak_password`; `isBreached` is the shipped list's lookup. The history rule
 * needs the stored hashes and is checked by the service.
 */
export function assertPasswordPolicy(
  password: string,
  policy: PasswordPolicy,
  isBreached: (password: string) => boolean,
): void {
  const length = passwordLength(password);
  if (length < policy.min_length) {
    throw weakPassword("min_length", `must be at least ${policy.min_length} characters`);
  }
  if (length > MAX_PASSWORD_LENGTH) {
    throw weakPassword("max_length", `must be at most ${MAX_PASSWORD_LENGTH} characters`);
  }
  if (policy.require_uppercase && !/\p{Lu}/u.test(password)) {
    throw weakPassword("require_uppercase", "must contain an upper-case letter");
  }
  if (policy.require_lowercase && !/\p{Ll}/u.test(password)) {
    throw weakPassword("require_lowercase", "must contain a lower-case letter");
  }
  if (policy.require_digit && !/\p{Nd}/u.test(password)) {
    throw weakPassword("require_digit", "must contain a digit");
  }
  if (policy.require_symbol && !/[^\p{L}\p{N}\s]/u.test(password)) {
    throw weakPassword("require_symbol", "must contain a symbol (a character that is not a letter, digit or space)");
  }
  if (policy.check_breached && isBreached(password)) {
    throw weakPassword("check_breached", "appears in a list of breached passwords; choose another");
  }
}
