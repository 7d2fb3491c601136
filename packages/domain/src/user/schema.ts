import { z } from "zod";
import { httpsUrl, ListLimit, listOf, Metadata, Timestamp } from "../common.ts";

export const USER_STATUSES = ["active", "blocked"] as const;
export const UserStatus = z
  .enum(USER_STATUSES)
  .describe("`blocked`: cannot sign in, and its refresh tokens stop working.");
export type UserStatus = z.infer<typeof UserStatus>;

export const FACTOR_TYPES = ["totp", "passkey", "backup_codes"] as const;
export type FactorType = (typeof FACTOR_TYPES)[number];

export const Email = z
  .string()
  .max(254, "Must be at most 254 characters")
  .pipe(z.email("Must be an email address"))
  .describe("Stored as given, compared case-insensitively; unique per issuer.");

export const PhoneNumber = z
  .string()
  .regex(/^\+[1-9][0-9]{1,14}$/, "Must be an E.164 phone number like +14155550123")
  .describe("E.164; unique per issuer.");

const PersonName = z.string().trim().max(200, "Must be at most 200 characters").nullable();

export const Password = z
  .string()
  .min(1, "Must not be empty")
  .max(1024, "Must be at most 1024 characters")
  .describe("Write-only; must satisfy the issuer's password auth method. Stored as an argon2id hash.");

export const TemporaryPassword = z
  .union([z.literal(true), Password])
  .describe(
    "Write-only. `true`: the server generates one (the temporary_password method's `length`) and returns it once, as `temporary_password` of this response; a string sets it.",
  );

/** Profile fields, shared by create and PATCH. */
const profileFields = {
  email_verified: z.boolean(),
  phone_verified: z.boolean(),
  name: PersonName,
  given_name: PersonName,
  family_name: PersonName,
  picture: httpsUrl().nullable().describe("Null or an https URL."),
  status: UserStatus,
  metadata: Metadata,
};

export const CreateUserInput = z
  .strictObject({
    email: Email.optional(),
    phone_number: PhoneNumber.optional(),
    email_verified: profileFields.email_verified.default(false),
    phone_verified: profileFields.phone_verified.default(false),
    name: profileFields.name.default(null),
    given_name: profileFields.given_name.default(null),
    family_name: profileFields.family_name.default(null),
    picture: profileFields.picture.default(null),
    status: profileFields.status.default("active"),
    password: Password.optional(),
    temporary_password: TemporaryPassword.optional(),
    metadata: profileFields.metadata.default({}),
  })
  .meta({ id: "CreateUserRequest" });
export type CreateUserInput = z.input<typeof CreateUserInput>;
/** A parsed create body, defaults filled in. */
export type CreateUserBody = z.output<typeof CreateUserInput>;

/** PATCH body: every field optional; `null` clears email or phone (one must remain); metadata merges. */
export const UpdateUserInput = z
  .strictObject({
    email: Email.nullable().optional(),
    phone_number: PhoneNumber.nullable().optional(),
    email_verified: profileFields.email_verified.optional(),
    phone_verified: profileFields.phone_verified.optional(),
    name: profileFields.name.optional(),
    given_name: profileFields.given_name.optional(),
    family_name: profileFields.family_name.optional(),
    picture: profileFields.picture.optional(),
    status: profileFields.status.optional(),
    password: Password.optional(),
    temporary_password: TemporaryPassword.optional(),
    metadata: z.record(z.string(), z.unknown()).optional().describe("Merge patch of metadata; null removes a key."),
  })
  .meta({ id: "UpdateUserRequest" });
export type UpdateUserInput = z.input<typeof UpdateUserInput>;
/** A parsed PATCH body: the keys it sent, and only those (`null` clears, absent keeps). */
export type UserPatch = z.output<typeof UpdateUserInput>;

/** A user's profile as stored (everything but credentials, factors and identities). */
export interface UserProfile {
  email: string | null;
  phone_number: string | null;
  email_verified: boolean;
  phone_verified: boolean;
  name: string | null;
  given_name: string | null;
  family_name: string | null;
  picture: string | null;
  status: UserStatus;
  metadata: Record<string, string>;
}

export const UserFactor = z
  .object({
    id: z.string().describe("`fac_` + ULID."),
    type: z.enum(FACTOR_TYPES),
    name: z.string(),
    created_at: Timestamp,
    last_used_at: Timestamp.nullable(),
  })
  .meta({ id: "UserFactor" });
export type UserFactor = z.infer<typeof UserFactor>;

export const UserIdentity = z
  .object({
    auth_method_id: z.string(),
    method: z.string().describe("The federated auth method's type (`oidc`, `github`, …)."),
    subject: z.string().describe("The user's id at the upstream provider."),
  })
  .meta({ id: "UserIdentity" });
export type UserIdentity = z.infer<typeof UserIdentity>;

export const User = z
  .object({
    object: z.literal("user"),
    id: z.string().describe("`usr_` + ULID; also the `sub` of the user's tokens."),
    issuer_id: z.string(),
    email: z.string().nullable(),
    email_verified: z.boolean(),
    phone_number: z.string().nullable(),
    phone_verified: z.boolean(),
    name: z.string().nullable(),
    given_name: z.string().nullable(),
    family_name: z.string().nullable(),
    picture: z.string().nullable(),
    status: UserStatus,
    password_set: z.boolean().describe("Whether the user has a password (never returned)."),
    temporary_password_expires_at: Timestamp.nullable().describe(
      "Until when a pending temporary password works; null when none is pending.",
    ),
    factors: z.array(UserFactor).describe("Second factors the user enrolled; read-only."),
    identities: z.array(UserIdentity).describe("Upstream identities linked to the user; read-only."),
    metadata: z.record(z.string(), z.string()),
    created_at: Timestamp,
    updated_at: Timestamp,
    last_sign_in_at: Timestamp.nullable(),
  })
  .meta({ id: "User" });
export type User = z.infer<typeof User>;

/**
 * The answer to a create or PATCH: the user, plus the generated temporary
 * password when `temporary_password: true` asked for one (shown this once;
 * null in an idempotent replay).
 */
export const UserWithTemporaryPassword = User.extend({
  temporary_password: z
    .string()
    .nullable()
    .optional()
    .describe("Only when `temporary_password: true` was sent: the generated password, shown this once."),
}).meta({ id: "UserWithTemporaryPassword" });
export type UserWithTemporaryPassword = z.infer<typeof UserWithTemporaryPassword>;

export const UserList = listOf(User).meta({ id: "UserList" });
export type UserList = z.infer<typeof UserList>;

export const ListUsersQuery = z.strictObject({
  limit: ListLimit,
  cursor: z.string().max(64).optional().describe("Pagination cursor (user ID from the previous page)"),
  email: z.string().max(254).optional().describe("Only the user with this email (exact, case-insensitive)."),
  status: UserStatus.optional().describe("Only users of this status."),
});
export type ListUsersQuery = z.infer<typeof ListUsersQuery>;

/**
 * A pool user as the OpenID Provider reads it: every field of the contract's
 * user, and whether a password is set — never the hash.
 */
export interface PoolUser {
  id: string;
  issuerId: string;
  email: string | null;
  emailVerified: boolean;
  phoneNumber: string | null;
  phoneVerified: boolean;
  name: string | null;
  givenName: string | null;
  familyName: string | null;
  picture: string | null;
  status: UserStatus;
  passwordSet: boolean;
  temporaryPasswordExpiresAt: Date | null;
  factors: UserFactor[];
  identities: UserIdentity[];
  metadata: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
  lastSignInAt: Date | null;
}
