import { Metadata } from "../common.ts";
import { DomainError, parseOrThrow } from "../errors.ts";
import { mergePatch } from "../merge-patch.ts";
import type { CreateUserBody, UserPatch, UserProfile } from "./schema.ts";

/** What a create or PATCH asks of a user: its profile and the credentials to set, if any. */
export interface UserChange {
  profile: UserProfile;
  /** A new password (checked against the policy by the service). */
  password?: string;
  /** `true`: generate one; a string: set it. */
  temporaryPassword?: true | string;
}

function assertReachable(profile: UserProfile): void {
  if (profile.email === null && profile.phone_number === null) {
    throw new DomainError("validation_failed", "email: a user needs an email or a phone_number", {
      param: "email",
      details: [{ param: "email", message: "A user needs an email or a phone_number" }],
    });
  }
}

/** The lookup form of an email: unique per issuer case-insensitively, as the database index says. */
export function emailKey(email: string): string {
  return email.toLowerCase();
}

export function userChangeForCreate(body: CreateUserBody): UserChange {
  const profile: UserProfile = {
    email: body.email ?? null,
    phone_number: body.phone_number ?? null,
    email_verified: body.email_verified,
    phone_verified: body.phone_verified,
    name: body.name,
    given_name: body.given_name,
    family_name: body.family_name,
    picture: body.picture,
    status: body.status,
    metadata: body.metadata,
  };
  assertReachable(profile);
  return {
    profile,
    ...(body.password !== undefined ? { password: body.password } : {}),
    ...(body.temporary_password !== undefined ? { temporaryPassword: body.temporary_password } : {}),
  };
}

/**
 * Applies a PATCH to the current profile: fields replace, `metadata` merges
 * (RFC 7396). A changed email is no longer verified unless the PATCH says so.
 */
export function applyUserPatch(current: UserProfile, patch: UserPatch): UserChange {
  const email = patch.email === undefined ? current.email : patch.email;
  const emailChanged = (email === null ? null : email.toLowerCase()) !== current.email?.toLowerCase();
  const phone = patch.phone_number === undefined ? current.phone_number : patch.phone_number;
  const profile: UserProfile = {
    email,
    phone_number: phone,
    email_verified: patch.email_verified ?? (emailChanged ? false : current.email_verified),
    phone_verified: patch.phone_verified ?? (phone !== current.phone_number ? false : current.phone_verified),
    name: patch.name === undefined ? current.name : patch.name,
    given_name: patch.given_name === undefined ? current.given_name : patch.given_name,
    family_name: patch.family_name === undefined ? current.family_name : patch.family_name,
    picture: patch.picture === undefined ? current.picture : patch.picture,
    status: patch.status ?? current.status,
    metadata:
      patch.metadata === undefined
        ? current.metadata
        : parseOrThrow(Metadata, mergePatch(current.metadata, patch.metadata), ["metadata"]),
  };
  assertReachable(profile);
  return {
    profile,
    ...(patch.password !== undefined ? { password: patch.password } : {}),
    ...(patch.temporary_password !== undefined ? { temporaryPassword: patch.temporary_password } : {}),
  };
}
