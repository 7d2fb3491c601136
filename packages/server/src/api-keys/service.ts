import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { createListenerClient, type Db } from "@authpi/db";
import { DomainError, diffChanges, newId, toTimestamp } from "@authpi/domain";
import type pg from "pg";
import type { AuditRecorder } from "../audit/service.ts";
import type { Clock } from "../clock.ts";
import { type Sql, sqlOf, statement } from "../sql.ts";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SECRET_PATTERN = /^sk_[0-9A-Za-z]{43,64}$/;
// last_used_at is a hint, not an audit trail: write it at most once a minute per key.
const LAST_USED_RESOLUTION_MS = 60_000;
/** The channel a revocation is announced on; its payload is the key's id. */
export const API_KEY_REVOKED_CHANNEL = "api_key_revoked";
const CACHE_MAX_ENTRIES = 10_000;
const LISTENER_RETRY_MS = 1_000;

const FIND_BY_HASH = statement(
  "api_key_find_by_hash",
  "SELECT id, account_id, revoked_at, secret_hash FROM api_keys WHERE secret_hash = $1",
);

const TOUCH = statement("api_key_touch", "UPDATE api_keys SET last_used_at = $2 WHERE id = $1");

// One statement: the revocation and its announcement commit together (NOTIFY is sent at commit).
const VIEW_COLUMNS = `id, account_id AS "accountId", name, prefix, created_at AS "createdAt",
  last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"`;

const REVOKE = statement(
  "api_key_revoke",
  `UPDATE api_keys SET revoked_at = $3 WHERE id = $2 AND account_id = $1 AND revoked_at IS NULL
   RETURNING ${VIEW_COLUMNS}, pg_notify('${API_KEY_REVOKED_CHANNEL}', id)`,
);

const INSERT = statement(
  "api_key_insert",
  `INSERT INTO api_keys (id, account_id, name, prefix, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)
   RETURNING ${VIEW_COLUMNS}`,
);

const FIND = statement("api_key_find", `SELECT ${VIEW_COLUMNS} FROM api_keys WHERE account_id = $1 AND id = $2`);

function base62(bytes: Buffer): string {
  let n = BigInt(`0x${bytes.toString("hex")}`);
  let out = "";
  while (n > 0n) {
    out = BASE62[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out.padStart(43, "0");
}

export function hashSecret(secret: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash("sha256").update(secret).digest());
}

export interface ApiKeyView {
  object: "api_key";
  id: string;
  account_id: string;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface Principal {
  accountId: string;
  apiKeyId: string;
}

type ApiKeyRow = {
  id: string;
  accountId: string;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
};

function toView(row: ApiKeyRow): ApiKeyView {
  return {
    object: "api_key",
    id: row.id,
    account_id: row.accountId,
    name: row.name,
    prefix: row.prefix,
    created_at: toTimestamp(row.createdAt),
    last_used_at: row.lastUsedAt ? toTimestamp(row.lastUsedAt) : null,
    revoked_at: row.revokedAt ? toTimestamp(row.revokedAt) : null,
  };
}

/**
 * Resolved keys of this process, keyed by the secret's hash. Used only while
 * this process LISTENs for revocations: a revoked key is dropped the moment
 * Postgres delivers the NOTIFY (every process gets it), and while the listener
 * is down nothing is served from the cache, which is emptied on reconnect
 * (notifications sent meanwhile are lost). A lookup that raced a revocation is
 * not cached: `generation` moves with every notification.
 */
function createKeyCache(db: Db) {
  const byHash = new Map<string, Principal>();
  let generation = 0;
  let listening = false;
  let listener: pg.Client | undefined;
  let starting: Promise<void> | undefined;
  let stopped = false;

  function forget(apiKeyId: string): void {
    generation++;
    for (const [hash, principal] of byHash) if (principal.apiKeyId === apiKeyId) byHash.delete(hash);
  }

  function lost(): void {
    listening = false;
    listener = undefined;
    generation++;
    byHash.clear();
    if (!stopped && !db.pool.ended) {
      setTimeout(() => {
        starting = undefined;
        start();
      }, LISTENER_RETRY_MS).unref();
    }
  }

  function start(): void {
    if (starting || stopped || db.pool.ended) return;
    const client = createListenerClient(db);
    listener = client;
    client.on("notification", (message) => {
      if (message.channel === API_KEY_REVOKED_CHANNEL && message.payload) forget(message.payload);
    });
    client.on("error", () => client.end().catch(() => {}));
    client.once("end", () => {
      if (listener === client) lost();
    });
    starting = client
      .connect()
      .then(() => client.query(`LISTEN ${API_KEY_REVOKED_CHANNEL}`))
      .then(() => {
        if (listener === client) listening = true;
      })
      .catch(() => {
        client.end().catch(() => {});
      });
  }

  return {
    get(hash: string): Principal | undefined {
      start();
      return listening ? byHash.get(hash) : undefined;
    },
    /** The generation to pass to `set` after the lookup. */
    generation: () => generation,
    set(hash: string, principal: Principal, seenAt: number): void {
      if (!listening || seenAt !== generation) return;
      if (byHash.size >= CACHE_MAX_ENTRIES) byHash.delete(byHash.keys().next().value as string);
      byHash.set(hash, principal);
    },
    /** Drops a key in this process at once (its own revocations do not wait for the NOTIFY). */
    forget,
    async close(): Promise<void> {
      stopped = true;
      listening = false;
      await listener?.end().catch(() => {});
    },
  };
}

export function createApiKeyService(db: Db, clock: Clock, options: { cache?: boolean; sql?: Sql } = {}) {
  const lastUsedWritten = new Map<string, number>();
  const sql = options.sql ?? sqlOf(db);
  const cache = options.cache === false ? undefined : createKeyCache(db);

  return {
    async list(accountId: string): Promise<ApiKeyView[]> {
      const rows = await db.apiKey.findMany({ where: { accountId }, orderBy: { id: "desc" } });
      return rows.map(toView);
    },

    /** Creating and revoking keys on `sql` (the pool or a transaction), each with its event. */
    writesOn(sql: Sql, audit: AuditRecorder) {
      return {
        /** Creates a key; the secret is returned once and only its hash is kept. */
        async create(accountId: string, name = "Default key"): Promise<{ apiKey: ApiKeyView; secret: string }> {
          const secret = `sk_${base62(randomBytes(32))}`;
          const [row] = await sql.query<ApiKeyRow>(INSERT, [
            newId("apiKey"),
            accountId,
            name,
            secret.slice(0, 11),
            Buffer.from(hashSecret(secret)),
            clock(),
          ]);
          if (!row) throw new Error("INSERT … RETURNING returned no row");
          const apiKey = toView(row);
          await audit.record({
            accountId,
            issuerId: null,
            type: "api_key.created",
            resourceId: apiKey.id,
            changes: diffChanges(undefined, { name: apiKey.name, prefix: apiKey.prefix }),
          });
          return { apiKey, secret };
        },

        /** Revokes a key; every server process stops accepting it within moments (NOTIFY), not after a TTL. */
        async revoke(accountId: string, id: string): Promise<ApiKeyView> {
          const revoked = await sql.query<ApiKeyRow>(REVOKE, [accountId, id, clock()]);
          cache?.forget(id);
          const [row] = revoked.length ? revoked : await sql.query<ApiKeyRow>(FIND, [accountId, id]);
          if (!row) throw new DomainError("resource_missing", `No such API key: ${id}`, { param: "id" });
          const apiKey = toView(row);
          // Revoking a revoked key changes nothing and records nothing.
          if (revoked.length) {
            await audit.record({
              accountId,
              issuerId: null,
              type: "api_key.revoked",
              resourceId: id,
              changes: { revoked_at: { from: null, to: apiKey.revoked_at } },
            });
          }
          return apiKey;
        },
      };
    },

    /** Resolves a Bearer secret to its account; unknown and revoked keys are both 401. */
    async authenticate(secret: string): Promise<Principal> {
      if (!SECRET_PATTERN.test(secret)) throw new DomainError("invalid_api_key", "Invalid API key provided");
      const hash = hashSecret(secret);
      const hashKey = Buffer.from(hash).toString("base64");
      let principal = cache?.get(hashKey);
      if (!principal) {
        const generation = cache?.generation() ?? 0;
        const [row] = await sql.query<{ id: string; account_id: string; revoked_at: Date | null; secret_hash: Buffer }>(
          FIND_BY_HASH,
          [Buffer.from(hash)],
        );
        if (!row || row.revoked_at || !timingSafeEqual(row.secret_hash, hash)) {
          throw new DomainError("invalid_api_key", "Invalid API key provided");
        }
        principal = { accountId: row.account_id, apiKeyId: row.id };
        cache?.set(hashKey, principal, generation);
      }
      const now = clock().getTime();
      const { apiKeyId } = principal;
      if (now - (lastUsedWritten.get(apiKeyId) ?? 0) > LAST_USED_RESOLUTION_MS) {
        lastUsedWritten.set(apiKeyId, now);
        // Not awaited: the request must not wait for, or fail because of, a usage hint.
        sql.query(TOUCH, [apiKeyId, new Date(now)]).catch(() => {});
      }
      return principal;
    },

    /** Stops listening for revocations. */
    close: async (): Promise<void> => {
      await cache?.close();
    },
  };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
export type ApiKeyWrites = ReturnType<ApiKeyService["writesOn"]>;
