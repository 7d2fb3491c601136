import {
  AUDIT_IGNORED_FIELDS,
  applyIssuerPatch,
  DomainError,
  diffChanges,
  etagFor,
  type Issuer,
  idTimestamp,
  isId,
  issuerConfigForCreate,
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
  config: { deleteGraceDays: number },
  audit: AuditRecorder,
) {
  async function load(accountId: string, id: string): Promise<IssuerJsonRow> {
    const row = isId("issuer", id) ? await repo.find(accountId, id) : undefined;
    if (!row) throw notFound(id);
    return row;
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
      const created = written(await repo.insert({ id, accountId, config: issuerConfig, createdAt: idTimestamp(id) }));
      await audit.record({
        accountId,
        type: "issuer.created",
        resourceId: id,
        changes: diffChanges(undefined, created.value, { ignore: AUDIT_IGNORED_FIELDS }),
      });
      return created;
    },

    async update(
      accountId: string,
      id: string,
      patch: UpdateIssuerInput,
      options: WriteOptions = {},
    ): Promise<Versioned<Issuer>> {
      return writeWithVersion({
        resource: "issuer",
        ifMatch: options.ifMatch,
        load: () => load(accountId, id),
        row: (row) => row,
        attempt: async (row) => {
          // The stored JSON is the API object Postgres built from validated columns: no second parse.
          const before = JSON.parse(row.json) as Issuer;
          const next = applyIssuerPatch(before, patch);
          const updated = await repo.updateAtVersion(row.id, row.version, next, clock());
          if (!updated) return undefined;
          const after = written(updated);
          await audit.record({
            accountId,
            type: before.status === "deleted" ? "issuer.restored" : "issuer.updated",
            resourceId: row.id,
            changes: diffChanges(before, after.value, { ignore: AUDIT_IGNORED_FIELDS }),
          });
          return after;
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
          const purgeAt = purgeAfter(now, config.deleteGraceDays);
          if (!(await repo.deleteAtVersion(row.id, row.version, now, purgeAt))) return undefined;
          await audit.record({
            accountId,
            type: "issuer.deleted",
            resourceId: row.id,
            changes: {
              status: { from: row.status, to: "deleted" },
              deleted_at: { from: null, to: toTimestamp(now) },
              purge_after: { from: null, to: toTimestamp(purgeAt) },
            },
          });
          return true;
        },
      });
    },

    /** Hard-deletes issuers whose grace period has passed; returns how many. */
    async purgeExpired(now = clock(), scope: { accountId?: string } = {}): Promise<number> {
      const purged = await repo.purgeExpired(now, scope.accountId);
      for (const issuer of purged) {
        await audit.record({ accountId: issuer.account_id, type: "issuer.purged", resourceId: issuer.id, changes: {} });
      }
      return purged.length;
    },
  };
}

function invalidCursor(): DomainError {
  return new DomainError("invalid_cursor", "cursor: not an issuer of this account", { param: "cursor" });
}

export type IssuerService = ReturnType<typeof createIssuerService>;
