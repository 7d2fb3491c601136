import { createHmac, timingSafeEqual } from "node:crypto";
import type { Db } from "@authpi/db";
import { type AuthMethodType, authMethodDefinition, IssuerSettings, joinSecrets } from "@authpi/domain";
import { createLocalJWKSet, type JWTPayload, jwtVerify } from "jose";
import type Provider from "oidc-provider";
import pg from "pg";
import { decryptSecrets } from "../secrets/cipher.ts";
import type { Keyring } from "../secrets/keyring.ts";
import { type Sql, statement } from "../sql.ts";
import {
  buildProvider,
  type ConfiguredMethod,
  type IssuerSnapshot,
  issuerUrlFor,
  type ProviderDeps,
} from "./provider.ts";
import type { SigningKeyService } from "./signing-keys.ts";

/** The channel the issuers trigger (migration 20261201000200_oidc) and key rotations notify. */
export const OIDC_CHANNEL = "authpi_oidc";

export interface PooledProvider {
  provider: Provider;
  issuer: IssuerSnapshot;
  issuerUrl: string;
  /** The payload of a JWT access token this issuer signed (signature, issuer and typ checked), else null. */
  verifyAccessToken(jwt: string): Promise<JWTPayload | null>;
}

export interface ProviderPoolOptions extends ProviderDeps {
  keyring: Keyring;
  signingKeys: SigningKeyService;
  /** The origin issuer URLs start with (`AUTHPI_PUBLIC_URL`). */
  publicUrl: () => string;
  /** Where to LISTEN for changes made by other processes; without it only this process's changes evict. */
  databaseUrl?: string;
  /** An instance unused this long is dropped (default 10 minutes). */
  idleMs?: number;
  log?: (level: "warn" | "info", message: string) => void;
}

/**
 * Per-issuer cookie signing keys, derived from the keyring (HMAC of the issuer id under each key,
 * newest first): secret, different for every issuer, nothing more to store, and rotated with the
 * keyring — an older key still verifies cookies signed before a rotation.
 */
function cookieKeys(keyring: Keyring, issuerId: string): string[] {
  return keyring.ids.map((id) =>
    createHmac("sha256", keyring.find(id)?.key ?? Buffer.alloc(32))
      .update(`authpi-oidc-cookies:${issuerId}`)
      .digest("base64url"),
  );
}

function csrfFor(key: string, uid: string): string {
  return createHmac("sha256", key).update(`csrf:${uid}`).digest("base64url");
}

/**
 * One OpenID Provider per issuer, created on first use and kept while used (as Logto's tenant
 * pool). An instance is dropped when idle, and when its issuer or keys change — in every process:
 * Postgres NOTIFY on `authpi_oidc` (a trigger on `issuers`, and key rotation) reaches each
 * process's LISTEN connection. Clients are read through the adapter on every request, so a client
 * change needs no eviction.
 */
export function createProviderPool(db: Db, options: ProviderPoolOptions) {
  const entries = new Map<string, { value: Promise<PooledProvider | null>; usedAt: number }>();
  const idleMs = options.idleMs ?? 10 * 60_000;
  let listener: pg.Client | undefined;
  let closed = false;
  let reconnectTimer: NodeJS.Timeout | undefined;

  async function build(issuerId: string): Promise<PooledProvider | null> {
    const row = await db.issuer.findUnique({
      where: { id: issuerId },
      include: { authMethods: { orderBy: [{ featured: "desc" }, { id: "asc" }] } },
    });
    if (!row || row.status === "deleted") return null;
    const methods = row.authMethods.map(
      (method): ConfiguredMethod => ({
        id: method.id,
        name: method.name,
        method: method.method as AuthMethodType,
        enabledLogin: method.enabledLogin,
        enabledSignup: method.enabledSignup,
        featured: method.featured,
        firstFactorOnly: method.firstFactorOnly,
        settings: authMethodDefinition(method.method as AuthMethodType).settings.parse(
          joinSecrets(
            method.settings as Record<string, unknown>,
            decryptSecrets(options.keyring, method.secrets, method.id),
          ),
        ) as Record<string, unknown>,
      }),
    );
    const password = methods.find((method) => method.method === "password");
    const issuer: IssuerSnapshot = {
      id: row.id,
      name: row.name,
      status: row.status as IssuerSnapshot["status"],
      availableScopes: row.availableScopes,
      settings: IssuerSettings.parse(row.settings),
      password: password
        ? {
            enabledLogin: password.enabledLogin,
            enabledSignup: password.enabledSignup,
            settings: password.settings,
          }
        : null,
      methods,
    };
    const issuerUrl = issuerUrlFor(options.publicUrl(), issuer.id);
    const jwks = await options.signingKeys.providerJwks(issuer.id);
    const provider = buildProvider(issuer, issuerUrl, jwks, cookieKeys(options.keyring, issuer.id), options);
    // The provider answers a bug with a generic server_error; the log gets its message (never a request body).
    provider.on("server_error", (_ctx: unknown, error: Error) => {
      options.log?.("warn", `oidc provider error (issuer ${issuer.id}): ${error.message}`);
    });
    const publicKeys = createLocalJWKSet({
      keys: jwks.map(({ kty, n, e, crv, x, y, kid, alg }) => ({ kty, n, e, crv, x, y, kid, alg, use: "sig" })),
    });
    async function verifyAccessToken(jwt: string): Promise<JWTPayload | null> {
      try {
        const { payload } = await jwtVerify(jwt, publicKeys, { issuer: issuerUrl, typ: "at+jwt", clockTolerance: 15 });
        return payload;
      } catch {
        return null;
      }
    }
    return { provider, issuer, issuerUrl, verifyAccessToken };
  }

  function evict(issuerId: string): void {
    entries.delete(issuerId);
  }

  async function listen(): Promise<void> {
    if (!options.databaseUrl || closed) return;
    const client = new pg.Client({ connectionString: options.databaseUrl });
    client.on("notification", (message) => {
      if (message.channel === OIDC_CHANNEL && message.payload) evict(message.payload);
    });
    client.on("error", (error) => {
      options.log?.("warn", `oidc pool: LISTEN connection lost (${error.message}); reconnecting`);
      reconnect(client);
    });
    client.on("end", () => reconnect(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${OIDC_CHANNEL}`);
      listener = client;
      // Changes made while nobody listened are unknown: start from an empty pool.
      entries.clear();
    } catch (error) {
      options.log?.("warn", `oidc pool: cannot LISTEN (${(error as Error).message}); retrying`);
      reconnect(client);
    }
  }

  function reconnect(client: pg.Client): void {
    if (closed || reconnectTimer) return;
    if (listener === client) listener = undefined;
    client.end().catch(() => {});
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      void listen();
    }, 1_000);
    reconnectTimer.unref();
  }

  const sweep = setInterval(() => {
    const cutoff = Date.now() - idleMs;
    for (const [id, entry] of entries) if (entry.usedAt < cutoff) entries.delete(id);
  }, 60_000);
  sweep.unref();

  return {
    /** The issuer's provider, or null when there is no such issuer or it is deleted. */
    get(issuerId: string): Promise<PooledProvider | null> {
      const now = Date.now();
      const entry = entries.get(issuerId);
      if (entry) {
        entry.usedAt = now;
        return entry.value;
      }
      const value = build(issuerId);
      entries.set(issuerId, { value, usedAt: now });
      // A failed or negative build is not kept: the next request tries again.
      value.then(
        (built) => built === null && entries.get(issuerId)?.value === value && entries.delete(issuerId),
        () => entries.get(issuerId)?.value === value && entries.delete(issuerId),
      );
      return value;
    },
    evict,
    /**
     * The CSRF token of a hosted form: an HMAC of the interaction uid under the issuer's cookie key.
     * Only a page served to the browser holding that interaction can carry it, and the provider
     * itself checks that the interaction cookie matches the uid.
     */
    csrfToken(issuerId: string, uid: string): string {
      return csrfFor(cookieKeys(options.keyring, issuerId)[0] ?? "", uid);
    },
    csrfValid(issuerId: string, uid: string, presented: unknown): boolean {
      if (typeof presented !== "string") return false;
      const given = Buffer.from(presented);
      return cookieKeys(options.keyring, issuerId).some((key) => {
        const expected = Buffer.from(csrfFor(key, uid));
        return expected.length === given.length && timingSafeEqual(expected, given);
      });
    },
    /** Starts listening for changes made by other processes. */
    start: listen,
    get size() {
      return entries.size;
    },
    async close(): Promise<void> {
      closed = true;
      clearInterval(sweep);
      if (reconnectTimer) clearTimeout(reconnectTimer);
      entries.clear();
      await listener?.end().catch(() => {});
    },
  };
}

export type ProviderPool = ReturnType<typeof createProviderPool>;

const NOTIFY = statement("oidc_notify_issuer", "SELECT pg_notify($1, $2)");

/** Tells every process to drop its provider for this issuer; in a transaction, once it commits. */
export async function notifyIssuerChanged(sql: Sql, issuerId: string): Promise<void> {
  await sql.query(NOTIFY, [OIDC_CHANNEL, issuerId]);
}
