import {
  AUDIT_IGNORED_FIELDS,
  applyUserPatch,
  assertPasswordPolicy,
  type BreachedList,
  type CreateUserBody,
  CreateUserInput,
  DomainError,
  diffChanges,
  type EventChanges,
  etagFor,
  idTimestamp,
  isId,
  type List,
  type ListUsersQuery,
  newId,
  PasswordSettings,
  type PoolUser,
  parseBody,
  passwordLength,
  SECRET_MARK,
  TemporaryPasswordSettings,
  type User,
  type UserChange,
  type UserPatch,
  type UserWithTemporaryPassword,
  userChangeForCreate,
  weakPassword,
} from "@authpi/domain";
import { hash, verify } from "@node-rs/argon2";
import type { AuditRecorder } from "../audit/service.ts";
import { createLiveIssuerLoader } from "../clients/live-issuer.ts";
import type { Clock } from "../clock.ts";
import type { Versioned, WriteOptions } from "../issuers/service.ts";
import type { FederatedProfile, UpstreamIdentity } from "../oidc/directory.ts";
import type { Sql } from "../sql.ts";
import { uniqueViolationIndex } from "../unique-violation.ts";
import { writeWithVersion } from "../versioned-write.ts";
import { breachedPasswords } from "./breached-passwords.ts";
import type { ProviderArtifacts } from "./provider-artifacts.ts";
import {
  createUserRepository,
  type PasswordColumns,
  toPoolUser,
  toProfile,
  toUser,
  USER_INDEXES,
  type UserRow,
} from "./repository.ts";
import { generateTemporaryPassword } from "./temporary-password.ts";

/** argon2id with OWASP's recommended minimum cost (19 MiB, 2 passes), as for operators. */
function hashPassword(password: string): Promise<string> {
  return hash(password, { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
}

function verifyHash(stored: string, password: string): Promise<boolean> {
  return verify(stored, password).catch(() => false);
}

// Verified against when the email is unknown, so both answers take about as long.
let dummyHash: Promise<string> | undefined;
function dummy(): Promise<string> {
  dummyHash ??= hashPassword("authpi-dummy-password-never-matches");
  return dummyHash;
}

/** The hashes kept for `history_count`: at most its maximum, newest first. */
const MAX_HISTORY = 24;

function userNotFound(id: string): DomainError {
  return new DomainError("resource_missing", `No such user: '${id}'`, { param: "user_id" });
}

function methodMissing(param: string, method: string): DomainError {
  return new DomainError(
    "auth_method_disabled",
    `${param}: this issuer has no ${method} auth method; add one to give users a ${method.replace("_", " ")}`,
    { param },
  );
}

/**
 * A user the hosted sign-in creates: its forms and an upstream's profile are that door's
 * input, parsed here as the API's boundary parses a create body (the same rules and 400s).
 */
function newUserChange(fields: CreateUserInput): UserChange {
  return userChangeForCreate(parseBody(CreateUserInput, fields));
}

function mapUniqueViolation(error: unknown, change: UserChange): never {
  const index = uniqueViolationIndex(error);
  if (index === USER_INDEXES.email) {
    throw new DomainError("email_taken", `Another user of this issuer has the email '${change.profile.email}'`, {
      param: "email",
    });
  }
  if (index === USER_INDEXES.phone) {
    throw new DomainError("phone_taken", "Another user of this issuer has this phone_number", {
      param: "phone_number",
    });
  }
  throw error;
}

export interface UserServiceOptions {
  artifacts: ProviderArtifacts;
  /** The breached-password lookup; the shipped list by default. */
  breachedList?: () => Promise<BreachedList>;
}

/** Passwords reach an event only as `[set]`: the hashes stand in for them, and diffChanges masks them. */
const USER_DIFF = { ignore: AUDIT_IGNORED_FIELDS, secretPaths: ["password", "temporary_password"] };

const NO_PASSWORD: PasswordColumns = {
  passwordHash: null,
  passwordHistory: [],
  temporaryPasswordHash: null,
  temporaryPasswordExpiresAt: null,
};

function passwordsOf(row: UserRow): PasswordColumns {
  return {
    passwordHash: row.passwordHash,
    passwordHistory: row.passwordHistory ?? [],
    temporaryPasswordHash: row.temporaryPasswordHash,
    temporaryPasswordExpiresAt: row.temporaryPasswordExpiresAt,
  };
}

export function createUserService(sql: Sql, clock: Clock, options: UserServiceOptions, audit: AuditRecorder) {
  const repo = createUserRepository(sql);
  const loadLiveIssuer = createLiveIssuerLoader(sql);
  const { artifacts } = options;
  const breachedList = options.breachedList ?? breachedPasswords;

  function versioned(row: UserRow, temporaryPassword?: string): Versioned<UserWithTemporaryPassword> {
    const user = toUser(row, clock());
    return {
      value: temporaryPassword === undefined ? user : { ...user, temporary_password: temporaryPassword },
      etag: etagFor(row.id, row.version),
    };
  }

  /** What an event compares of a user: its API object, and its password hashes as masked secrets. */
  function auditView(row: UserRow) {
    return { ...toUser(row, clock()), password: row.passwordHash, temporary_password: row.temporaryPasswordHash };
  }

  /** An email or phone number a sign-in just proved: marked verified, with its event when it changed. */
  async function markVerified(
    issuerId: string,
    userId: string,
    field: "email_verified" | "phone_verified",
  ): Promise<void> {
    if (!isId("user", userId)) return;
    const write = field === "email_verified" ? repo.setEmailVerified : repo.setPhoneVerified;
    const accountId = await write(issuerId, userId, clock());
    if (accountId === undefined) return;
    await audit.record({
      accountId,
      issuerId,
      type: "user.updated",
      resourceId: userId,
      changes: { [field]: { from: false, to: true } },
    });
  }

  async function loadUser(issuerId: string, id: string): Promise<UserRow> {
    const row = isId("user", id) ? await repo.find(issuerId, id) : null;
    if (!row) throw userNotFound(id);
    return row;
  }

  async function loadWithIssuer(accountId: string, issuerId: string, id: string): Promise<UserRow> {
    const issuer = await loadLiveIssuer(accountId, issuerId, "users");
    return loadUser(issuer.id, id);
  }

  /**
   * The columns a new password sets, after the issuer's `password` method's
   * policy (length, character classes, breached list, and — on a change —
   * the last `history_count` passwords). A real password ends a pending temporary one.
   */
  async function passwordColumns(
    issuerId: string,
    password: string,
    previous?: UserRow,
    withoutMethod: "refuse" | "default_policy" = "refuse",
  ) {
    const settings = await repo.methodSettings(issuerId, "password");
    if (settings === null && withoutMethod === "refuse") throw methodMissing("password", "password");
    const policy = PasswordSettings.parse(settings ?? {});
    const list = policy.check_breached ? await breachedList() : undefined;
    assertPasswordPolicy(password, policy, (candidate) => list?.has(candidate) ?? false);
    // The column is nullable (rows written by other tools may hold NULL): read it as a list either way.
    const previousHashes: readonly string[] = previous?.passwordHistory ?? [];
    const history = previous?.passwordHash ? [previous.passwordHash, ...previousHashes] : [];
    if (policy.history_count > 0) {
      for (const old of history.slice(0, policy.history_count)) {
        if (await verifyHash(old, password)) {
          throw weakPassword("history_count", `must differ from the last ${policy.history_count} passwords`);
        }
      }
    }
    return {
      passwordHash: await hashPassword(password),
      passwordHistory: history.slice(0, MAX_HISTORY),
      temporaryPasswordHash: null,
      temporaryPasswordExpiresAt: null,
    };
  }

  /** The columns of a temporary password, and the generated one to show once (`true`). */
  async function temporaryPasswordColumns(issuerId: string, requested: true | string) {
    const settings = await repo.methodSettings(issuerId, "temporary_password");
    if (settings === null) throw methodMissing("temporary_password", "temporary_password");
    const method = TemporaryPasswordSettings.parse(settings);
    if (requested !== true && passwordLength(requested) < 12) {
      throw new DomainError("weak_password", "temporary_password: must be at least 12 characters (min_length)", {
        param: "temporary_password",
        extra: { rule: "min_length" },
      });
    }
    const password = requested === true ? generateTemporaryPassword(method.length) : requested;
    return {
      generated: requested === true ? password : undefined,
      columns: {
        temporaryPasswordHash: await hashPassword(password),
        temporaryPasswordExpiresAt: new Date(clock().getTime() + method.ttl_seconds * 1000),
      },
    };
  }

  async function insertUser(
    accountId: string,
    issuerId: string,
    change: UserChange,
  ): Promise<Versioned<UserWithTemporaryPassword>> {
    const password = change.password === undefined ? {} : await passwordColumns(issuerId, change.password);
    const temporary =
      change.temporaryPassword === undefined
        ? undefined
        : await temporaryPasswordColumns(issuerId, change.temporaryPassword);
    const id = newId("user", clock().getTime());
    let row: UserRow;
    try {
      row = await repo.insert({
        id,
        issuerId,
        profile: change.profile,
        password: { ...NO_PASSWORD, ...password, ...(temporary?.columns ?? {}) },
        createdAt: idTimestamp(id),
      });
    } catch (error) {
      mapUniqueViolation(error, change);
    }
    await audit.record({
      accountId,
      issuerId,
      type: "user.created",
      resourceId: id,
      changes: diffChanges(undefined, auditView(row), USER_DIFF),
    });
    return versioned(row, temporary?.generated);
  }

  /** A password the user chose at sign-in, under the issuer's policy; ends a pending temporary one. */
  async function writeChosenPassword(
    issuerId: string,
    userId: string,
    password: string,
    withoutMethod: "refuse" | "default_policy",
  ): Promise<void> {
    const row = await loadUser(issuerId, userId);
    const columns = await passwordColumns(row.issuerId, password, row, withoutMethod);
    const accountId = await repo.setPassword(row.issuerId, row.id, columns, clock());
    if (accountId === undefined) return;
    const changes: EventChanges = { password: { from: row.passwordHash ? SECRET_MARK : null, to: SECRET_MARK } };
    if (row.temporaryPasswordHash !== null) changes.temporary_password = { from: SECRET_MARK, to: null };
    await audit.record({ accountId, issuerId: row.issuerId, type: "user.updated", resourceId: row.id, changes });
  }

  /** The live issuer by id alone, for the OpenID Provider's sign-up (it has no account in hand). */
  async function providerIssuer(issuerId: string): Promise<{ id: string; accountId: string }> {
    const issuer = isId("issuer", issuerId) ? await repo.issuerStatus(issuerId) : null;
    if (!issuer || issuer.status === "deleted") {
      throw new DomainError("resource_missing", `No such issuer: '${issuerId}'`, { param: "issuer_id" });
    }
    return { id: issuer.id, accountId: issuer.account_id };
  }

  return {
    /** Newest first, keyset-paginated; `email` (exact, case-insensitive) and `status` filter (api-contract §6). */
    async list(accountId: string, issuerId: string, query: ListUsersQuery): Promise<List<User>> {
      const issuer = await loadLiveIssuer(accountId, issuerId, "users");
      const now = clock();
      if (query.email !== undefined) {
        // Unique per issuer: the filter finds one user or none.
        const row = await repo.findByEmail(issuer.id, query.email);
        const match = row && (query.status === undefined || row.status === query.status) ? [row] : [];
        const afterCursor = query.cursor === undefined ? match : [];
        return { object: "list", data: afterCursor.map((r) => toUser(r, now)), has_more: false, next_cursor: null };
      }
      let beforeId: string | undefined;
      if (query.cursor !== undefined) {
        if (!isId("user", query.cursor) || !(await repo.exists(issuer.id, query.cursor))) {
          throw new DomainError("invalid_cursor", "cursor: not a user of this issuer", { param: "cursor" });
        }
        beforeId = query.cursor;
      }
      const rows = await repo.page(issuer.id, { limit: query.limit, beforeId, status: query.status });
      const hasMore = rows.length > query.limit;
      const page = hasMore ? rows.slice(0, query.limit) : rows;
      return {
        object: "list",
        data: page.map((r) => toUser(r, now)),
        has_more: hasMore,
        next_cursor: hasMore ? (page.at(-1)?.id ?? null) : null,
      };
    },

    async get(accountId: string, issuerId: string, id: string): Promise<Versioned<User>> {
      return versioned(await loadWithIssuer(accountId, issuerId, id));
    },

    async create(
      accountId: string,
      issuerId: string,
      input: CreateUserBody,
    ): Promise<Versioned<UserWithTemporaryPassword>> {
      const issuer = await loadLiveIssuer(accountId, issuerId, "users");
      return insertUser(accountId, issuer.id, userChangeForCreate(input));
    },

    async update(
      accountId: string,
      issuerId: string,
      id: string,
      patch: UserPatch,
      options: WriteOptions = {},
    ): Promise<Versioned<UserWithTemporaryPassword>> {
      return writeWithVersion({
        resource: "user",
        ifMatch: options.ifMatch,
        load: () => loadWithIssuer(accountId, issuerId, id),
        row: (row) => row,
        attempt: async (row) => {
          const change = applyUserPatch(toProfile(row), patch);
          const password =
            change.password === undefined ? {} : await passwordColumns(row.issuerId, change.password, row);
          const temporary =
            change.temporaryPassword === undefined
              ? undefined
              : await temporaryPasswordColumns(row.issuerId, change.temporaryPassword);
          const passwords = { ...passwordsOf(row), ...password, ...(temporary?.columns ?? {}) };
          const blocking = row.status !== "blocked" && change.profile.status === "blocked";
          let updated: UserRow | null;
          try {
            updated = await repo.updateAtVersion(row.id, row.version, change.profile, passwords, clock());
          } catch (error) {
            mapUniqueViolation(error, change);
          }
          if (!updated) return undefined;
          // A blocked user's sessions and refresh tokens stop working now, not at their expiry (same transaction).
          if (blocking) await artifacts.revokeUser(sql, row.issuerId, row.id);
          await audit.record({
            accountId,
            issuerId: row.issuerId,
            type: "user.updated",
            resourceId: row.id,
            changes: diffChanges(auditView(row), auditView(updated), USER_DIFF),
          });
          return versioned(updated, temporary?.generated);
        },
      });
    },

    /** Permanent (204): sessions, grants, tokens, factors and identities go with the user. */
    async delete(accountId: string, issuerId: string, id: string, options: WriteOptions = {}): Promise<void> {
      await writeWithVersion({
        resource: "user",
        ifMatch: options.ifMatch,
        load: () => loadWithIssuer(accountId, issuerId, id),
        row: (row) => row,
        attempt: async (row) => {
          if (!(await repo.deleteAtVersion(row.id, row.version))) return undefined;
          await artifacts.revokeUser(sql, row.issuerId, row.id);
          await audit.record({
            accountId,
            issuerId: row.issuerId,
            type: "user.deleted",
            resourceId: row.id,
            changes: diffChanges(auditView(row), undefined, USER_DIFF),
          });
          return true;
        },
      });
    },

    /**
     * Removes one enrolled second factor (a lost phone); 204. `If-Match` is
     * the user's ETag (the factor list is part of the user), which changes.
     */
    async removeFactor(
      accountId: string,
      issuerId: string,
      userId: string,
      factorId: string,
      options: WriteOptions = {},
    ): Promise<void> {
      const missing = () =>
        new DomainError("resource_missing", `No such factor: '${factorId}'`, { param: "factor_id" });
      await writeWithVersion({
        resource: "user",
        ifMatch: options.ifMatch,
        load: () => loadWithIssuer(accountId, issuerId, userId),
        row: (row) => row,
        attempt: async (row) => {
          if (!isId("factor", factorId) || !row.factors.some((f) => f.id === factorId)) throw missing();
          if (!(await repo.bumpAtVersion(row.id, row.version, clock()))) return undefined;
          if (!(await repo.deleteFactor(row.id, factorId))) throw missing();
          const before = toUser(row, clock());
          await audit.record({
            accountId,
            issuerId: row.issuerId,
            type: "user.factor_removed",
            resourceId: row.id,
            changes: diffChanges(
              { factors: before.factors },
              { factors: before.factors.filter((f) => f.id !== factorId) },
              USER_DIFF,
            ),
          });
          return true;
        },
      });
    },

    /** Signs the user out everywhere and revokes every refresh token; 204. `If-Match` is the user's ETag. */
    async revokeSessions(accountId: string, issuerId: string, userId: string, options: WriteOptions = {}) {
      await writeWithVersion({
        resource: "user",
        ifMatch: options.ifMatch,
        load: () => loadWithIssuer(accountId, issuerId, userId),
        row: (row) => row,
        attempt: async (row) => {
          await artifacts.revokeUser(sql, row.issuerId, row.id);
          await audit.record({
            accountId,
            issuerId: row.issuerId,
            type: "user.sessions_revoked",
            resourceId: row.id,
            changes: {},
          });
          return true;
        },
      });
    },

    // ---- for the OpenID Provider (no account in hand: the issuer comes from its URL) ----

    async findById(issuerId: string, userId: string): Promise<PoolUser | null> {
      if (!isId("issuer", issuerId) || !isId("user", userId)) return null;
      const row = await repo.find(issuerId, userId);
      return row ? toPoolUser(row, clock()) : null;
    },

    /** Case-insensitive. */
    async findByEmail(issuerId: string, email: string): Promise<PoolUser | null> {
      if (!isId("issuer", issuerId)) return null;
      const row = await repo.findByEmail(issuerId, email);
      return row ? toPoolUser(row, clock()) : null;
    },

    /**
     * The user when `password` is theirs, else null. An unknown email is
     * verified against a fixed dummy hash so both take about as long. A
     * blocked user with the right password IS returned: the caller refuses
     * `status: "blocked"` with its own message (after the password, so the
     * answer does not tell an attacker which accounts are blocked).
     */
    async verifyPassword(issuerId: string, email: string, password: string): Promise<PoolUser | null> {
      const row = isId("issuer", issuerId) ? await repo.findByEmail(issuerId, email) : null;
      const stored = row?.passwordHash ?? (await dummy());
      const ok = await verifyHash(stored, password);
      return ok && row?.passwordHash ? toPoolUser(row, clock()) : null;
    },

    /**
     * The user when `password` is their pending, unexpired temporary password,
     * else null (same timing rule as verifyPassword). The caller must then make
     * them choose a real one (`setPassword`), which ends the temporary one.
     */
    async verifyTemporaryPassword(issuerId: string, email: string, password: string): Promise<PoolUser | null> {
      const row = isId("issuer", issuerId) ? await repo.findByEmail(issuerId, email) : null;
      const pending =
        row?.temporaryPasswordHash &&
        row.temporaryPasswordExpiresAt &&
        row.temporaryPasswordExpiresAt.getTime() > clock().getTime()
          ? row.temporaryPasswordHash
          : null;
      const ok = await verifyHash(pending ?? (await dummy()), password);
      return ok && row && pending ? toPoolUser(row, clock()) : null;
    },

    /** The hosted sign-up: the same rules as a create (policy, breached list, email unique per issuer). */
    async signUp(issuerId: string, input: { email: string; password: string; name?: string }): Promise<PoolUser> {
      const issuer = await providerIssuer(issuerId);
      const change = newUserChange({
        email: input.email,
        password: input.password,
        ...(input.name !== undefined ? { name: input.name } : {}),
      });
      const created = await insertUser(issuer.accountId, issuer.id, change);
      const row = await loadUser(issuer.id, created.value.id);
      return toPoolUser(row, clock());
    },

    /** A password the user chose at sign-in (after a temporary one, or a reset), under the same policy. */
    async setPassword(issuerId: string, userId: string, password: string): Promise<void> {
      await writeChosenPassword(issuerId, userId, password, "refuse");
    },

    async markSignedIn(issuerId: string, userId: string, at: Date = clock()): Promise<void> {
      if (!isId("user", userId)) return;
      await repo.markSignedIn(issuerId, userId, at);
    },

    setEmailVerified: (issuerId: string, userId: string) => markVerified(issuerId, userId, "email_verified"),

    // ---- one-time codes, links and the temporary password (the hosted sign-in) ----

    /** By E.164 number, exact (through the (issuer_id, phone_number) unique index). */
    async findByPhone(issuerId: string, phoneNumber: string): Promise<PoolUser | null> {
      if (!isId("issuer", issuerId)) return null;
      const row = await repo.findByPhone(issuerId, phoneNumber);
      return row ? toPoolUser(row, clock()) : null;
    },

    /**
     * The hosted sign-up by a code or link: the user is created only once the code proved the
     * email or phone number, so it is created verified, without a password.
     */
    async signUpVerified(issuerId: string, contact: { email: string } | { phoneNumber: string }): Promise<PoolUser> {
      const issuer = await providerIssuer(issuerId);
      const change = newUserChange(
        "email" in contact
          ? { email: contact.email, email_verified: true }
          : { phone_number: contact.phoneNumber, phone_verified: true },
      );
      const created = await insertUser(issuer.accountId, issuer.id, change);
      return toPoolUser(await loadUser(issuer.id, created.value.id), clock());
    },

    setPhoneVerified: (issuerId: string, userId: string) => markVerified(issuerId, userId, "phone_verified"),

    /**
     * The real password that replaces a temporary one at sign-in. The contract says a temporary
     * password "must be replaced by a real password" even where the issuer has no `password`
     * method: the password method's policy applies when there is one, its defaults otherwise.
     */
    async replaceTemporaryPassword(issuerId: string, userId: string, password: string): Promise<void> {
      await writeChosenPassword(issuerId, userId, password, "default_policy");
    },

    // ---- federated sign-in: upstream identities, linked by (auth method, subject) ----

    /** The user an upstream identity is linked to, or null. */
    async findByIdentity(issuerId: string, authMethodId: string, subject: string): Promise<PoolUser | null> {
      if (!isId("issuer", issuerId) || !isId("authMethod", authMethodId)) return null;
      const row = await repo.findByIdentity(issuerId, authMethodId, subject);
      return row ? toPoolUser(row, clock()) : null;
    },

    /**
     * Links an upstream identity to a user (the user does it by signing in: like an enrolled
     * factor, not a control-plane change, so no event). False when it was linked already.
     */
    async linkIdentity(issuerId: string, userId: string, identity: UpstreamIdentity): Promise<boolean> {
      if (!isId("issuer", issuerId) || !isId("user", userId)) return false;
      return repo.linkIdentity(issuerId, userId, identity, clock());
    },

    /**
     * A new user from an upstream identity (the caller checked the signup policy): the upstream's
     * profile fills it, `email_verified` only as the upstream vouched, and the identity is linked
     * in the same transaction. A profile field the user rules refuse (an http picture, a name too
     * long) is left out rather than refusing the person. `email_taken` when the email has an account.
     */
    async signUpFederated(issuerId: string, profile: FederatedProfile, identity: UpstreamIdentity): Promise<PoolUser> {
      const issuer = await providerIssuer(issuerId);
      const optional: Record<string, string> = {};
      for (const [key, value] of [
        ["name", profile.name],
        ["given_name", profile.givenName],
        ["family_name", profile.familyName],
        ["picture", profile.picture],
      ] as const) {
        if (value !== null) optional[key] = value;
      }
      let change: UserChange | undefined;
      while (!change) {
        try {
          change = newUserChange({ email: profile.email, email_verified: profile.emailVerified, ...optional });
        } catch (error) {
          const param = error instanceof DomainError ? error.param : undefined;
          if (param === undefined || !(param in optional)) throw error;
          delete optional[param];
        }
      }
      const created = await insertUser(issuer.accountId, issuer.id, change);
      await repo.linkIdentity(issuer.id, created.value.id, identity, clock());
      return toPoolUser(await loadUser(issuer.id, created.value.id), clock());
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;
