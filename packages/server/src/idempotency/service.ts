import { DomainError, IDEMPOTENCY_KEY_TTL_MS } from "@authpi/domain";
import type { Clock } from "../clock.ts";
import { type Sql, statement } from "../sql.ts";

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

/** Thrown inside the request's savepoint to undo its writes when it ends in a 4xx (the answer is kept). */
class Refused {
  constructor(readonly response: StoredResponse) {}
}

const KEY_COLUMNS = `"fingerprint", "state", "response_status", "response_body", "response_etag", "response_headers", "expires_at"`;

// DO NOTHING, not DO UPDATE: an upsert would wait for the row lock of a request still running.
const CLAIM = statement(
  "idempotency_claim",
  `INSERT INTO "idempotency_keys" ("account_id", "key", "fingerprint", "state", "operation", "created_at", "expires_at")
   VALUES ($1, $2, $3, 'in_progress', $4, $5, $6)
   ON CONFLICT ("account_id", "key") DO NOTHING`,
);

const RELEASE = statement(
  "idempotency_release",
  `DELETE FROM "idempotency_keys" WHERE ("account_id", "key") IN (
     SELECT "account_id", "key" FROM "idempotency_keys"
     WHERE "account_id" = $1 AND "key" = $2 AND "state" = 'in_progress'
     FOR UPDATE SKIP LOCKED)`,
);

const LOCK = statement(
  "idempotency_lock",
  `SELECT ${KEY_COLUMNS} FROM "idempotency_keys" WHERE "account_id" = $1 AND "key" = $2 FOR UPDATE SKIP LOCKED`,
);

const PEEK = statement(
  "idempotency_peek",
  `SELECT ${KEY_COLUMNS} FROM "idempotency_keys" WHERE "account_id" = $1 AND "key" = $2`,
);

const RESTART = statement(
  "idempotency_restart",
  `UPDATE "idempotency_keys" SET "fingerprint" = $3, "state" = 'in_progress', "operation" = $4,
     "response_status" = NULL, "response_body" = NULL, "response_etag" = NULL, "response_headers" = NULL,
     "finished_at" = NULL, "created_at" = $5, "expires_at" = $6
   WHERE "account_id" = $1 AND "key" = $2`,
);

const FINISH = statement(
  "idempotency_finish",
  `UPDATE "idempotency_keys" SET "state" = 'done', "response_status" = $3, "response_body" = $4,
     "response_etag" = $5, "response_headers" = $6::jsonb, "finished_at" = $7
   WHERE "account_id" = $1 AND "key" = $2`,
);

const PURGE = statement("idempotency_purge", `DELETE FROM "idempotency_keys" WHERE "expires_at" <= $1 RETURNING 1`);

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
 *    The request runs on services bound to this transaction (`run(tx)`), and
 *    the row becomes `done` with the response in the same commit — so a crash
 *    or lost database never leaves a write without its record or the reverse.
 *    A 4xx rolls back to a savepoint first; a 5xx rolls everything back and
 *    frees the key. A row left `in_progress` but unlocked belongs to a request
 *    that died before committing, and the next retry takes it over.
 */
export function createIdempotencyService<S>(sql: Sql, clock: Clock, bind: (tx: Sql) => S) {
  const expiry = (now: Date) => new Date(now.getTime() + IDEMPOTENCY_KEY_TTL_MS);

  async function claim(scope: IdempotencyScope, now: Date): Promise<void> {
    await sql.query(CLAIM, [scope.accountId, scope.key, scope.fingerprint, scope.operation, now, expiry(now)]);
  }

  async function release(scope: IdempotencyScope): Promise<void> {
    await sql.query(RELEASE, [scope.accountId, scope.key]);
  }

  return {
    /**
     * Runs `run` at most once per (account, key) with a 2xx or 4xx outcome,
     * replaying that outcome to every later identical request for 24 hours.
     * `run` gets the services bound to the request's transaction, which holds
     * the key's lock and commits with the stored answer; it renders errors
     * itself and must resolve, not throw.
     */
    async execute(scope: IdempotencyScope, run: (tx: S) => Promise<StoredResponse>): Promise<IdempotentResult> {
      for (let attempt = 0; attempt < 3; attempt++) {
        const now = clock();
        await claim(scope, now);
        let outcome: IdempotentResult | "vanished";
        try {
          outcome = await sql.transaction(async (tx) => {
            const key = [scope.accountId, scope.key];
            const row = (await tx.query<KeyRow>(LOCK, key))[0];
            if (!row) {
              // Locked by the request that is running it, or deleted after a 5xx.
              const other = (await tx.query<KeyRow>(PEEK, key))[0];
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
              await tx.query(RESTART, [...key, scope.fingerprint, scope.operation, now, expiry(now)]);
            }
            // A refused request changes nothing, even if it wrote before failing: its writes
            // run in a savepoint that a 4xx rolls back.
            const response = await tx
              .transaction(async (request) => {
                const answer = await run(bind(request));
                if (answer.status >= 500) throw new NotKept(answer);
                if (answer.status >= 400) throw new Refused(answer);
                return answer;
              })
              .catch((error: unknown) => {
                if (error instanceof Refused) return error.response;
                throw error;
              });
            const headers =
              response.headers && Object.keys(response.headers).length ? JSON.stringify(response.headers) : null;
            await tx.query(FINISH, [...key, response.status, response.body, response.etag ?? null, headers, clock()]);
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
      return (await sql.query(PURGE, [now])).length;
    },
  };
}

export type IdempotencyService<S = unknown> = ReturnType<typeof createIdempotencyService<S>>;
