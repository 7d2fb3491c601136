import {
  applyIssuerPatch,
  DomainError,
  etagFor,
  type Issuer,
  idTimestamp,
  ifMatchSatisfied,
  isId,
  issuerConfigForCreate,
  type List,
  type ListIssuersQuery,
  newId,
  purgeAfter,
  type UpdateIssuerInput,
} from "@authpi/domain";
import type { Clock } from "../clock.ts";
import { JsonText } from "../json-text.ts";
import { writeWithVersion } from "../versioned-write.ts";
import type { IssuerJsonRow, IssuerRepository } from "./repository.ts";

export interface Versioned<T> {
  value: T;
  etag: string;
}

export interface WriteOptions {
  /** The `If-Match` header, when the caller sent one. */
  ifMatch?: string | undefined;
}

/** A read: the JSON text as Postgres built it, sent as-is. */
function versioned(row: IssuerJsonRow): Versioned<JsonText<Issuer>> {
  return { value: new JsonText<Issuer>(row.json), etag: etagFor(row.id, row.version) };
}

/** A write's answer: the object Postgres built in the same statement (RETURNING), decoded, not re-validated. */
function written(row: IssuerJsonRow): Versioned<Issuer> {
  return { value: JSON.parse(row.json) as Issuer, etag: etagFor(row.id, row.version) };
}

/**
 * The latest version this process read or wrote of recent issuers: the starting
 * point of a PATCH, which then costs one statement (the conditional UPDATE)
 * instead of two. Never served to a read. A stale entry only costs the normal
 * path: its UPDATE matches no row (the version moved), and the PATCH reads again.
 */
export function createRecentIssuers(max = 5_000) {
  const rows = new Map<string, IssuerJsonRow>();
  return {
    get: (accountId: string, id: string) => rows.get(`${accountId}/${id}`),
    set(accountId: string, row: IssuerJsonRow): void {
      const key = `${accountId}/${row.id}`;
      rows.delete(key);
      if (rows.size >= max) rows.delete(rows.keys().next().value as string);
      rows.set(key, row);
    },
    delete: (accountId: string, id: string) => rows.delete(`${accountId}/${id}`),
  };
}

export type RecentIssuers = ReturnType<typeof createRecentIssuers>;

function notFound(id: string): DomainError {
  return new DomainError("resource_missing", `No such issuer: '${id}'`, { param: "issuer_id" });
}

/**
 * Issuers. Reads return the API JSON exactly as Postgres built it (the SQL
 * projection is the allowlist; see repository.ts); writes validate with the
 * domain's rules, then run one statement each: POST one INSERT … RETURNING,
 * PATCH one read and one `UPDATE … WHERE version = $n RETURNING`.
 */
export function createIssuerService(
  repo: IssuerRepository,
  clock: Clock,
  config: { deleteGraceDays: number; recent?: RecentIssuers | undefined },
) {
  const { recent } = config;

  async function load(accountId: string, id: string): Promise<IssuerJsonRow> {
    const row = isId("issuer", id) ? await repo.find(accountId, id) : undefined;
    if (!row) throw notFound(id);
    recent?.set(accountId, row);
    return row;
  }

  /** The PATCH applied to `row`, written only if the issuer is still at `row.version`. */
  async function patchAt(accountId: string, row: IssuerJsonRow, patch: UpdateIssuerInput) {
    // The stored JSON is the API object Postgres built from validated columns: no second parse.
    const next = applyIssuerPatch(JSON.parse(row.json) as Issuer, patch);
    const updated = await repo.updateAtVersion(row.id, row.version, next, clock());
    if (updated) recent?.set(accountId, updated);
    return updated;
  }

  /** One statement from the version this process last saw; undefined when that version is gone. */
  async function patchFromRecent(accountId: string, id: string, patch: UpdateIssuerInput, ifMatch?: string) {
    const row = recent?.get(accountId, id);
    if (!row || (ifMatch !== undefined && !ifMatchSatisfied(ifMatch, etagFor(row.id, row.version)))) return undefined;
    try {
      return await patchAt(accountId, row, patch);
    } catch (error) {
      // A rule refused the PATCH on what may be an old version: let the current one decide.
      if (error instanceof DomainError) return undefined;
      throw error;
    }
  }

  return {
    async list(accountId: string, query: ListIssuersQuery): Promise<JsonText<List<Issuer>>> {
      if (query.cursor !== undefined && !isId("issuer", query.cursor)) throw invalidCursor();
      const page = await repo.page(accountId, query);
      if (!page.cursorFound) throw invalidCursor();
      return new JsonText(page.json);
    },

    async get(accountId: string, id: string): Promise<Versioned<JsonText<Issuer>>> {
      return versioned(await load(accountId, id));
    },

    async create(accountId: string, input: unknown): Promise<Versioned<Issuer>> {
      const issuerConfig = issuerConfigForCreate(input);
      const id = newId("issuer", clock().getTime());
      const row = await repo.insert({ id, accountId, config: issuerConfig, createdAt: idTimestamp(id) });
      recent?.set(accountId, row);
      return written(row);
    },

    async update(
      accountId: string,
      id: string,
      patch: UpdateIssuerInput,
      options: WriteOptions = {},
    ): Promise<Versioned<Issuer>> {
      const fast = await patchFromRecent(accountId, id, patch, options.ifMatch);
      if (fast) return written(fast);
      return writeWithVersion({
        resource: "issuer",
        ifMatch: options.ifMatch,
        load: () => load(accountId, id),
        row: (row) => row,
        attempt: async (row) => {
          const updated = await patchAt(accountId, row, patch);
          return updated && written(updated);
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
          recent?.delete(accountId, id);
          const now = clock();
          return (await repo.deleteAtVersion(row.id, row.version, now, purgeAfter(now, config.deleteGraceDays)))
            ? true
            : undefined;
        },
      });
    },

    /** Hard-deletes issuers whose grace period has passed; returns how many. */
    purgeExpired(now = clock(), scope: { accountId?: string } = {}): Promise<number> {
      return repo.purgeExpired(now, scope.accountId);
    },
  };
}

function invalidCursor(): DomainError {
  return new DomainError("invalid_cursor", "cursor: not an issuer of this account", { param: "cursor" });
}

export type IssuerService = ReturnType<typeof createIssuerService>;
