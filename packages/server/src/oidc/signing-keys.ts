import { generateKeyPairSync, type JsonWebKey } from "node:crypto";
import type { Db, OidcSigningKeyModel as SigningKeyRow } from "@authpi/db";
import { DomainError, isId, SigningKey, toTimestamp } from "@authpi/domain";
import { calculateJwkThumbprint } from "jose";
import { withEvent } from "../audit/repository.ts";
import type { AuditRecorder } from "../audit/service.ts";
import type { Clock } from "../clock.ts";
import { decryptString, encryptString } from "../secrets/cipher.ts";
import type { Keyring } from "../secrets/keyring.ts";
import { signingKeyAad } from "../secrets/rotation.ts";
import { type Sql, statement } from "../sql.ts";

export type SigningAlg = "RS256" | "ES256";

/**
 * How long a key stays in the JWKS after it stopped signing: the longest any token it signed can
 * live (ID and access tokens are at most 86400 s, api-contract §5), plus the provider's clock
 * tolerance. Refresh tokens are opaque and signed by nothing.
 */
export const PREVIOUS_KEY_RETENTION_SECONDS = 86_400 + 60;

/** The control-plane view of a key (never the private half). */
export interface SigningKeyView {
  object: "signing_key";
  id: string;
  alg: SigningAlg;
  status: "current" | "previous";
  created_at: string;
  rotated_at: string | null;
  retire_after: string | null;
}

export type PrivateJwk = JsonWebKey & { kid: string; alg: string; use: "sig" };

/** The response allowlist: a row becomes an API object only through the schema. */
function toView(row: SigningKeyRow): SigningKeyView {
  return SigningKey.parse({
    object: "signing_key",
    id: row.id,
    alg: row.alg as SigningAlg,
    status: row.status as "current" | "previous",
    created_at: toTimestamp(row.createdAt),
    rotated_at: row.rotatedAt ? toTimestamp(row.rotatedAt) : null,
    retire_after: row.retireAfter ? toTimestamp(row.retireAfter) : null,
  });
}

const aad = signingKeyAad;

async function generate(alg: SigningAlg): Promise<{ kid: string; publicJwk: JsonWebKey; privateJwk: JsonWebKey }> {
  const { publicKey, privateKey } =
    alg === "RS256"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : generateKeyPairSync("ec", { namedCurve: "P-256" });
  const publicJwk = publicKey.export({ format: "jwk" });
  const kid = await calculateJwkThumbprint(publicJwk as Parameters<typeof calculateJwkThumbprint>[0]);
  return { kid, publicJwk, privateJwk: privateKey.export({ format: "jwk" }) };
}

// A rotation: one transaction on the `Sql` executor, its event in the new key's INSERT (`withEvent`).
// Concurrent rotations of one issuer serialize on its row: without the lock, both demote the
// same current key and the second insert breaks the one-current-key index (a 500).
const LOCK_ISSUER = statement("signing_key_lock_issuer", "SELECT 1 FROM issuers WHERE id = $1 FOR UPDATE");
// Earlier previous keys sign nothing new either; they keep their own retire_after.
const DEMOTE_CURRENT = statement(
  "signing_key_demote_current",
  `UPDATE oidc_signing_keys SET status = 'previous', rotated_at = $2, retire_after = $3
   WHERE issuer_id = $1 AND status = 'current' RETURNING id`,
);
const INSERT_CURRENT = statement(
  "signing_key_insert_current",
  withEvent(
    `INSERT INTO oidc_signing_keys (id, issuer_id, alg, status, public_jwk, private_jwk, created_at)
     VALUES ($1, $2, $3, 'current', $4, $5, $6) RETURNING id`,
    7,
  ),
);
/** Live keys, current first; keys past their retention are left out (and removed by the purge). */
const LIVE_KEYS = statement(
  "signing_key_live",
  `SELECT id, issuer_id AS "issuerId", alg, status, public_jwk AS "publicJwk", private_jwk AS "privateJwk",
     created_at AS "createdAt", rotated_at AS "rotatedAt", retire_after AS "retireAfter"
   FROM oidc_signing_keys
   WHERE issuer_id = $1 AND (status = 'current' OR (status = 'previous' AND retire_after > $2))
   ORDER BY status = 'current' DESC, created_at DESC`,
);

/**
 * `sql` is where rotations run their transaction (the pool, or the request's
 * transaction, which they then join as a savepoint); `notify` runs in it, so
 * other processes hear of a rotation once it commits.
 */
export function createSigningKeyService(
  sql: Sql,
  db: Db,
  clock: Clock,
  keyring: () => Keyring,
  notify: (tx: Sql, issuerId: string) => Promise<void>,
  audit: AuditRecorder,
) {
  function liveKeys(issuerId: string, on: Sql = sql): Promise<SigningKeyRow[]> {
    return on.query<SigningKeyRow>(LIVE_KEYS, [issuerId, clock()]);
  }

  async function insertKey(issuerId: string, alg: SigningAlg): Promise<void> {
    const { kid, publicJwk, privateJwk } = await generate(alg);
    await db.oidcSigningKey.create({
      data: {
        id: kid,
        issuerId,
        alg,
        status: "current",
        publicJwk: { ...publicJwk, kid, alg, use: "sig" },
        privateJwk: encryptString(keyring(), JSON.stringify({ ...privateJwk, kid, alg, use: "sig" }), aad(kid)),
        createdAt: clock(),
      },
    });
  }

  async function issuerOf(accountId: string, issuerId: string) {
    const issuer = isId("issuer", issuerId)
      ? await db.issuer.findFirst({ where: { id: issuerId, accountId }, select: { id: true, status: true } })
      : null;
    if (!issuer) throw new DomainError("resource_missing", `No such issuer: '${issuerId}'`, { param: "issuer_id" });
    if (issuer.status === "deleted") {
      throw new DomainError(
        "issuer_deleted_not_found",
        `Issuer '${issuerId}' is deleted; its signing keys are unavailable`,
        {
          param: "issuer_id",
        },
      );
    }
    return issuer;
  }

  /** The issuer's keys, creating the first one (RS256) when it has none. */
  async function ensure(issuerId: string): Promise<SigningKeyRow[]> {
    const keys = await liveKeys(issuerId);
    if (keys.some((key) => key.status === "current")) return keys;
    try {
      await insertKey(issuerId, "RS256");
    } catch (error) {
      // Another process created it first (one current key per issuer, a unique index).
      if ((error as { code?: string }).code !== "P2002") throw error;
    }
    return liveKeys(issuerId);
  }

  return {
    ensure,

    /** The private JWKs the provider signs with (current first) and publishes (their public halves). */
    async providerJwks(issuerId: string): Promise<PrivateJwk[]> {
      const rows = await ensure(issuerId);
      return rows.map((row) => JSON.parse(decryptString(keyring(), row.privateJwk, aad(row.id))) as PrivateJwk);
    },

    async list(accountId: string, issuerId: string): Promise<{ object: "list"; data: SigningKeyView[] }> {
      await issuerOf(accountId, issuerId);
      return { object: "list", data: (await ensure(issuerId)).map(toView) };
    },

    /**
     * A new current key; the one before becomes `previous` and stays published until every token it
     * signed has expired. Every process drops its provider for the issuer (NOTIFY). The
     * `issuer.signing_key_rotated` event names the key ids (public) that changed.
     */
    async rotate(accountId: string, issuerId: string, options: { alg?: SigningAlg } = {}) {
      await issuerOf(accountId, issuerId);
      await ensure(issuerId);
      const now = clock();
      const alg = options.alg ?? "RS256";
      const { kid, publicJwk, privateJwk } = await generate(alg);
      const rows = await sql.transaction(async (tx) => {
        await tx.query(LOCK_ISSUER, [issuerId]);
        const retireAfter = new Date(now.getTime() + PREVIOUS_KEY_RETENTION_SECONDS * 1000);
        const [demoted] = await tx.query<{ id: string }>(DEMOTE_CURRENT, [issuerId, now, retireAfter]);
        const event = audit.values({
          accountId,
          issuerId,
          type: "issuer.signing_key_rotated",
          resourceId: issuerId,
          changes: { "signing_keys.current": { from: demoted?.id ?? null, to: kid } },
        });
        await tx.query(INSERT_CURRENT, [
          kid,
          issuerId,
          alg,
          JSON.stringify({ ...publicJwk, kid, alg, use: "sig" }),
          encryptString(keyring(), JSON.stringify({ ...privateJwk, kid, alg, use: "sig" }), aad(kid)),
          now,
          ...event,
        ]);
        await notify(tx, issuerId);
        return liveKeys(issuerId, tx);
      });
      return { object: "list" as const, data: rows.map(toView) };
    },

    /** Removes keys past their retention; returns how many. */
    async purgeRetired(now = clock()): Promise<number> {
      const { count } = await db.oidcSigningKey.deleteMany({
        where: { status: "previous", retireAfter: { lte: now } },
      });
      return count;
    },
  };
}

export type SigningKeyService = ReturnType<typeof createSigningKeyService>;
