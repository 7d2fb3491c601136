import {
  AUDIT_IGNORED_FIELDS,
  applyClientPatch,
  type Client,
  type ClientPatch,
  type ClientSecretRotation,
  type ClientWithSecret,
  type CreateClientBody,
  clientConfigForCreate,
  DomainError,
  diffChanges,
  etagFor,
  idTimestamp,
  isConfidential,
  isId,
  type List,
  type ListClientsQuery,
  newId,
  type ProviderClient,
  touchedSecrets,
} from "@authpi/domain";
import type { AuditRecorder } from "../audit/service.ts";
import type { Clock } from "../clock.ts";
import type { Versioned, WriteOptions } from "../issuers/service.ts";
import type { Sql } from "../sql.ts";
import type { ProviderArtifacts } from "../users/provider-artifacts.ts";
import { writeWithVersion } from "../versioned-write.ts";
import { createLiveIssuerLoader } from "./live-issuer.ts";
import { type ClientRow, createClientRepository, toClient, toConfig, toProviderClient } from "./repository.ts";
import { generateClientSecret, hashClientSecret, hashMatches } from "./secret.ts";

function versioned(row: ClientRow): Versioned<Client> {
  return { value: toClient(row), etag: etagFor(row.id, row.version) };
}

function withSecret(row: ClientRow, secret: string | null): Versioned<ClientWithSecret> {
  return { value: { ...toClient(row), client_secret: secret }, etag: etagFor(row.id, row.version) };
}

function clientNotFound(id: string): DomainError {
  return new DomainError("resource_missing", `No such client: '${id}'`, { param: "client_id" });
}

/** Only whether a secret is set reaches an event, never the secret or its hash. */
const CLIENT_DIFF = { ignore: AUDIT_IGNORED_FIELDS, secretPaths: ["client_secret"] };

export function createClientService(sql: Sql, clock: Clock, artifacts: ProviderArtifacts, audit: AuditRecorder) {
  const repo = createClientRepository(sql);
  const loadLiveIssuer = createLiveIssuerLoader(sql);

  async function loadClient(issuerId: string, id: string): Promise<ClientRow> {
    const row = isId("client", id) ? await repo.find(issuerId, id) : null;
    if (!row) throw clientNotFound(id);
    return row;
  }

  async function loadWithIssuer(accountId: string, issuerId: string, id: string) {
    const issuer = await loadLiveIssuer(accountId, issuerId, "clients");
    return { issuer, row: await loadClient(issuer.id, id) };
  }

  return {
    /** Newest first, keyset-paginated (api-contract §5). */
    async list(accountId: string, issuerId: string, query: ListClientsQuery): Promise<List<Client>> {
      const issuer = await loadLiveIssuer(accountId, issuerId, "clients");
      let beforeId: string | undefined;
      if (query.cursor !== undefined) {
        const cursor = isId("client", query.cursor) ? await repo.find(issuer.id, query.cursor) : null;
        if (!cursor)
          throw new DomainError("invalid_cursor", "cursor: not a client of this issuer", { param: "cursor" });
        beforeId = cursor.id;
      }
      const rows = await repo.page(issuer.id, { limit: query.limit, beforeId });
      const hasMore = rows.length > query.limit;
      const page = hasMore ? rows.slice(0, query.limit) : rows;
      return {
        object: "list",
        data: page.map(toClient),
        has_more: hasMore,
        next_cursor: hasMore ? (page.at(-1)?.id ?? null) : null,
      };
    },

    async get(accountId: string, issuerId: string, id: string): Promise<Versioned<Client>> {
      const { row } = await loadWithIssuer(accountId, issuerId, id);
      return versioned(row);
    },

    /** 201: the one answer, with the rotation's, that carries `client_secret` (null for a public client). */
    async create(accountId: string, issuerId: string, input: CreateClientBody): Promise<Versioned<ClientWithSecret>> {
      const issuer = await loadLiveIssuer(accountId, issuerId, "clients");
      const config = clientConfigForCreate(input, { availableScopes: issuer.availableScopes });
      const secret = isConfidential(config.token_endpoint_auth_method) ? generateClientSecret() : null;
      const id = newId("client", clock().getTime());
      const row = await repo.insert({
        id,
        issuerId: issuer.id,
        config,
        secretHash: secret === null ? null : hashClientSecret(secret),
        createdAt: idTimestamp(id),
      });
      const created = withSecret(row, secret);
      await audit.record({
        accountId,
        issuerId: issuer.id,
        type: "client.created",
        resourceId: id,
        changes: diffChanges(undefined, created.value, CLIENT_DIFF),
      });
      return created;
    },

    async update(
      accountId: string,
      issuerId: string,
      id: string,
      patch: ClientPatch,
      options: WriteOptions = {},
    ): Promise<Versioned<Client>> {
      return writeWithVersion({
        resource: "client",
        ifMatch: options.ifMatch,
        load: () => loadWithIssuer(accountId, issuerId, id),
        row: (loaded) => loaded.row,
        attempt: async ({ issuer, row }) => {
          const next = applyClientPatch(toConfig(row), patch, { availableScopes: issuer.availableScopes });
          const updated = await repo.updateConfigAtVersion(row.id, row.version, next, clock());
          if (!updated) return undefined;
          const after = versioned(updated);
          await audit.record({
            accountId,
            issuerId: row.issuerId,
            type: "client.updated",
            resourceId: row.id,
            changes: diffChanges(toClient(row), after.value, CLIENT_DIFF),
          });
          return after;
        },
      });
    },

    /** Permanent (204); every grant and token the client was issued goes with it. */
    async delete(accountId: string, issuerId: string, id: string, options: WriteOptions = {}): Promise<void> {
      await writeWithVersion({
        resource: "client",
        ifMatch: options.ifMatch,
        load: () => loadWithIssuer(accountId, issuerId, id),
        row: (loaded) => loaded.row,
        attempt: async ({ row }) => {
          if (!(await repo.deleteAtVersion(row.id, row.version))) return undefined;
          // On the same `sql`: the client and what it was issued go together or not at all.
          await artifacts.revokeClient(sql, row.issuerId, row.id);
          await audit.record({
            accountId,
            issuerId: row.issuerId,
            type: "client.deleted",
            resourceId: row.id,
            changes: diffChanges(toClient(row), undefined, CLIENT_DIFF),
          });
          return true;
        },
      });
    },

    /**
     * A new secret, shown once in this answer. The previous one keeps
     * authenticating for `previous_secret_expires_in_seconds` (default 0: it
     * stops now); rotating again replaces the previous one.
     */
    async rotateSecret(
      accountId: string,
      issuerId: string,
      id: string,
      input: ClientSecretRotation,
      options: WriteOptions = {},
    ): Promise<Versioned<ClientWithSecret>> {
      return writeWithVersion({
        resource: "client",
        ifMatch: options.ifMatch,
        load: () => loadWithIssuer(accountId, issuerId, id),
        row: (loaded) => loaded.row,
        attempt: async ({ row }) => {
          if (row.secretHash === null) {
            throw new DomainError(
              "public_client",
              `Client '${row.id}' is public (token_endpoint_auth_method none) and has no secret to rotate`,
              { param: "client_id" },
            );
          }
          const now = clock();
          const grace = input.previous_secret_expires_in_seconds;
          const secret = generateClientSecret();
          const columns = {
            secretHash: hashClientSecret(secret),
            previousSecretHash: grace > 0 ? row.secretHash : null,
            previousSecretExpiresAt: grace > 0 ? new Date(now.getTime() + grace * 1000) : null,
          };
          const updated = await repo.updateSecretAtVersion(row.id, row.version, columns, now);
          if (!updated) return undefined;
          const rotated = withSecret(updated, secret);
          await audit.record({
            accountId,
            issuerId: row.issuerId,
            type: "client.secret_rotated",
            resourceId: row.id,
            changes: {
              ...touchedSecrets(["client_secret"]),
              ...diffChanges(toClient(row), toClient(updated), CLIENT_DIFF),
            },
          });
          return rotated;
        },
      });
    },

    /** For the OpenID Provider: the client's OAuth metadata, never its secret. Null when unknown. */
    async findForProvider(issuerId: string, clientId: string): Promise<ProviderClient | null> {
      if (!isId("issuer", issuerId) || !isId("client", clientId)) return null;
      const row = await repo.find(issuerId, clientId);
      return row ? toProviderClient(row) : null;
    },

    /**
     * The token endpoint's check: the SHA-256 of the presented secret against
     * the current hash, or the previous one while its grace period runs
     * (`previous_secret_expires_at > now`), both in constant time.
     */
    async verifySecret(issuerId: string, clientId: string, secret: string, now: Date = clock()): Promise<boolean> {
      if (!isId("issuer", issuerId) || !isId("client", clientId)) return false;
      const row = await repo.find(issuerId, clientId);
      if (!row) return false;
      const presented = hashClientSecret(secret);
      const current = hashMatches(presented, row.secretHash);
      const inGrace = row.previousSecretExpiresAt !== null && row.previousSecretExpiresAt.getTime() > now.getTime();
      const previous = hashMatches(presented, row.previousSecretHash);
      return current || (inGrace && previous);
    },
  };
}

export type ClientService = ReturnType<typeof createClientService>;
