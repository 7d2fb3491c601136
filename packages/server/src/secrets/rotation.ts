import { type Sql, statement } from "../sql.ts";
import { ciphertextKeyId, decryptString, encryptString } from "./cipher.ts";
import type { Keyring } from "./keyring.ts";

/**
 * The ciphertext columns `pnpm rotate-secrets` re-encrypts beside the auth methods' secrets
 * (those carry an `auth_method.updated` event each: `authMethods.rotateSecrets`). These change
 * no API object, so they write neither an event nor a version. Each ciphertext is bound to its
 * row by its AAD, as when it was written.
 */
const SEALED_COLUMNS = {
  /** The private halves of the issuers' signing keys (oidc/signing-keys.ts). */
  signingKeys: {
    table: "oidc_signing_keys",
    column: "private_jwk",
    aad: (id: string) => `oidc-signing-key:${id}`,
  },
  /** Users' second factors: TOTP keys, passkey credentials, backup code hashes (users/factors.ts). */
  factors: { table: "user_factors", column: "secret", aad: (id: string) => id },
} as const;

export type SealedColumn = keyof typeof SEALED_COLUMNS;

export const signingKeyAad = SEALED_COLUMNS.signingKeys.aad;

const statements = Object.fromEntries(
  Object.entries(SEALED_COLUMNS).map(([name, { table, column }]) => [
    name,
    {
      after: statement(
        `rotation_${name}_after`,
        `SELECT id, ${column} AS sealed FROM ${table} WHERE id > $1 AND ${column} IS NOT NULL ORDER BY id LIMIT $2`,
      ),
      // Only if it is still what was read: a row rewritten meanwhile was written with the newest key.
      replace: statement(
        `rotation_${name}_replace`,
        `UPDATE ${table} SET ${column} = $3 WHERE id = $1 AND ${column} = $2 RETURNING id`,
      ),
    },
  ]),
) as Record<SealedColumn, { after: ReturnType<typeof statement>; replace: ReturnType<typeof statement> }>;

/** Re-encrypts every ciphertext of `column` not made by the keyring's current key. */
export async function reencryptColumn(
  sql: Sql,
  ring: Keyring,
  column: SealedColumn,
  options: { batchSize?: number } = {},
): Promise<{ checked: number; rotated: number }> {
  const { aad } = SEALED_COLUMNS[column];
  const { after, replace } = statements[column];
  let checked = 0;
  let rotated = 0;
  let last = "";
  for (;;) {
    const rows = await sql.query<{ id: string; sealed: string }>(after, [last, options.batchSize ?? 200]);
    if (rows.length === 0) break;
    for (const { id, sealed } of rows) {
      checked++;
      if (ciphertextKeyId(sealed) === ring.current.id) continue;
      const fresh = encryptString(ring, decryptString(ring, sealed, aad(id)), aad(id));
      if ((await sql.query(replace, [id, sealed, fresh])).length === 1) rotated++;
    }
    last = rows.at(-1)?.id ?? last;
  }
  return { checked, rotated };
}
