import { generateKeyPairSync, type JsonWebKey } from "node:crypto";
import type { Db, OidcSigningKeyModel as SigningKeyRow } from "@authpi/db";
import { DomainError, isId, SigningKey, toTimestamp } from "@authpi/domain";
import { calculateJwkThumbprint } from "jose";
import type { Clock } from "../clock.ts";
import { decryptString, encryptString } from "../secrets/cipher.ts";
import type { Keyring } from "../secrets/keyring.ts";

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

const aad = (kid: string) => `oidc-signing-key:${kid}`;

async function generate(alg: SigningAlg): Promise<{ kid: string; publicJwk: JsonWebKey; privateJwk: JsonWebKey }> {
  const { publicKey, privateKey } =
    alg === "RS256"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : generateKeyPairSync("ec", { namedCurve: "P-256" });
  const publicJwk = publicKey.export({ format: "jwk" });
  const kid = await calculateJwkThumbprint(publicJwk as Parameters<typeof calculateJwkThumbprint>[0]);
  return { kid, publicJwk, privateJwk: privateKey.export({ format: "jwk" }) };
}

export function createSigningKeyService(
  db: Db,
  clock: Clock,
  keyring: () => Keyring,
  notify: (issuerId: string) => Promise<void>,
) {
  /** Live keys, current first; keys past their retention are left out (and removed by the purge). */
  async function liveKeys(issuerId: string): Promise<SigningKeyRow[]> {
    const rows = await db.oidcSigningKey.findMany({
      where: { issuerId, OR: [{ status: "current" }, { status: "previous", retireAfter: { gt: clock() } }] },
      orderBy: { createdAt: "desc" },
    });
    return rows.sort((a, b) => Number(b.status === "current") - Number(a.status === "current"));
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
     * signed has expired. Every process drops its provider for the issuer (NOTIFY).
     */
    async rotate(accountId: string, issuerId: string, options: { alg?: SigningAlg } = {}) {
      await issuerOf(accountId, issuerId);
      await ensure(issuerId);
      const now = clock();
      const { kid, publicJwk, privateJwk } = await generate(options.alg ?? "RS256");
      const alg = options.alg ?? "RS256";
      await db.$transaction(async (tx) => {
        // Concurrent rotations of one issuer serialize on its row: without the lock, both demote the
        // same current key and the second insert breaks the one-current-key index (a 500).
        await tx.$queryRaw`SELECT 1 FROM issuers WHERE id = ${issuerId} FOR UPDATE`;
        await tx.oidcSigningKey.updateMany({
          where: { issuerId, status: "current" },
          data: {
            status: "previous",
            rotatedAt: now,
            retireAfter: new Date(now.getTime() + PREVIOUS_KEY_RETENTION_SECONDS * 1000),
          },
        });
        // Earlier previous keys stop signing nothing new either; they keep their own retire_after.
        await tx.oidcSigningKey.create({
          data: {
            id: kid,
            issuerId,
            alg,
            status: "current",
            publicJwk: { ...publicJwk, kid, alg, use: "sig" },
            privateJwk: encryptString(keyring(), JSON.stringify({ ...privateJwk, kid, alg, use: "sig" }), aad(kid)),
            createdAt: now,
          },
        });
      });
      await notify(issuerId);
      return { object: "list" as const, data: (await liveKeys(issuerId)).map(toView) };
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
