import {
  AUDIT_IGNORED_FIELDS,
  applyIssuerPatch,
  checkIssuerCreate,
  DomainError,
  diffChanges,
  etagFor,
  type Issuer,
  type IssuerConfig,
  idTimestamp,
  ifMatchSatisfied,
  isId,
  type List,
  type ListIssuersQuery,
  newId,
  purgeAfter,
  toTimestamp,
  type UpdateIssuerInput,
} from "@authpi/domain";
import type { AuditRecorder } from "../audit/service.ts";
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
 * The latest version this process wrote of recent issuers: the starting point
 * of a PATCH, which then costs one statement (the conditional UPDATE and its
 * event) instead of two. Never served to a read, and a read does not enter it:
 * a GET that kept its row here kept it past V8's young generation and pushed
 * an older one out, so every read left garbage in the old generation
 * (measured, 15 s of GETs at 500/s over 10,000 issuers: 29 MB promoted with
 * reads cached, 9 MB without).
 * Only writes that autocommit use it (never inside a transaction, which could
 * roll back a version it cached), so a cached version was in the database; a
 * stale one only costs the normal path: its UPDATE matches no row, and the
 * PATCH reads again.
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
 * domain's rules, then run one statement each, its audit event in it: POST one
 * INSERT … RETURNING, PATCH one read and one `UPDATE … WHERE version = $n
 * RETURNING` (only the UPDATE when `recent` holds the current version). The
 * event's changes are computed before the statement from the validated state.
 */
export function createIssuerService(
  repo: IssuerRepository,
  clock: Clock,
  config: { deleteGraceDays: number; recent?: RecentIssuers | undefined },
  audit: AuditRecorder,
) {
  const { recent } = config;

  async function load(accountId: string, id: string): Promise<IssuerJsonRow> {
    const row = isId("issuer", id) ? await repo.find(accountId, id) : undefined;
    if (!row) throw notFound(id);
    return row;
  }

  /** The PATCH applied to `row`, written with its event only if the issuer is still at `row.version`. */
  async function patchAt(accountId: string, row: IssuerJsonRow, patch: UpdateIssuerInput) {
    // The stored JSON is the API object Postgres built from validated columns: no second parse.
    const before = JSON.parse(row.json) as Issuer;
    const next = applyIssuerPatch(before, patch);
    // A successful PATCH always leaves (or restores to) a live issuer.
    const after = { ...before, ...next, deleted_at: null, purge_after: null };
    const event = audit.values({
      accountId,
      issuerId: row.id,
      type: before.status === "deleted" ? "issuer.restored" : "issuer.updated",
      resourceId: row.id,
      changes: diffChanges(before, after, { ignore: AUDIT_IGNORED_FIELDS }),
    });
    const updated = await repo.updateAtVersion(row.id, row.version, next, clock(), event);
    if (updated) recent?.set(accountId, updated);
    return updated && written(updated);
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
      return new JsonText(page.parts, page.bytes);
    },

    async get(accountId: string, id: string): Promise<Versioned<JsonText<Issuer>>> {
      return versioned(await load(accountId, id));
    },

    async create(accountId: string, input: IssuerConfig): Promise<Versioned<Issuer>> {
      const issuerConfig = checkIssuerCreate(input);
      const id = newId("issuer", clock().getTime());
      const state = { ...issuerConfig, deleted_at: null, purge_after: null };
      const event = audit.values({
        accountId,
        issuerId: id,
        type: "issuer.created",
        resourceId: id,
        changes: diffChanges(undefined, state, { ignore: AUDIT_IGNORED_FIELDS }),
      });
      const row = await repo.insert({ id, accountId, config: issuerConfig, createdAt: idTimestamp(id), event });
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
      if (fast) return fast;
      return writeWithVersion({
        resource: "issuer",
        ifMatch: options.ifMatch,
        load: () => load(accountId, id),
        row: (row) => row,
        attempt: (row) => patchAt(accountId, row, patch),
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
          const purgeAt = purgeAfter(now, config.deleteGraceDays);
          const event = audit.values({
            accountId,
            issuerId: row.id,
            type: "issuer.deleted",
            resourceId: row.id,
            changes: {
              status: { from: row.status, to: "deleted" },
              deleted_at: { from: null, to: toTimestamp(now) },
              purge_after: { from: null, to: toTimestamp(purgeAt) },
            },
          });
          if (!(await repo.deleteAtVersion(row.id, row.version, now, purgeAt, event))) return undefined;
          recent?.delete(accountId, row.id);
          return true;
        },
      });
    },

    /** Hard-deletes issuers whose grace period has passed; returns how many. */
    async purgeExpired(now = clock(), scope: { accountId?: string } = {}): Promise<number> {
      const purged = await repo.purgeExpired(now, scope.accountId);
      // One statement for the whole batch's events.
      await audit.record(
        ...purged.map((issuer) => ({
          accountId: issuer.account_id,
          issuerId: issuer.id,
          type: "issuer.purged" as const,
          resourceId: issuer.id,
          changes: {},
        })),
      );
      return purged.length;
    },
  };
}

function invalidCursor(): DomainError {
  return new DomainError("invalid_cursor", "cursor: not an issuer of this account", { param: "cursor" });
}

export type IssuerService = ReturnType<typeof createIssuerService>;
