import type { Db } from "@authpi/db";
import { DomainError, IDEMPOTENCY_KEY_TTL_MS } from "@authpi/domain";
import type { Clock } from "../clock.ts";
import { runInTransaction } from "../transaction-scope.ts";

/** A response as first sent: what a replay sends again, byte for byte. */
export interface StoredResponse {
  status: number;
  /** The serialized body, or null for an empty one. */
  body: string | null;
  etag?: string | undefined;
  headers?: Record<string, string> | undefined;
}

export interface IdempotencyScope {
  accountId: string;
  key: string;
  /** See `requestFingerprint` in the domain package. */
  fingerprint: string;
  /** The route's operation id, kept to make the table readable. */
  operation: string;
}

export interface IdempotentResult {
  response: StoredResponse;
  replayed: boolean;
}

interface KeyRow {
  fingerprint: string;
  state: "in_progress" | "done";
  response_status: number | null;
  response_body: string | null;
  response_etag: string | null;
  response_headers: Record<string, string> | null;
  expires_at: Date;
}

/** Thrown inside the transaction to roll everything back when the request ends in a 5xx. */
class NotKept {
  constructor(readonly response: StoredResponse) {}
}

const SAVEPOINT = "idempotent_request";

function replay(row: KeyRow): StoredResponse {
  return {
    status: row.response_status ?? 500,
    body: row.response_body,
    etag: row.response_etag ?? undefined,
    headers: row.response_headers ?? undefined,
  };
}

function reused(): DomainError {
  return new DomainError(
    "idempotency_key_reused",
    "This Idempotency-Key was already used with a different request (method, path or body)",
    { param: "Idempotency-Key" },
  );
}

function inProgress(): DomainError {
  return new DomainError(
    "idempotency_request_in_progress",
    "A request with this Idempotency-Key is still being processed; retry later",
    { param: "Idempotency-Key" },
  );
}

/**
 * Exactly-once POST/PATCH (api-contract §2), guaranteed by Postgres alone so it
 * holds across any number of server processes:
 *
 * 1. The key row is inserted (`in_progress`) and committed; the primary key
 *    (account_id, key) makes one row per key.
 * 2. A transaction locks that row (`FOR UPDATE SKIP LOCKED`): whoever holds
 *    the lock runs the request; anyone else sees it locked and answers 409.
 *    The request's own writes join this transaction (`transactionAware`), and
 *    the row becomes `done` with the response in the same commit — so a crash
 *    or lost database never leaves a write without its record or the reverse.
 *    A 4xx rolls back to a savepoint first; a 5xx rolls everything back and
 *    frees the key. A row left `in_progress` but unlocked belongs to a request
 *    that died before committing, and the next retry takes it over.
 */
export function createIdempotencyService(db: Db, clock: Clock) {
  async function claim(scope: IdempotencyScope, now: Date): Promise<void> {
    // DO NOTHING, not DO UPDATE: an upsert would wait for the row lock of a request still running.
    await db.$executeRaw`
      INSERT INTO "idempotency_keys" ("account_id", "key", "fingerprint", "state", "operation", "created_at", "expires_at")
      VALUES (${scope.accountId}, ${scope.key}, ${scope.fingerprint}, 'in_progress', ${scope.operation}, ${now},
        ${new Date(now.getTime() + IDEMPOTENCY_KEY_TTL_MS)})
      ON CONFLICT ("account_id", "key") DO NOTHING`;
  }

  async function release(scope: IdempotencyScope): Promise<void> {
    await db.$executeRaw`
      DELETE FROM "idempotency_keys" WHERE ("account_id", "key") IN (
        SELECT "account_id", "key" FROM "idempotency_keys"
        WHERE "account_id" = ${scope.accountId} AND "key" = ${scope.key} AND "state" = 'in_progress'
        FOR UPDATE SKIP LOCKED)`;
  }

  return {
    /**
     * Runs `run` at most once per (account, key) with a 2xx or 4xx outcome,
     * replaying that outcome to every later identical request for 24 hours.
     * `run` renders errors itself; it must resolve, not throw.
     */
    async execute(scope: IdempotencyScope, run: () => Promise<StoredResponse>): Promise<IdempotentResult> {
      for (let attempt = 0; attempt < 3; attempt++) {
        const now = clock();
        await claim(scope, now);
        let outcome: IdempotentResult | "vanished";
        try {
          outcome = await runInTransaction(db, async (tx) => {
            const locked = await tx.$queryRaw<KeyRow[]>`
              SELECT "fingerprint", "state", "response_status", "response_body", "response_etag", "response_headers", "expires_at"
              FROM "idempotency_keys" WHERE "account_id" = ${scope.accountId} AND "key" = ${scope.key}
              FOR UPDATE SKIP LOCKED`;
            const row = locked[0];
            if (!row) {
              // Locked by the request that is running it, or deleted after a 5xx.
              const seen = await tx.$queryRaw<KeyRow[]>`
                SELECT "fingerprint", "state", "response_status", "response_body", "response_etag", "response_headers", "expires_at"
                FROM "idempotency_keys" WHERE "account_id" = ${scope.accountId} AND "key" = ${scope.key}`;
              const other = seen[0];
              if (!other) return "vanished" as const;
              if (other.expires_at.getTime() <= now.getTime()) throw inProgress();
              if (other.fingerprint !== scope.fingerprint) throw reused();
              if (other.state === "done") return { response: replay(other), replayed: true };
              throw inProgress();
            }
            const expired = row.expires_at.getTime() <= now.getTime();
            if (row.state === "done" && !expired) {
              if (row.fingerprint !== scope.fingerprint) throw reused();
              return { response: replay(row), replayed: true };
            }
            // Ours: new, expired (as good as new), or left by a request that died before its
            // commit (so nothing of it was kept).
            if (expired || row.fingerprint !== scope.fingerprint) {
              await tx.$executeRaw`
                UPDATE "idempotency_keys" SET "fingerprint" = ${scope.fingerprint}, "state" = 'in_progress',
                  "operation" = ${scope.operation}, "response_status" = NULL, "response_body" = NULL,
                  "response_etag" = NULL, "response_headers" = NULL, "finished_at" = NULL, "created_at" = ${now},
                  "expires_at" = ${new Date(now.getTime() + IDEMPOTENCY_KEY_TTL_MS)}
                WHERE "account_id" = ${scope.accountId} AND "key" = ${scope.key}`;
            }
            await tx.$executeRawUnsafe(`SAVEPOINT ${SAVEPOINT}`);
            const response = await run();
            if (response.status >= 500) throw new NotKept(response);
            // A refused request changes nothing, even if it wrote before failing.
            if (response.status >= 400) await tx.$executeRawUnsafe(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
            await tx.$executeRaw`
              UPDATE "idempotency_keys" SET "state" = 'done', "response_status" = ${response.status},
                "response_body" = ${response.body}, "response_etag" = ${response.etag ?? null},
                "response_headers" = ${response.headers && Object.keys(response.headers).length ? JSON.stringify(response.headers) : null}::jsonb,
                "finished_at" = ${clock()}
              WHERE "account_id" = ${scope.accountId} AND "key" = ${scope.key}`;
            return { response, replayed: false };
          });
        } catch (error) {
          if (error instanceof NotKept) {
            // Not awaited: when the database is what failed, this may wait out a connect timeout,
            // and the answer must not. A row it fails to delete is taken over by the next retry.
            release(scope).catch(() => {});
            return { response: error.response, replayed: false };
          }
          throw error;
        }
        if (outcome !== "vanished") return outcome;
      }
      throw inProgress();
    },

    /** Deletes keys past their 24 hours; returns how many. */
    async purgeExpired(now = clock()): Promise<number> {
      return db.$executeRaw`DELETE FROM "idempotency_keys" WHERE "expires_at" <= ${now}`;
    },
  };
}

export type IdempotencyService = ReturnType<typeof createIdempotencyService>;
