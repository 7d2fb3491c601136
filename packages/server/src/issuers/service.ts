import type { Db } from "@authpi/db";
import {
  applyIssuerPatch,
  DomainError,
  etagFor,
  type Issuer,
  idTimestamp,
  isId,
  issuerConfigForCreate,
  type List,
  type ListIssuersQuery,
  newId,
  purgeAfter,
  type UpdateIssuerInput,
} from "@authpi/domain";
import type { Clock } from "../clock.ts";
import { writeWithVersion } from "../versioned-write.ts";
import { configColumns, createIssuerRepository, type IssuerRow, toIssuer } from "./repository.ts";

export interface Versioned<T> {
  value: T;
  etag: string;
}

export interface WriteOptions {
  /** The `If-Match` header, when the caller sent one. */
  ifMatch?: string | undefined;
}

function versionedWith(row: IssuerRow, publicUrl: string): Versioned<Issuer> {
  return { value: toIssuer(row, publicUrl), etag: etagFor(row.id, row.version) };
}

function notFound(id: string): DomainError {
  return new DomainError("resource_missing", `No such issuer: '${id}'`, { param: "issuer_id" });
}

export function createIssuerService(db: Db, clock: Clock, config: { deleteGraceDays: number; publicUrl: string }) {
  const repo = createIssuerRepository(db);
  const versioned = (row: IssuerRow) => versionedWith(row, config.publicUrl);

  async function load(accountId: string, id: string): Promise<IssuerRow> {
    const row = isId("issuer", id) ? await repo.find(accountId, id) : null;
    if (!row) throw notFound(id);
    return row;
  }

  return {
    async list(accountId: string, query: ListIssuersQuery): Promise<List<Issuer>> {
      let beforeId: string | undefined;
      if (query.cursor !== undefined) {
        const cursorRow = isId("issuer", query.cursor) ? await repo.find(accountId, query.cursor) : null;
        if (!cursorRow) {
          throw new DomainError("invalid_cursor", "cursor: not an issuer of this account", { param: "cursor" });
        }
        beforeId = cursorRow.id;
      }
      const rows = await repo.page(accountId, { limit: query.limit, beforeId, status: query.status });
      const hasMore = rows.length > query.limit;
      const page = hasMore ? rows.slice(0, query.limit) : rows;
      return {
        object: "list",
        data: page.map((row) => toIssuer(row, config.publicUrl)),
        has_more: hasMore,
        next_cursor: hasMore ? (page.at(-1)?.id ?? null) : null,
      };
    },

    async get(accountId: string, id: string): Promise<Versioned<Issuer>> {
      return versioned(await load(accountId, id));
    },

    async create(accountId: string, input: unknown): Promise<Versioned<Issuer>> {
      const issuerConfig = issuerConfigForCreate(input);
      const id = newId("issuer", clock().getTime());
      const createdAt = idTimestamp(id);
      const row = await repo.insert({
        id,
        accountId,
        ...configColumns(issuerConfig),
        createdAt,
        updatedAt: createdAt,
      });
      return versioned(row);
    },

    async update(accountId: string, id: string, patch: UpdateIssuerInput, options: WriteOptions = {}) {
      return writeWithVersion({
        resource: "issuer",
        ifMatch: options.ifMatch,
        load: () => load(accountId, id),
        row: (row) => row,
        attempt: async (row) => {
          const current = toIssuer(row, config.publicUrl);
          const next = applyIssuerPatch(current, patch);
          const restoring = current.status === "deleted";
          const updatedAt = clock();
          const data = {
            ...configColumns(next),
            updatedAt,
            ...(restoring ? { deletedAt: null, purgeAfter: null } : {}),
          };
          if (!(await repo.updateAtVersion(row.id, row.version, data))) return undefined;
          return versioned({ ...row, ...data, version: row.version + 1 } as IssuerRow);
        },
      });
    },

    async delete(accountId: string, id: string, options: WriteOptions = {}): Promise<void> {
      await writeWithVersion({
        resource: "issuer",
        ifMatch: options.ifMatch,
        load: () => load(accountId, id),
        row: (row) => row,
        attempt: async (row) => {
          // A deleted issuer is still readable, but for DELETE it is already gone.
          if (row.status === "deleted") throw notFound(id);
          const now = clock();
          const data = {
            status: "deleted",
            deletedAt: now,
            purgeAfter: purgeAfter(now, config.deleteGraceDays),
            updatedAt: now,
          };
          return (await repo.updateAtVersion(row.id, row.version, data)) ? true : undefined;
        },
      });
    },

    /** Hard-deletes issuers whose grace period has passed; returns how many. */
    purgeExpired(now = clock(), scope: { accountId?: string } = {}): Promise<number> {
      return repo.purgeExpired(now, scope.accountId);
    },
  };
}

export type IssuerService = ReturnType<typeof createIssuerService>;
