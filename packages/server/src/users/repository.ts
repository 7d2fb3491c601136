import type { UserModel } from "@authpi/db";
import {
  type PoolUser,
  toTimestamp,
  type User,
  type UserFactor,
  type UserIdentity,
  type UserProfile,
  User as UserSchema,
  type UserStatus,
} from "@authpi/domain";
import type { QueryResultRow } from "pg";
import type { UpstreamIdentity } from "../oidc/directory.ts";
import { type Sql, type Statement, statement } from "../sql.ts";

/** The unique indexes of `users`, by the name the migration gives them. */
export const USER_INDEXES = {
  email: "users_issuer_id_lower_email_key",
  phone: "users_issuer_id_phone_number_key",
} as const;

export type UserColumns = UserModel;

/** A user's row with its factors (ordered by id) and identities (oldest first), as the API objects need them. */
export type UserRow = UserModel & {
  factors: { id: string; type: string; name: string; createdAt: Date; lastUsedAt: Date | null }[];
  identities: { authMethodId: string; subject: string; method: string }[];
};

function factorsOf(row: UserRow): UserFactor[] {
  return row.factors.map((f) => ({
    id: f.id,
    type: f.type as UserFactor["type"],
    name: f.name,
    created_at: toTimestamp(f.createdAt),
    last_used_at: f.lastUsedAt ? toTimestamp(f.lastUsedAt) : null,
  }));
}

function identitiesOf(row: UserRow): UserIdentity[] {
  return row.identities.map((i) => ({
    auth_method_id: i.authMethodId,
    method: i.method,
    subject: i.subject,
  }));
}

/** A temporary password counts as pending only until it expires. */
function pendingTemporaryPassword(row: UserColumns, now: Date): Date | null {
  if (row.temporaryPasswordHash === null || row.temporaryPasswordExpiresAt === null) return null;
  return row.temporaryPasswordExpiresAt.getTime() > now.getTime() ? row.temporaryPasswordExpiresAt : null;
}

/** The response allowlist: a row becomes an API object only through the schema; no hash is ever copied. */
export function toUser(row: UserRow, now: Date): User {
  const pending = pendingTemporaryPassword(row, now);
  return UserSchema.parse({
    object: "user",
    id: row.id,
    issuer_id: row.issuerId,
    email: row.email,
    email_verified: row.emailVerified,
    phone_number: row.phoneNumber,
    phone_verified: row.phoneVerified,
    name: row.name,
    given_name: row.givenName,
    family_name: row.familyName,
    picture: row.picture,
    status: row.status,
    password_set: row.passwordHash !== null,
    temporary_password_expires_at: pending ? toTimestamp(pending) : null,
    factors: factorsOf(row),
    identities: identitiesOf(row),
    metadata: row.metadata,
    created_at: toTimestamp(row.createdAt),
    updated_at: toTimestamp(row.updatedAt),
    last_sign_in_at: row.lastSignInAt ? toTimestamp(row.lastSignInAt) : null,
  });
}

/** What the OpenID Provider reads: the user's fields and whether a password is set, never a hash. */
export function toPoolUser(row: UserRow, now: Date): PoolUser {
  const user = toUser(row, now);
  return {
    id: row.id,
    issuerId: row.issuerId,
    email: row.email,
    emailVerified: row.emailVerified,
    phoneNumber: row.phoneNumber,
    phoneVerified: row.phoneVerified,
    name: row.name,
    givenName: row.givenName,
    familyName: row.familyName,
    picture: row.picture,
    status: row.status as UserStatus,
    passwordSet: row.passwordHash !== null,
    temporaryPasswordExpiresAt: pendingTemporaryPassword(row, now),
    factors: user.factors,
    identities: user.identities,
    metadata: user.metadata,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    lastSignInAt: row.lastSignInAt,
  };
}

export function toProfile(row: UserColumns): UserProfile {
  return {
    email: row.email,
    phone_number: row.phoneNumber,
    email_verified: row.emailVerified,
    phone_verified: row.phoneVerified,
    name: row.name,
    given_name: row.givenName,
    family_name: row.familyName,
    picture: row.picture,
    status: row.status as UserStatus,
    metadata: row.metadata as Record<string, string>,
  };
}

/** The columns of a user, named as the row type names them, with its factors and identities. */
const COLUMNS = `u.id, u.issuer_id AS "issuerId", u.email, u.email_verified AS "emailVerified",
  u.phone_number AS "phoneNumber", u.phone_verified AS "phoneVerified", u.name, u.given_name AS "givenName",
  u.family_name AS "familyName", u.picture, u.status, u.password_hash AS "passwordHash",
  u.password_history AS "passwordHistory", u.temporary_password_hash AS "temporaryPasswordHash",
  u.temporary_password_expires_at AS "temporaryPasswordExpiresAt", u.metadata, u.version,
  u.created_at AS "createdAt", u.updated_at AS "updatedAt", u.last_sign_in_at AS "lastSignInAt",
  COALESCE((SELECT json_agg(json_build_object('id', f.id, 'type', f.type, 'name', f.name,
      'createdAt', f.created_at, 'lastUsedAt', f.last_used_at) ORDER BY f.id)
    FROM user_factors f WHERE f.user_id = u.id), '[]'::json) AS factors,
  COALESCE((SELECT json_agg(json_build_object('authMethodId', i.auth_method_id, 'subject', i.subject,
      'method', m.method) ORDER BY i.created_at)
    FROM user_identities i JOIN auth_methods m ON m.id = i.auth_method_id WHERE i.user_id = u.id), '[]'::json)
    AS identities`;

const FIND = statement("user_find", `SELECT ${COLUMNS} FROM users u WHERE u.issuer_id = $1 AND u.id = $2`);

const EXISTS = statement("user_exists", "SELECT 1 FROM users WHERE issuer_id = $1 AND id = $2");

// Through the (issuer_id, lower(email)) unique index.
const FIND_BY_EMAIL = statement(
  "user_find_by_email",
  `SELECT ${COLUMNS} FROM users u WHERE u.issuer_id = $1 AND lower(u.email) = lower($2)`,
);

/**
 * One keyset page, `limit + 1` rows newest first. A variant per cursor and status filter, so
 * that each generic plan seeks its index (`id < $2` as an index condition, not a filter).
 */
function pageStatement(name: string, where: string): ReturnType<typeof statement> {
  return statement(
    name,
    `SELECT ${COLUMNS} FROM users u WHERE u.issuer_id = $1 AND ${where} ORDER BY u.id DESC LIMIT $2::int + 1`,
  );
}

const PAGES = {
  all: pageStatement("user_page", "true"),
  after: pageStatement("user_page_after", "u.id < $3"),
  status: pageStatement("user_page_status", "u.status = $3"),
  statusAfter: pageStatement("user_page_status_after", "u.status = $3 AND u.id < $4"),
};

const INSERT = statement(
  "user_insert",
  `INSERT INTO users AS u (id, issuer_id, email, phone_number, email_verified, phone_verified, name, given_name,
     family_name, picture, status, metadata, password_hash, password_history, temporary_password_hash,
     temporary_password_expires_at, version, created_at, updated_at)
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 1, $17, $17)
   RETURNING ${COLUMNS}`,
);

const UPDATE_AT_VERSION = statement(
  "user_update_at_version",
  `UPDATE users u SET email = $3, phone_number = $4, email_verified = $5, phone_verified = $6, name = $7,
     given_name = $8, family_name = $9, picture = $10, status = $11, metadata = $12, password_hash = $13,
     password_history = $14, temporary_password_hash = $15, temporary_password_expires_at = $16, updated_at = $17,
     version = version + 1
   WHERE u.id = $1 AND u.version = $2
   RETURNING ${COLUMNS}`,
);

const BUMP_AT_VERSION = statement(
  "user_bump_at_version",
  "UPDATE users SET updated_at = $3, version = version + 1 WHERE id = $1 AND version = $2 RETURNING id",
);

const SET_PASSWORD = statement(
  "user_set_password",
  `UPDATE users SET password_hash = $3, password_history = $4, temporary_password_hash = NULL,
     temporary_password_expires_at = NULL, updated_at = $5, version = version + 1
   WHERE issuer_id = $1 AND id = $2
   RETURNING (SELECT account_id FROM issuers WHERE issuers.id = users.issuer_id) AS account_id`,
);

const MARK_SIGNED_IN = statement(
  "user_mark_signed_in",
  "UPDATE users SET last_sign_in_at = $3, version = version + 1 WHERE issuer_id = $1 AND id = $2 RETURNING id",
);

const SET_EMAIL_VERIFIED = statement(
  "user_set_email_verified",
  `UPDATE users SET email_verified = true, updated_at = $3, version = version + 1
   WHERE issuer_id = $1 AND id = $2 AND NOT email_verified
   RETURNING (SELECT account_id FROM issuers WHERE issuers.id = users.issuer_id) AS account_id`,
);

// ---- one-time codes (sign-in by phone) ----

// Through the (issuer_id, phone_number) unique index.
const FIND_BY_PHONE = statement(
  "user_find_by_phone",
  `SELECT ${COLUMNS} FROM users u WHERE u.issuer_id = $1 AND u.phone_number = $2`,
);

const SET_PHONE_VERIFIED = statement(
  "user_set_phone_verified",
  `UPDATE users SET phone_verified = true, updated_at = $3, version = version + 1
   WHERE issuer_id = $1 AND id = $2 AND NOT phone_verified
   RETURNING (SELECT account_id FROM issuers WHERE issuers.id = users.issuer_id) AS account_id`,
);

const DELETE_AT_VERSION = statement(
  "user_delete_at_version",
  "DELETE FROM users WHERE id = $1 AND version = $2 RETURNING id",
);

const DELETE_FACTOR = statement(
  "user_delete_factor",
  "DELETE FROM user_factors WHERE id = $2 AND user_id = $1 RETURNING id",
);

const METHOD_SETTINGS = statement(
  "user_method_settings",
  "SELECT settings FROM auth_methods WHERE issuer_id = $1 AND method = $2 LIMIT 1",
);

// ---- federated sign-in (upstream identities) ----

// Through the (auth_method_id, subject) primary key.
const FIND_BY_IDENTITY = statement(
  "user_find_by_identity",
  `SELECT ${COLUMNS} FROM user_identities i JOIN users u ON u.id = i.user_id
   WHERE i.auth_method_id = $2 AND i.subject = $3 AND u.issuer_id = $1`,
);

/** Links only a user and an auth method of the same issuer; the identities are part of the user (its ETag moves). */
const LINK_IDENTITY = statement(
  "user_link_identity",
  `WITH linked AS (
     INSERT INTO user_identities (user_id, auth_method_id, subject, created_at)
     SELECT u.id, $3, $4, $5 FROM users u
     WHERE u.issuer_id = $1 AND u.id = $2
       AND EXISTS (SELECT 1 FROM auth_methods m WHERE m.id = $3 AND m.issuer_id = $1)
     ON CONFLICT DO NOTHING
     RETURNING user_id)
   UPDATE users SET updated_at = $5, version = version + 1 WHERE id IN (SELECT user_id FROM linked) RETURNING id`,
);

const ISSUER_STATUS = statement("user_issuer_status", "SELECT id, account_id, status FROM issuers WHERE id = $1");

/** The password columns a write sets: kept as they are unless a password or temporary password changes. */
export interface PasswordColumns {
  passwordHash: string | null;
  passwordHistory: string[];
  temporaryPasswordHash: string | null;
  temporaryPasswordExpiresAt: Date | null;
}

interface RawUserRow extends Omit<UserRow, "factors" | "identities"> {
  factors: { id: string; type: string; name: string; createdAt: string; lastUsedAt: string | null }[];
  identities: { authMethodId: string; subject: string; method: string }[];
}

/** json_agg hands timestamps over as text: back to Dates, as the row type has them. */
function userRow(raw: RawUserRow): UserRow {
  return {
    ...raw,
    factors: raw.factors.map((f) => ({
      ...f,
      createdAt: new Date(f.createdAt),
      lastUsedAt: f.lastUsedAt === null ? null : new Date(f.lastUsedAt),
    })),
  };
}

function profileValues(profile: UserProfile): unknown[] {
  return [
    profile.email,
    profile.phone_number,
    profile.email_verified,
    profile.phone_verified,
    profile.name,
    profile.given_name,
    profile.family_name,
    profile.picture,
    profile.status,
    JSON.stringify(profile.metadata),
  ];
}

function passwordValues(columns: PasswordColumns): unknown[] {
  return [
    columns.passwordHash,
    columns.passwordHistory,
    columns.temporaryPasswordHash,
    columns.temporaryPasswordExpiresAt,
  ];
}

/** Every query on `users` (and their factors); `sql` is the pool or the caller's transaction. */
export function createUserRepository(sql: Sql) {
  async function one(s: Statement, values: unknown[]): Promise<UserRow | null> {
    const [raw] = await sql.query<RawUserRow & QueryResultRow>(s, values);
    return raw ? userRow(raw) : null;
  }

  return {
    find(issuerId: string, id: string): Promise<UserRow | null> {
      return one(FIND, [issuerId, id]);
    },

    /** Whether the issuer has this user (a list cursor's check: one index lookup, no relations). */
    async exists(issuerId: string, id: string): Promise<boolean> {
      return (await sql.query(EXISTS, [issuerId, id])).length === 1;
    },

    /** Case-insensitive, through the (issuer_id, lower(email)) unique index. */
    findByEmail(issuerId: string, email: string): Promise<UserRow | null> {
      return one(FIND_BY_EMAIL, [issuerId, email]);
    },

    /** One keyset page: `limit + 1` rows newest first, starting after `beforeId`. */
    async page(
      issuerId: string,
      options: { limit: number; beforeId?: string | undefined; status?: UserStatus | undefined },
    ): Promise<UserRow[]> {
      const { limit, beforeId, status } = options;
      let query = beforeId === undefined ? PAGES.all : PAGES.after;
      const values: unknown[] = [issuerId, limit];
      if (status !== undefined) {
        query = beforeId === undefined ? PAGES.status : PAGES.statusAfter;
        values.push(status);
      }
      if (beforeId !== undefined) values.push(beforeId);
      const rows = await sql.query<RawUserRow & QueryResultRow>(query, values);
      return rows.map(userRow);
    },

    async insert(row: {
      id: string;
      issuerId: string;
      profile: UserProfile;
      password: PasswordColumns;
      createdAt: Date;
    }): Promise<UserRow> {
      const values = [
        row.id,
        row.issuerId,
        ...profileValues(row.profile),
        ...passwordValues(row.password),
        row.createdAt,
      ];
      const inserted = await one(INSERT, values);
      if (!inserted) throw new Error("INSERT … RETURNING returned no row");
      return inserted;
    },

    /** Writes the profile and password columns only when the row is still at `version`; null when it was not. */
    updateAtVersion(
      id: string,
      version: number,
      profile: UserProfile,
      password: PasswordColumns,
      updatedAt: Date,
    ): Promise<UserRow | null> {
      return one(UPDATE_AT_VERSION, [id, version, ...profileValues(profile), ...passwordValues(password), updatedAt]);
    },

    /** Moves the version (the user's ETag) only when it is still `version`: a change to a part of the user. */
    async bumpAtVersion(id: string, version: number, updatedAt: Date): Promise<boolean> {
      return (await sql.query(BUMP_AT_VERSION, [id, version, updatedAt])).length === 1;
    },

    /**
     * A password chosen at sign-in: no version check (the user is not editing it elsewhere); it
     * still moves. The issuer's account (for the event), or undefined when there is no such user.
     */
    async setPassword(
      issuerId: string,
      id: string,
      columns: Pick<PasswordColumns, "passwordHash" | "passwordHistory">,
      updatedAt: Date,
    ): Promise<string | undefined> {
      const values = [issuerId, id, columns.passwordHash, columns.passwordHistory, updatedAt];
      return (await sql.query<{ account_id: string }>(SET_PASSWORD, values))[0]?.account_id;
    },

    async markSignedIn(issuerId: string, id: string, at: Date): Promise<boolean> {
      return (await sql.query(MARK_SIGNED_IN, [issuerId, id, at])).length === 1;
    },

    /** The issuer's account when the email was unverified and now is; undefined when nothing changed. */
    async setEmailVerified(issuerId: string, id: string, updatedAt: Date): Promise<string | undefined> {
      return (await sql.query<{ account_id: string }>(SET_EMAIL_VERIFIED, [issuerId, id, updatedAt]))[0]?.account_id;
    },

    async deleteAtVersion(id: string, version: number): Promise<boolean> {
      return (await sql.query(DELETE_AT_VERSION, [id, version])).length === 1;
    },

    async deleteFactor(userId: string, factorId: string): Promise<boolean> {
      return (await sql.query(DELETE_FACTOR, [userId, factorId])).length === 1;
    },

    /** The settings of the issuer's auth method of that (singleton) type, or null without one. */
    async methodSettings(issuerId: string, method: "password" | "temporary_password"): Promise<unknown | null> {
      const [row] = await sql.query<{ settings: unknown }>(METHOD_SETTINGS, [issuerId, method]);
      return row?.settings ?? null;
    },

    /** An issuer by id alone (the OpenID Provider's sign-up has no account in hand). */
    async issuerStatus(issuerId: string): Promise<{ id: string; account_id: string; status: string } | null> {
      return (
        (await sql.query<{ id: string; account_id: string; status: string }>(ISSUER_STATUS, [issuerId]))[0] ?? null
      );
    },

    // ---- one-time codes (sign-in by phone) ----

    findByPhone(issuerId: string, phoneNumber: string): Promise<UserRow | null> {
      return one(FIND_BY_PHONE, [issuerId, phoneNumber]);
    },

    /** The issuer's account when the phone number was unverified and now is; undefined when nothing changed. */
    async setPhoneVerified(issuerId: string, id: string, updatedAt: Date): Promise<string | undefined> {
      return (await sql.query<{ account_id: string }>(SET_PHONE_VERIFIED, [issuerId, id, updatedAt]))[0]?.account_id;
    },

    // ---- federated sign-in (upstream identities) ----

    /** The user an upstream identity (auth method, subject) is linked to. */
    findByIdentity(issuerId: string, authMethodId: string, subject: string): Promise<UserRow | null> {
      return one(FIND_BY_IDENTITY, [issuerId, authMethodId, subject]);
    },

    /** Whether the link was made (false: it existed, or user and method are not of this issuer). */
    async linkIdentity(issuerId: string, userId: string, identity: UpstreamIdentity, at: Date): Promise<boolean> {
      const values = [issuerId, userId, identity.authMethodId, identity.subject, at];
      return (await sql.query(LINK_IDENTITY, values)).length === 1;
    },
  };
}
