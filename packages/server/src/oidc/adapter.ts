import type { Db, Prisma } from "@authpi/db";
import type { Adapter, AdapterPayload } from "oidc-provider";
import { statement } from "../sql.ts";
import type { ProviderArtifacts } from "../users/provider-artifacts.ts";

/**
 * oidc-provider's storage on Postgres: every model instance of one issuer's provider (Session,
 * Interaction, Grant, AuthorizationCode, AccessToken, RefreshToken, ClientCredentials…) is a row of
 * `oidc_artifacts`, keyed by (issuer, model, id), with its expiry. Nothing lives in process memory,
 * so a sign-in started on one server process finishes on another.
 *
 * Time is the JavaScript clock (`Date.now()`), the one oidc-provider itself reads, so a test that
 * moves it moves expiry here too.
 */
export interface ArtifactOptions {
  /** When false, a consumed refresh token presented again is just unknown (no grant revocation). */
  reuseDetection(): boolean;
}

/** A JWT access token is found by the `jti` in its payload (its record is stored under that id). */
function tokenId(model: string, value: string): string {
  if ((model === "AccessToken" || model === "ClientCredentials") && value.split(".").length === 3) {
    try {
      const payload = JSON.parse(Buffer.from(value.split(".")[1] ?? "", "base64url").toString("utf8")) as unknown;
      const jti = (payload as { jti?: unknown } | null)?.jti;
      return typeof jti === "string" ? jti : "";
    } catch {
      return "";
    }
  }
  return value;
}

const epoch = (date: Date) => Math.floor(date.getTime() / 1000);

export function createArtifactAdapter(db: Db, issuerId: string, model: string, options: ArtifactOptions): Adapter {
  const key = (id: string) => ({ issuerId_model_id: { issuerId, model, id } });

  function live(row: { expiresAt: Date | null } | null): boolean {
    return row !== null && (row.expiresAt === null || row.expiresAt.getTime() > Date.now());
  }

  function toPayload(row: { payload: Prisma.JsonValue; consumedAt: Date | null }): AdapterPayload {
    const payload = row.payload as AdapterPayload;
    return row.consumedAt ? { ...payload, consumed: epoch(row.consumedAt) } : payload;
  }

  async function findWhere(where: Prisma.OidcArtifactWhereInput): Promise<AdapterPayload | undefined> {
    const row = await db.oidcArtifact.findFirst({ where: { issuerId, model, ...where } });
    if (!row || !live(row)) return undefined;
    if (row.consumedAt && model === "RefreshToken" && !options.reuseDetection()) return undefined;
    return toPayload(row);
  }

  return {
    async upsert(id, payload, expiresIn) {
      const columns = {
        payload: payload as Prisma.InputJsonObject,
        grantId: payload.grantId ?? null,
        accountId: payload.accountId ?? null,
        clientId: payload.clientId ?? null,
        uid: payload.uid ?? null,
        expiresAt: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
      };
      await db.oidcArtifact.upsert({ where: key(id), create: { issuerId, model, id, ...columns }, update: columns });
    },

    find(id) {
      const value = tokenId(model, id);
      return value ? findWhere({ id: value }) : Promise.resolve(undefined);
    },

    findByUid(uid) {
      return findWhere({ uid });
    },

    findByUserCode() {
      // The device flow is not enabled.
      return Promise.resolve(undefined);
    },

    async consume(id) {
      await db.oidcArtifact.updateMany({ where: { issuerId, model, id }, data: { consumedAt: new Date() } });
    },

    async destroy(id) {
      await db.oidcArtifact.deleteMany({ where: { issuerId, model, id } });
    },

    async revokeByGrantId(grantId) {
      // Every model of the grant, not only this one: a revoked grant leaves no token behind.
      await db.oidcArtifact.deleteMany({ where: { issuerId, grantId } });
    },
  };
}

/** Removes the artifacts that have expired (the server's periodic purge); returns how many. */
export async function purgeExpiredArtifacts(db: Db, now = new Date()): Promise<number> {
  const { count } = await db.oidcArtifact.deleteMany({ where: { expiresAt: { lte: now } } });
  return count;
}

const REVOKE_USER = statement(
  "oidc_artifacts_revoke_user",
  "DELETE FROM oidc_artifacts WHERE issuer_id = $1 AND account_id = $2",
);
const REVOKE_CLIENT = statement(
  "oidc_artifacts_revoke_client",
  "DELETE FROM oidc_artifacts WHERE issuer_id = $1 AND client_id = $2",
);

/**
 * What the users and clients services revoke, on the `sql` of their change (its transaction): a
 * user's sessions, grants and tokens on delete, block or "sign out everywhere"; a client's grants
 * and tokens on delete. One DELETE each, by the `account_id` / `client_id` columns.
 */
export const providerArtifacts: ProviderArtifacts = {
  async revokeUser(sql, issuerId, userId) {
    await sql.query(REVOKE_USER, [issuerId, userId]);
  },
  async revokeClient(sql, issuerId, clientId) {
    await sql.query(REVOKE_CLIENT, [issuerId, clientId]);
  },
};
