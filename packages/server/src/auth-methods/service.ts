import type { Db } from "@authpi/db";
import {
  type AuthMethod,
  type AuthMethodConfig,
  applyAuthMethodPatch,
  authMethodConfigForCreate,
  authMethodDefinition,
  DomainError,
  etagFor,
  idTimestamp,
  isId,
  type List,
  MAX_AUTH_METHODS_PER_ISSUER,
  newId,
  splitSecrets,
} from "@authpi/domain";
import type { Clock } from "../clock.ts";
import { createIssuerRepository } from "../issuers/repository.ts";
import type { Versioned, WriteOptions } from "../issuers/service.ts";
import { ciphertextKeyId, decryptSecrets, encryptSecrets } from "../secrets/cipher.ts";
import type { Keyring } from "../secrets/keyring.ts";
import { uniqueViolationIndex } from "../unique-violation.ts";
import { writeWithVersion } from "../versioned-write.ts";
import { assertApplePrivateKey } from "./apple-key.ts";
import {
  AUTH_METHOD_INDEXES,
  type AuthMethodRow,
  authMethodTransaction,
  configColumns,
  createAuthMethodRepository,
  toAuthMethod,
  toConfig,
} from "./repository.ts";

function versioned(row: AuthMethodRow): Versioned<AuthMethod> {
  return { value: toAuthMethod(row), etag: etagFor(row.id, row.version) };
}

function issuerNotFound(id: string): DomainError {
  return new DomainError("resource_missing", `No such issuer: '${id}'`, { param: "issuer_id" });
}

function issuerDeleted(id: string): DomainError {
  return new DomainError(
    "issuer_deleted_not_found",
    `Issuer '${id}' is deleted; its auth methods are unavailable until it is restored`,
    { param: "issuer_id" },
  );
}

function methodNotFound(id: string): DomainError {
  return new DomainError("resource_missing", `No such auth method: '${id}'`, { param: "method_id" });
}

function nameTaken(name: string): DomainError {
  return new DomainError("name_taken", `This issuer already has an auth method named '${name}'`, { param: "name" });
}

function methodExists(method: string): DomainError {
  return new DomainError(
    "auth_method_exists",
    `This issuer already has a ${method} auth method; there can be only one`,
    { param: "method" },
  );
}

/** The database's unique indexes back the checks made under the issuer lock; map them the same way. */
function mapUniqueViolation(error: unknown, config: AuthMethodConfig): never {
  const index = uniqueViolationIndex(error);
  if (index === AUTH_METHOD_INDEXES.name) throw nameTaken(config.name);
  if (index === AUTH_METHOD_INDEXES.singleton) throw methodExists(config.method);
  throw error;
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

export function createAuthMethodService(db: Db, clock: Clock, keyring: () => Keyring) {
  const repo = createAuthMethodRepository(db);
  const issuers = createIssuerRepository(db);

  /** The issuer of the path, which must be this account's and not deleted. */
  async function loadIssuer(accountId: string, issuerId: string) {
    const issuer = isId("issuer", issuerId) ? await issuers.find(accountId, issuerId) : null;
    if (!issuer) throw issuerNotFound(issuerId);
    if (issuer.status === "deleted") throw issuerDeleted(issuerId);
    return issuer;
  }

  async function loadMethod(issuerId: string, id: string): Promise<AuthMethodRow> {
    const row = isId("authMethod", id) ? await repo.find(issuerId, id) : null;
    if (!row) throw methodNotFound(id);
    return row;
  }

  /** Locks the issuer inside `tx` and re-checks it still exists and is not deleted. */
  async function lockIssuer(tx: ReturnType<typeof authMethodTransaction>, issuerId: string): Promise<void> {
    const status = await tx.lockIssuer(issuerId);
    if (status === null) throw issuerNotFound(issuerId);
    if (status === "deleted") throw issuerDeleted(issuerId);
  }

  /** The method under its (live, not deleted) issuer: what a versioned write starts from. */
  async function loadWithIssuer(accountId: string, issuerId: string, id: string) {
    const issuer = await loadIssuer(accountId, issuerId);
    return { issuerName: issuer.name, row: await loadMethod(issuer.id, id) };
  }

  return {
    /** All of an issuer's auth methods in creation order (api-contract §2: one page, `has_more: false`). */
    async list(accountId: string, issuerId: string): Promise<List<AuthMethod>> {
      const issuer = await loadIssuer(accountId, issuerId);
      const rows = await repo.list(issuer.id);
      return { object: "list", data: rows.map(toAuthMethod), has_more: false, next_cursor: null };
    },

    async get(accountId: string, issuerId: string, id: string): Promise<Versioned<AuthMethod>> {
      const issuer = await loadIssuer(accountId, issuerId);
      return versioned(await loadMethod(issuer.id, id));
    },

    async create(accountId: string, issuerId: string, input: unknown): Promise<Versioned<AuthMethod>> {
      const issuer = await loadIssuer(accountId, issuerId);
      const config = authMethodConfigForCreate(input, { issuerName: issuer.name });
      assertApplePrivateKey(config);
      const definition = authMethodDefinition(config.method);
      const id = newId("authMethod", clock().getTime());
      const createdAt = idTimestamp(id);
      const { settings, secrets } = splitSecrets(config.method, config.settings);
      const ciphertext = encryptSecrets(keyring(), secrets, id);
      try {
        return await db.$transaction(async (client) => {
          const tx = authMethodTransaction(client);
          await lockIssuer(tx, issuer.id);
          const siblings = await tx.siblings(issuer.id);
          if (definition.singleton && siblings.some((m) => m.method === config.method)) {
            throw methodExists(config.method);
          }
          if (siblings.some((m) => sameName(m.name, config.name))) throw nameTaken(config.name);
          if (siblings.length >= MAX_AUTH_METHODS_PER_ISSUER) {
            throw new DomainError(
              "limit_reached",
              `An issuer can have at most ${MAX_AUTH_METHODS_PER_ISSUER} auth methods; delete one first`,
            );
          }
          const row = await tx.insert({
            id,
            issuerId: issuer.id,
            ...configColumns(config, settings),
            secrets: ciphertext,
            createdAt,
            updatedAt: createdAt,
          });
          return versioned(row);
        });
      } catch (error) {
        mapUniqueViolation(error, config);
      }
    },

    async update(
      accountId: string,
      issuerId: string,
      id: string,
      body: unknown,
      options: WriteOptions = {},
    ): Promise<Versioned<AuthMethod>> {
      return writeWithVersion({
        resource: "auth method",
        ifMatch: options.ifMatch,
        load: () => loadWithIssuer(accountId, issuerId, id),
        row: (loaded) => loaded.row,
        attempt: async ({ row, issuerName }) => {
          const secrets = decryptSecrets(keyring(), row.secrets, row.id);
          const next = applyAuthMethodPatch(toConfig(row, secrets), body, { issuerName });
          const split = splitSecrets(next.method, next.settings);
          // Secret keys are immutable today, so the ciphertext is kept; were one to change, it is re-encrypted.
          const unchanged = JSON.stringify(split.secrets) === JSON.stringify(secrets);
          const ciphertext = unchanged ? row.secrets : encryptSecrets(keyring(), split.secrets, row.id);
          const updatedAt = clock();
          const data = { ...configColumns(next, split.settings), secrets: ciphertext, updatedAt };
          try {
            return await db.$transaction(async (client) => {
              const tx = authMethodTransaction(client);
              await lockIssuer(tx, row.issuerId);
              if (!sameName(next.name, row.name)) {
                const siblings = await tx.siblings(row.issuerId);
                if (siblings.some((m) => m.id !== row.id && sameName(m.name, next.name))) throw nameTaken(next.name);
              }
              if (!(await tx.updateAtVersion(row.id, row.version, data))) return undefined;
              return versioned({ ...row, ...data, version: row.version + 1 } as AuthMethodRow);
            });
          } catch (error) {
            mapUniqueViolation(error, next);
          }
        },
      });
    },

    /** Permanent: the method and its encrypted secrets are gone (204). */
    async delete(accountId: string, issuerId: string, id: string, options: WriteOptions = {}): Promise<void> {
      await writeWithVersion({
        resource: "auth method",
        ifMatch: options.ifMatch,
        load: () => loadWithIssuer(accountId, issuerId, id),
        row: (loaded) => loaded.row,
        attempt: ({ row }) =>
          db.$transaction(async (client) => {
            const tx = authMethodTransaction(client);
            await lockIssuer(tx, row.issuerId);
            return (await tx.deleteAtVersion(row.id, row.version)) ? true : undefined;
          }),
      });
    },

    /**
     * Re-encrypts every stored secret with the newest key (`pnpm rotate-secrets`).
     * The API object does not change, so neither do versions and ETags. A row
     * written concurrently is left alone (it was just encrypted with the newest key).
     */
    async rotateSecrets(options: { batchSize?: number } = {}): Promise<{ checked: number; rotated: number }> {
      const ring = keyring();
      const batchSize = options.batchSize ?? 200;
      let checked = 0;
      let rotated = 0;
      let after = "";
      for (;;) {
        const rows = await db.authMethod.findMany({
          where: { secrets: { not: null }, id: { gt: after } },
          select: { id: true, secrets: true },
          orderBy: { id: "asc" },
          take: batchSize,
        });
        if (rows.length === 0) break;
        for (const row of rows) {
          checked++;
          const current = row.secrets;
          if (current === null || ciphertextKeyId(current) === ring.current.id) continue;
          const fresh = encryptSecrets(ring, decryptSecrets(ring, current, row.id), row.id);
          const { count } = await db.authMethod.updateMany({
            where: { id: row.id, secrets: current },
            data: { secrets: fresh },
          });
          rotated += count;
        }
        after = rows.at(-1)?.id ?? after;
      }
      return { checked, rotated };
    },
  };
}

export type AuthMethodService = ReturnType<typeof createAuthMethodService>;
