import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Db } from "@authpi/db";
import { DomainError, newId, toTimestamp } from "@authpi/domain";
import type { Clock } from "../clock.ts";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SECRET_PATTERN = /^sk_[0-9A-Za-z]{43,64}$/;
// last_used_at is a hint, not an audit trail: write it at most once a minute per key.
const LAST_USED_RESOLUTION_MS = 60_000;

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

export function createApiKeyService(db: Db, clock: Clock) {
  const lastUsedWritten = new Map<string, number>();

  return {
    /** Creates a key; the secret is returned once and only its hash is kept. */
    async create(accountId: string, name = "Default key"): Promise<{ apiKey: ApiKeyView; secret: string }> {
      const secret = `sk_${base62(randomBytes(32))}`;
      const row = await db.apiKey.create({
        data: {
          id: newId("apiKey"),
          accountId,
          name,
          prefix: secret.slice(0, 11),
          secretHash: hashSecret(secret),
          createdAt: clock(),
        },
      });
      return { apiKey: toView(row), secret };
    },

    async list(accountId: string): Promise<ApiKeyView[]> {
      const rows = await db.apiKey.findMany({ where: { accountId }, orderBy: { id: "desc" } });
      return rows.map(toView);
    },

    async revoke(accountId: string, id: string): Promise<ApiKeyView> {
      const row = await db.apiKey.findFirst({ where: { id, accountId } });
      if (!row) throw new DomainError("resource_missing", `No such API key: ${id}`, { param: "id" });
      if (row.revokedAt) return toView(row);
      return toView(await db.apiKey.update({ where: { id }, data: { revokedAt: clock() } }));
    },

    /** Resolves a Bearer secret to its account; unknown and revoked keys are both 401. */
    async authenticate(secret: string): Promise<Principal> {
      if (!SECRET_PATTERN.test(secret)) throw new DomainError("invalid_api_key", "Invalid API key provided");
      const hash = hashSecret(secret);
      const row = await db.apiKey.findUnique({
        where: { secretHash: hash },
        select: { id: true, accountId: true, revokedAt: true, secretHash: true },
      });
      if (!row || row.revokedAt || !timingSafeEqual(Buffer.from(row.secretHash), hash)) {
        throw new DomainError("invalid_api_key", "Invalid API key provided");
      }
      const now = clock().getTime();
      if (now - (lastUsedWritten.get(row.id) ?? 0) > LAST_USED_RESOLUTION_MS) {
        lastUsedWritten.set(row.id, now);
        // Not awaited: the request must not wait for, or fail because of, a usage hint.
        db.apiKey.update({ where: { id: row.id }, data: { lastUsedAt: new Date(now) } }).catch(() => {});
      }
      return { accountId: row.accountId, apiKeyId: row.id };
    },
  };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
