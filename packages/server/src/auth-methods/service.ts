import {
  type AuthMethod,
  type AuthMethodConfig,
  type AuthMethodPatch,
  applyAuthMethodPatch,
  authMethodConfigForCreate,
  authMethodDefinition,
  DomainError,
  diffChanges,
  etagFor,
  idTimestamp,
  isId,
  joinSecrets,
  type List,
  MAX_AUTH_METHODS_PER_ISSUER,
  newId,
  splitSecrets,
  touchedSecrets,
} from "@authpi/domain";
import type { AuditRecorder } from "../audit/service.ts";
import type { Clock } from "../clock.ts";
import type { Versioned, WriteOptions } from "../issuers/service.ts";
import { JsonText } from "../json-text.ts";
import { ciphertextKeyId, decryptSecrets, encryptSecrets } from "../secrets/cipher.ts";
import type { Keyring } from "../secrets/keyring.ts";
import type { Sql } from "../sql.ts";
import { uniqueViolationIndex } from "../unique-violation.ts";
import { writeWithVersion } from "../versioned-write.ts";
import { assertApplePrivateKey } from "./apple-key.ts";
import {
  AUTH_METHOD_INDEXES,
  type AuthMethodRepository,
  type AuthMethodRow,
  createAuthMethodRepository,
  type IssuerRef,
  type Written,
} from "./repository.ts";

/** A read: the JSON text as Postgres built it, sent as-is. */
function versioned(row: Written): Versioned<JsonText<AuthMethod>> {
  return { value: new JsonText<AuthMethod>(row.json), etag: etagFor(row.id, row.version) };
}

/** A write's answer: the object Postgres built in the same statement (RETURNING), decoded, not re-validated. */
function written(row: Written): Versioned<AuthMethod> {
  return { value: JSON.parse(row.json) as AuthMethod, etag: etagFor(row.id, row.version) };
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

/** The issuer of the path must be this account's and not deleted. */
function liveIssuer<T extends IssuerRef>(issuerId: string, found: T | undefined): T {
  if (!found) throw issuerNotFound(issuerId);
  if (found.issuer_status === "deleted") throw issuerDeleted(issuerId);
  return found;
}

/** The stored configuration with the given (decrypted) secrets put back, for the PATCH rules. */
function toConfig(row: AuthMethodRow, secrets: Record<string, string>): AuthMethodConfig {
  return {
    method: row.method,
    name: row.name,
    enabled_login: row.enabled_login,
    enabled_signup: row.enabled_signup,
    featured: row.featured,
    first_factor_only: row.first_factor_only,
    settings: joinSecrets(row.settings, secrets),
  } as AuthMethodConfig;
}

/** The config as events see it: secrets are compared, and written only as "[set]". */
function auditDiff(before: AuthMethodConfig | undefined, after: AuthMethodConfig | undefined) {
  const method = (before ?? after)?.method;
  const secretPaths = method ? authMethodDefinition(method).secretKeys.map((key) => `settings.${key}`) : [];
  return diffChanges(before, after, { secretPaths });
}

/** The stored config for the delete event: the secrets stand in as set, never decrypted. */
function storedConfig(row: AuthMethodRow): AuthMethodConfig {
  const secretKeys = row.secrets === null ? [] : authMethodDefinition(row.method).secretKeys;
  return toConfig(row, Object.fromEntries(secretKeys.map((key) => [key, "[set]"])));
}

/**
 * Auth methods. `sql` is where the writes run their transaction (the pool, or
 * the request's transaction, which they then join as a savepoint).
 */
export function createAuthMethodService(
  sql: Sql,
  clock: Clock,
  keyring: () => Keyring,
  audit: AuditRecorder,
  publicUrl: string,
) {
  const repo = createAuthMethodRepository(sql, publicUrl);

  /** Locks the issuer inside `tx` and re-checks it still exists and is not deleted. */
  async function lockIssuer(tx: AuthMethodRepository, issuerId: string): Promise<void> {
    const status = await tx.lockIssuer(issuerId);
    if (status === undefined) throw issuerNotFound(issuerId);
    if (status === "deleted") throw issuerDeleted(issuerId);
  }

  /** The method under its (live, not deleted) issuer: what a versioned write starts from. */
  async function loadWithIssuer(accountId: string, issuerId: string, id: string) {
    const found = isId("issuer", issuerId)
      ? await repo.findWithIssuer(accountId, issuerId, isId("authMethod", id) ? id : null)
      : undefined;
    const issuer = liveIssuer(issuerId, found);
    if (!issuer.method) throw methodNotFound(id);
    return { issuerName: issuer.issuer_name, row: issuer.method };
  }

  /** Runs `fn` in a transaction with a repository bound to it. */
  function inTransaction<T>(fn: (tx: AuthMethodRepository) => Promise<T>): Promise<T> {
    return sql.transaction((tx) => fn(createAuthMethodRepository(tx, publicUrl)));
  }

  return {
    /** All of an issuer's auth methods in creation order (api-contract §2: one page, `has_more: false`). */
    async list(accountId: string, issuerId: string): Promise<JsonText<List<AuthMethod>>> {
      const found = isId("issuer", issuerId) ? await repo.listWithIssuer(accountId, issuerId) : undefined;
      return new JsonText(liveIssuer(issuerId, found).json);
    },

    async get(accountId: string, issuerId: string, id: string): Promise<Versioned<JsonText<AuthMethod>>> {
      return versioned((await loadWithIssuer(accountId, issuerId, id)).row);
    },

    async create(accountId: string, issuerId: string, input: AuthMethodConfig): Promise<Versioned<AuthMethod>> {
      const found = isId("issuer", issuerId) ? await repo.findWithIssuer(accountId, issuerId, null) : undefined;
      const issuer = liveIssuer(issuerId, found);
      const config = authMethodConfigForCreate(input, { issuerName: issuer.issuer_name });
      assertApplePrivateKey(config);
      const definition = authMethodDefinition(config.method);
      const id = newId("authMethod", clock().getTime());
      const { settings, secrets } = splitSecrets(config.method, config.settings);
      const ciphertext = encryptSecrets(keyring(), secrets, id);
      const event = audit.values({
        accountId,
        issuerId: issuer.issuer_id,
        type: "auth_method.created",
        resourceId: id,
        changes: auditDiff(undefined, config),
      });
      try {
        return await inTransaction(async (tx) => {
          await lockIssuer(tx, issuer.issuer_id);
          const siblings = await tx.siblings(issuer.issuer_id);
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
            issuerId: issuer.issuer_id,
            config,
            publicSettings: settings,
            secrets: ciphertext,
            createdAt: idTimestamp(id),
            event,
          });
          return written(row);
        });
      } catch (error) {
        mapUniqueViolation(error, config);
      }
    },

    async update(
      accountId: string,
      issuerId: string,
      id: string,
      patch: AuthMethodPatch,
      options: WriteOptions = {},
    ): Promise<Versioned<AuthMethod>> {
      return writeWithVersion({
        resource: "auth method",
        ifMatch: options.ifMatch,
        load: () => loadWithIssuer(accountId, issuerId, id),
        row: (loaded) => loaded.row,
        attempt: async ({ row, issuerName }) => {
          const secrets = decryptSecrets(keyring(), row.secrets, row.id);
          const next = applyAuthMethodPatch(toConfig(row, secrets), patch, { issuerName });
          const split = splitSecrets(next.method, next.settings);
          // Secret keys are immutable today, so the ciphertext is kept; were one to change, it is re-encrypted.
          const unchanged = JSON.stringify(split.secrets) === JSON.stringify(secrets);
          const ciphertext = unchanged ? row.secrets : encryptSecrets(keyring(), split.secrets, row.id);
          const change = { config: next, publicSettings: split.settings, secrets: ciphertext, updatedAt: clock() };
          const event = audit.values({
            accountId,
            issuerId: row.issuer_id,
            type: "auth_method.updated",
            resourceId: row.id,
            changes: auditDiff(toConfig(row, secrets), next),
          });
          try {
            return await inTransaction(async (tx) => {
              await lockIssuer(tx, row.issuer_id);
              if (!sameName(next.name, row.name)) {
                const siblings = await tx.siblings(row.issuer_id);
                if (siblings.some((m) => m.id !== row.id && sameName(m.name, next.name))) throw nameTaken(next.name);
              }
              const updated = await tx.updateAtVersion(row.id, row.version, change, event);
              return updated && written(updated);
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
        attempt: async ({ row }) => {
          const event = audit.values({
            accountId,
            issuerId: row.issuer_id,
            type: "auth_method.deleted",
            resourceId: row.id,
            changes: auditDiff(storedConfig(row), undefined),
          });
          const deleted = await inTransaction(async (tx) => {
            await lockIssuer(tx, row.issuer_id);
            return tx.deleteAtVersion(row.id, row.version, event);
          });
          return deleted || undefined;
        },
      });
    },

    /**
     * Re-encrypts every stored secret with the newest key (`pnpm rotate-secrets`).
     * The API object does not change, so neither do versions and ETags. A row
     * written concurrently is left alone (it was just encrypted with the newest key).
     * Each re-encryption writes its `auth_method.updated` (the secrets as
     * "[set]" → "[set]") in the same statement.
     */
    async rotateSecrets(options: { batchSize?: number } = {}): Promise<{ checked: number; rotated: number }> {
      const ring = keyring();
      const batchSize = options.batchSize ?? 200;
      let checked = 0;
      let rotated = 0;
      let after = "";
      for (;;) {
        const rows = await repo.secretsAfter(after, batchSize);
        if (rows.length === 0) break;
        for (const row of rows) {
          checked++;
          const current = row.secrets;
          if (current === null || ciphertextKeyId(current) === ring.current.id) continue;
          const secrets = decryptSecrets(ring, current, row.id);
          const fresh = encryptSecrets(ring, secrets, row.id);
          const event = audit.values({
            accountId: row.account_id,
            issuerId: row.issuer_id,
            type: "auth_method.updated",
            resourceId: row.id,
            changes: touchedSecrets(Object.keys(secrets).map((key) => `settings.${key}`)),
          });
          if (await repo.replaceSecrets(row.id, current, fresh, event)) rotated++;
        }
        after = rows.at(-1)?.id ?? after;
      }
      return { checked, rotated };
    },
  };
}

export type AuthMethodService = ReturnType<typeof createAuthMethodService>;
