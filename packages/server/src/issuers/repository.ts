import type { Db, IssuerModel as IssuerRow, Prisma } from "@authpi/db";
import { type Issuer, type IssuerConfig, Issuer as IssuerSchema, type IssuerStatus, toTimestamp } from "@authpi/domain";

export type { IssuerRow };

/** The response allowlist: a row becomes an API object only through the schema. */
export function toIssuer(row: IssuerRow, publicUrl: string): Issuer {
  return IssuerSchema.parse({
    object: "issuer",
    id: row.id,
    account_id: row.accountId,
    name: row.name,
    description: row.description,
    links: row.links,
    available_scopes: row.availableScopes,
    status: row.status,
    settings: row.settings,
    metadata: row.metadata,
    created_at: toTimestamp(row.createdAt),
    updated_at: toTimestamp(row.updatedAt),
    deleted_at: row.deletedAt ? toTimestamp(row.deletedAt) : null,
    purge_after: row.purgeAfter ? toTimestamp(row.purgeAfter) : null,
    issuer_url: `${publicUrl}/oidc/${row.id}`,
  });
}

export function configColumns(config: IssuerConfig) {
  return {
    name: config.name,
    description: config.description,
    links: config.links as Prisma.InputJsonObject,
    availableScopes: config.available_scopes,
    status: config.status,
    settings: config.settings as Prisma.InputJsonObject,
    metadata: config.metadata as Prisma.InputJsonObject,
  };
}

export function createIssuerRepository(db: Db) {
  return {
    find(accountId: string, id: string): Promise<IssuerRow | null> {
      return db.issuer.findFirst({ where: { id, accountId } });
    },

    /** One keyset page: `limit + 1` rows newest first, starting after `beforeId`. */
    page(accountId: string, options: { limit: number; beforeId?: string; status?: IssuerStatus }) {
      return db.issuer.findMany({
        where: {
          accountId,
          ...(options.status ? { status: options.status } : { status: { not: "deleted" } }),
          ...(options.beforeId ? { id: { lt: options.beforeId } } : {}),
        },
        orderBy: { id: "desc" },
        take: options.limit + 1,
      });
    },

    insert(data: Prisma.IssuerUncheckedCreateInput): Promise<IssuerRow> {
      return db.issuer.create({ data });
    },

    /** Writes only when the row is still at `version`; returns false when it was not. */
    async updateAtVersion(id: string, version: number, data: Prisma.IssuerUncheckedUpdateManyInput): Promise<boolean> {
      const { count } = await db.issuer.updateMany({ where: { id, version }, data: { ...data, version: version + 1 } });
      return count === 1;
    },

    async purgeExpired(now: Date, accountId?: string): Promise<number> {
      const { count } = await db.issuer.deleteMany({
        where: { status: "deleted", purgeAfter: { lte: now }, ...(accountId ? { accountId } : {}) },
      });
      return count;
    },
  };
}
