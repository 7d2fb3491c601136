import type { AuthMethodModel as AuthMethodRow, Db, Prisma } from "@authpi/db";
import {
  type AuthMethod,
  type AuthMethodConfig,
  AuthMethod as AuthMethodSchema,
  authMethodDefinition,
  isAuthMethodType,
  joinSecrets,
  toTimestamp,
} from "@authpi/domain";

export type { AuthMethodRow };

/** The unique indexes of `auth_methods`, by the name the migration gives them. */
export const AUTH_METHOD_INDEXES = {
  name: "auth_methods_issuer_id_lower_name_key",
  singleton: "auth_methods_issuer_id_singleton_method_key",
} as const;

function methodOf(row: AuthMethodRow) {
  if (!isAuthMethodType(row.method)) throw new Error(`auth method ${row.id} has an unknown type`);
  return row.method;
}

/**
 * The response allowlist: a row becomes an API object only through the schema,
 * whose settings leave the secret keys out. The stored settings hold no
 * secrets in the first place; `secrets_set` comes from the declaration, as
 * every secret key of every method is required (so set whenever the row has secrets).
 */
export function toAuthMethod(row: AuthMethodRow): AuthMethod {
  const method = methodOf(row);
  return AuthMethodSchema.parse({
    object: "auth_method",
    id: row.id,
    issuer_id: row.issuerId,
    name: row.name,
    method,
    enabled_login: row.enabledLogin,
    enabled_signup: row.enabledSignup,
    featured: row.featured,
    first_factor_only: row.firstFactorOnly,
    settings: row.settings,
    secrets_set: row.secrets === null ? [] : authMethodDefinition(method).secretKeys,
    created_at: toTimestamp(row.createdAt),
    updated_at: toTimestamp(row.updatedAt),
  });
}

/** The stored configuration with the given (decrypted) secrets put back, for the PATCH rules. */
export function toConfig(row: AuthMethodRow, secrets: Record<string, string>): AuthMethodConfig {
  return {
    method: methodOf(row),
    name: row.name,
    enabled_login: row.enabledLogin,
    enabled_signup: row.enabledSignup,
    featured: row.featured,
    first_factor_only: row.firstFactorOnly,
    settings: joinSecrets(row.settings as Record<string, unknown>, secrets),
  } as AuthMethodConfig;
}

/** Columns of a configuration; `settings` must already be without secrets. */
export function configColumns(config: AuthMethodConfig, publicSettings: Record<string, unknown>) {
  return {
    name: config.name,
    method: config.method,
    enabledLogin: config.enabled_login,
    enabledSignup: config.enabled_signup,
    featured: config.featured,
    firstFactorOnly: config.first_factor_only,
    settings: publicSettings as Prisma.InputJsonObject,
  };
}

export function createAuthMethodRepository(db: Db) {
  return {
    list(issuerId: string): Promise<AuthMethodRow[]> {
      return db.authMethod.findMany({ where: { issuerId }, orderBy: { id: "asc" } });
    },

    find(issuerId: string, id: string): Promise<AuthMethodRow | null> {
      return db.authMethod.findFirst({ where: { id, issuerId } });
    },
  };
}

/** Queries that must run inside the transaction that locked the issuer. */
export function authMethodTransaction(tx: Prisma.TransactionClient) {
  return {
    /** Locks the issuer row so concurrent writes to its auth methods serialize; its status, or null. */
    async lockIssuer(issuerId: string): Promise<string | null> {
      const rows = await tx.$queryRaw<
        { status: string }[]
      >`SELECT status FROM issuers WHERE id = ${issuerId} FOR UPDATE`;
      return rows[0]?.status ?? null;
    },

    siblings(issuerId: string) {
      return tx.authMethod.findMany({ where: { issuerId }, select: { id: true, method: true, name: true } });
    },

    insert(data: Prisma.AuthMethodUncheckedCreateInput): Promise<AuthMethodRow> {
      return tx.authMethod.create({ data });
    },

    /** Writes only when the row is still at `version`; returns false when it was not. */
    async updateAtVersion(
      id: string,
      version: number,
      data: Prisma.AuthMethodUncheckedUpdateManyInput,
    ): Promise<boolean> {
      const { count } = await tx.authMethod.updateMany({
        where: { id, version },
        data: { ...data, version: version + 1 },
      });
      return count === 1;
    },

    async deleteAtVersion(id: string, version: number): Promise<boolean> {
      const { count } = await tx.authMethod.deleteMany({ where: { id, version } });
      return count === 1;
    },
  };
}
