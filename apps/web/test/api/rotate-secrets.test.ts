import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import { createDb } from "@authpi/db";
import { createFactorStore, createServices, generateKeyEntry, loadEnv, parseKeys, systemClock } from "@authpi/server";
import { parsed } from "@authpi/server/testing/bodies";
import { provisionTestDatabase } from "@authpi/server/testing/database";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const run = promisify(execFile);
const REPO_ROOT = path.resolve(import.meta.dirname, "../../../..");
const CLI = path.join(REPO_ROOT, "packages/server/src/cli.ts");

/**
 * `pnpm rotate-secrets` re-encrypts more than the auth methods' secrets (auth-methods-secrets.test.ts):
 * the issuers' signing keys and the users' factor secrets are under the same keyring, and the README
 * says to drop the old key afterwards — which must not break signing or an enrolled factor.
 */
describe("pnpm rotate-secrets: signing keys and factor secrets", () => {
  // A database of its own: rotation re-encrypts every row, and other files' rows must keep the run's key.
  let database: Awaited<ReturnType<typeof provisionTestDatabase>>;
  beforeAll(async () => {
    database = await provisionTestDatabase(loadEnv().DATABASE_URL);
  });
  afterAll(async () => {
    await database?.drop();
  });

  test("after rotating, the old key can go: every issuer still signs with its keys, every factor still opens", async () => {
    const db = createDb(database.url, { max: 5 });
    try {
      const oldEntry = generateKeyEntry();
      const newEntry = `rotated:${randomBytes(32).toString("base64")}`;
      const newest = `newest:${randomBytes(32).toString("base64")}`;
      const factorsUnder = (entries: string) => createFactorStore(db, () => parseKeys(entries), systemClock);

      const before = createServices(db, { keyring: parseKeys(oldEntry) });
      const { account_id: accountId } = await before.accounts.bootstrap({ password: "correct horse battery staple" });
      const issuer = (await before.issuers.create(accountId, parsed.issuer({ name: "Rotation" }))).value.id;
      await before.oidc.signingKeys.rotate(accountId, issuer); // a current and a previous key
      const jwks = await before.oidc.signingKeys.providerJwks(issuer);
      expect(jwks).toHaveLength(2);
      const user = (await before.users.create(accountId, issuer, parsed.user({ email: "rotation@example.com" }))).value
        .id;
      const totpKey = `TOTPKEY${randomBytes(10).toString("hex")}`;
      await factorsUnder(oldEntry).add(user, { type: "totp", name: "Phone", secret: totpKey });
      await factorsUnder(oldEntry).add(user, { type: "passkey", name: "Laptop", secret: null, credentialId: "cred-1" });

      // Without the old key neither opens yet (what dropping it too early does).
      const onlyNew = createServices(db, { keyring: parseKeys(newEntry) });
      await expect(onlyNew.oidc.signingKeys.providerJwks(issuer)).rejects.toThrow(/not configured/);
      await expect(factorsUnder(newEntry).list(user)).rejects.toThrow(/not configured/);

      const both = createServices(db, { keyring: parseKeys(`${newEntry},${oldEntry}`) });
      expect(await both.secrets.rotate({ batchSize: 1 })).toEqual({
        authMethods: { checked: 0, rotated: 0 },
        signingKeys: { checked: 2, rotated: 2 },
        factors: { checked: 1, rotated: 1 }, // the passkey's factor row has no secret
      });
      expect(await both.secrets.rotate()).toMatchObject({
        signingKeys: { checked: 2, rotated: 0 },
        factors: { checked: 1, rotated: 0 },
      });

      expect(await onlyNew.oidc.signingKeys.providerJwks(issuer)).toEqual(jwks);
      const [totp] = await factorsUnder(newEntry).list(user, "totp");
      expect(totp?.secret).toBe(totpKey);
      for (const row of await db.oidcSigningKey.findMany({ where: { issuerId: issuer } })) {
        expect(row.privateJwk).toMatch(/^v1\.rotated\./);
      }

      // The CLI: another key in front, each kind of ciphertext counted, nothing secret printed.
      const { AUTHPI_ENCRYPTION_KEYS: _keys, AUTHPI_ENCRYPTION_KEY: _key, ...env } = process.env;
      const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", CLI, "rotate-secrets"], {
        cwd: REPO_ROOT,
        env: { ...env, DATABASE_URL: database.url, AUTHPI_ENCRYPTION_KEYS: `${newest},${newEntry}`, NODE_ENV: "test" },
      });
      expect(stderr).toMatch(/re-encrypted 2 of 2 signing key\(s\) with key 'newest'/);
      expect(stderr).toMatch(/re-encrypted 1 of 1 factor secret\(s\) with key 'newest'/);
      expect(stdout + stderr).not.toContain(totpKey);
      for (const jwk of jwks) expect(stdout + stderr).not.toContain(String((jwk as { d?: string }).d));
      const onlyNewest = createServices(db, { keyring: parseKeys(newest) });
      expect(await onlyNewest.oidc.signingKeys.providerJwks(issuer)).toEqual(jwks);
      expect((await factorsUnder(newest).list(user, "totp"))[0]?.secret).toBe(totpKey);
    } finally {
      await db.$disconnect();
    }
  });
});
