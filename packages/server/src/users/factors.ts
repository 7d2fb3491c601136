import type { Db } from "@authpi/db";
import { type FactorType, newId } from "@authpi/domain";
import type { Clock } from "../clock.ts";
import { decryptString, encryptString } from "../secrets/cipher.ts";
import type { Keyring } from "../secrets/keyring.ts";

/** An enrolled second factor with its secret decrypted (a TOTP key, a passkey credential, code hashes). */
export interface StoredFactor {
  id: string;
  userId: string;
  type: FactorType;
  name: string;
  /** Each factor type's own data (JSON text for the structured ones); null when it has none. */
  secret: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/**
 * The sign-in side's access to `user_factors`: users enrol their factors themselves while signing
 * in, so these writes are not control-plane changes and write no audit event (api-contract §9);
 * removing one through the API does (`users.removeFactor`). A secret is AES-256-GCM ciphertext
 * bound to its factor id, under the keyring of the auth-method secrets.
 */
export function createFactorStore(db: Db, keyring: () => Keyring, clock: Clock) {
  const open = (row: {
    id: string;
    userId: string;
    type: string;
    name: string;
    secret: string | null;
    createdAt: Date;
    lastUsedAt: Date | null;
  }): StoredFactor => ({
    ...row,
    type: row.type as FactorType,
    secret: row.secret === null ? null : decryptString(keyring(), row.secret, row.id),
  });

  return {
    /** The user's factors (optionally of one type), oldest first. */
    async list(userId: string, type?: FactorType): Promise<StoredFactor[]> {
      const rows = await db.userFactor.findMany({
        where: { userId, ...(type ? { type } : {}) },
        orderBy: { id: "asc" },
      });
      return rows.map(open);
    },

    /**
     * `credentialId`: a passkey's WebAuthn credential id, unique across all factors (a duplicate is
     * Prisma's unique violation, P2002).
     */
    async add(
      userId: string,
      factor: { type: FactorType; name: string; secret: string | null; credentialId?: string },
    ): Promise<StoredFactor> {
      const now = clock();
      const id = newId("factor", now.getTime());
      const row = await db.userFactor.create({
        data: {
          id,
          userId,
          type: factor.type,
          name: factor.name,
          secret: factor.secret === null ? null : encryptString(keyring(), factor.secret, id),
          credentialId: factor.credentialId ?? null,
          createdAt: now,
        },
      });
      return open(row);
    },

    /**
     * Records a use, and the factor's new secret when its use changes it (a consumed backup code,
     * the last accepted TOTP step, a passkey's signature counter). With `expected`, only if the
     * stored secret is still the one read (`false`: a concurrent use won, refuse this one).
     */
    async used(factorId: string, change: { secret?: string; expected?: string | null } = {}): Promise<boolean> {
      const data = {
        lastUsedAt: clock(),
        ...(change.secret === undefined ? {} : { secret: encryptString(keyring(), change.secret, factorId) }),
      };
      if (change.expected === undefined) {
        const { count } = await db.userFactor.updateMany({ where: { id: factorId }, data });
        return count === 1;
      }
      const current = await db.userFactor.findUnique({ where: { id: factorId }, select: { secret: true } });
      if (!current) return false;
      const plaintext = current.secret === null ? null : decryptString(keyring(), current.secret, factorId);
      if (plaintext !== change.expected) return false;
      const { count } = await db.userFactor.updateMany({ where: { id: factorId, secret: current.secret }, data });
      return count === 1;
    },

    /** The passkey with this WebAuthn credential id, when its user belongs to this issuer. */
    async findByCredential(issuerId: string, credentialId: string): Promise<StoredFactor | null> {
      const row = await db.userFactor.findFirst({ where: { credentialId, type: "passkey", user: { issuerId } } });
      return row ? open(row) : null;
    },

    async remove(userId: string, factorId: string): Promise<void> {
      await db.userFactor.deleteMany({ where: { id: factorId, userId } });
    },
  };
}

export type FactorStore = ReturnType<typeof createFactorStore>;
