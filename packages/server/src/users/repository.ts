import type { Db, Prisma, UserModel } from "@authpi/db";
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

/** The unique indexes of `users`, by the name the migration gives them. */
export const USER_INDEXES = {
  email: "users_issuer_id_lower_email_key",
  phone: "users_issuer_id_phone_number_key",
} as const;

const withRelations = {
  factors: { orderBy: { id: "asc" } },
  identities: { orderBy: { createdAt: "asc" }, include: { authMethod: { select: { method: true } } } },
} as const satisfies Prisma.UserInclude;

export type UserRow = Prisma.UserGetPayload<{ include: typeof withRelations }>;
export type UserColumns = UserModel;

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
    method: i.authMethod.method,
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

export function profileColumns(profile: UserProfile) {
  return {
    email: profile.email,
    phoneNumber: profile.phone_number,
    emailVerified: profile.email_verified,
    phoneVerified: profile.phone_verified,
    name: profile.name,
    givenName: profile.given_name,
    familyName: profile.family_name,
    picture: profile.picture,
    status: profile.status,
    metadata: profile.metadata as Prisma.InputJsonObject,
  };
}

export function createUserRepository(db: Db) {
  return {
    find(issuerId: string, id: string): Promise<UserRow | null> {
      return db.user.findFirst({ where: { id, issuerId }, include: withRelations });
    },

    /** Case-insensitive, through the (issuer_id, lower(email)) unique index. */
    async findByEmail(issuerId: string, email: string): Promise<UserRow | null> {
      const rows = await db.$queryRaw<{ id: string }[]>`
        SELECT "id" FROM "users" WHERE "issuer_id" = ${issuerId} AND lower("email") = lower(${email})`;
      const id = rows[0]?.id;
      return id ? db.user.findFirst({ where: { id, issuerId }, include: withRelations }) : null;
    },

    /** One keyset page: `limit + 1` rows newest first, starting after `beforeId`. */
    page(
      issuerId: string,
      options: { limit: number; beforeId?: string | undefined; status?: UserStatus | undefined },
    ): Promise<UserRow[]> {
      return db.user.findMany({
        where: {
          issuerId,
          ...(options.status ? { status: options.status } : {}),
          ...(options.beforeId ? { id: { lt: options.beforeId } } : {}),
        },
        orderBy: { id: "desc" },
        take: options.limit + 1,
        include: withRelations,
      });
    },

    async insert(data: Prisma.UserUncheckedCreateInput): Promise<UserRow> {
      return db.user.create({ data, include: withRelations });
    },

    /** Writes only when the row is still at `version`; returns false when it was not. */
    async updateAtVersion(id: string, version: number, data: Prisma.UserUncheckedUpdateManyInput): Promise<boolean> {
      const { count } = await db.user.updateMany({ where: { id, version }, data: { ...data, version: version + 1 } });
      return count === 1;
    },

    /** A write that needs no version check (sign-in bookkeeping); the version still moves, so ETags do. */
    async touch(issuerId: string, id: string, data: Prisma.UserUncheckedUpdateManyInput): Promise<boolean> {
      const { count } = await db.user.updateMany({
        where: { id, issuerId },
        data: { ...data, version: { increment: 1 } },
      });
      return count === 1;
    },

    async deleteAtVersion(id: string, version: number): Promise<boolean> {
      const { count } = await db.user.deleteMany({ where: { id, version } });
      return count === 1;
    },

    async deleteFactor(userId: string, factorId: string): Promise<boolean> {
      const { count } = await db.userFactor.deleteMany({ where: { id: factorId, userId } });
      return count === 1;
    },

    /** The settings of the issuer's auth method of that (singleton) type, or null without one. */
    async methodSettings(issuerId: string, method: "password" | "temporary_password"): Promise<unknown | null> {
      const row = await db.authMethod.findFirst({ where: { issuerId, method }, select: { settings: true } });
      return row?.settings ?? null;
    },
  };
}
