import { execFile, spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import { createDb } from "@authpi/db";
import { AUTH_METHODS, exampleAuthMethodBody } from "@authpi/domain";
import { createServices, generateKeyEntry, loadEnv, parseKeys } from "@authpi/server";
import { testEncryptionKeyEntry } from "@authpi/server/testing";
import { parsed } from "@authpi/server/testing/bodies";
import { provisionTestDatabase } from "@authpi/server/testing/database";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { dumpEveryRow } from "../database-dump.ts";
import type { ApiHarness, ApiResponse } from "../harness.ts";
import { authMethodHarness, newIssuer } from "./auth-method-fixtures.ts";

const run = promisify(execFile);
const REPO_ROOT = path.resolve(import.meta.dirname, "../../../..");
const CLI = path.join(REPO_ROOT, "packages/server/src/cli.ts");

/** Environment for a child process: the parent's, minus any encryption key it may carry. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const { AUTHPI_ENCRYPTION_KEYS: _a, AUTHPI_ENCRYPTION_KEY: _b, ...rest } = process.env;
  return { ...rest, ...extra };
}

const FEDERATED = ["oauth2", "oidc", "apple", "github", "oauth2_manual"] as const;

/**
 * A create body whose secret settings carry a unique, recognisable value, and
 * that value as it can be searched for in JSON text (`needle`): for Apple a
 * fresh P-256 key, found by one of its base64 lines (JSON escapes the newlines).
 */
function withSecret(method: (typeof FEDERATED)[number], name: string = method) {
  const body = exampleAuthMethodBody(method, name);
  const settings = { ...(body.settings as Record<string, unknown>) };
  if (method === "apple") {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    settings.private_key = pem;
    return { body: { ...body, settings }, secret: pem, needle: pem.split("\n")[2] ?? "" };
  }
  const secret = `PLAINTEXT${randomBytes(12).toString("hex")}`;
  settings.client_secret = secret;
  return { body: { ...body, settings }, secret, needle: secret };
}

describe("secrets never leave: responses, logs, database", () => {
  let api: ApiHarness;
  let issuer: string;
  const secrets = new Map<string, string>();
  const responses: ApiResponse[] = [];

  beforeAll(async () => {
    api = await authMethodHarness();
    issuer = await newIssuer(api, "Secrets");
  });
  afterAll(async () => {
    await api.close();
  });

  async function call(method: string, path: string, body?: unknown, headers?: Record<string, string>) {
    const res = await api.request(method, path, {
      ...(body === undefined ? {} : { body }),
      ...(headers ? { headers } : {}),
    });
    responses.push(res);
    return res;
  }

  test("create, get, list, patch, replay and every error path answer without the secret", async () => {
    const base = `/issuers/${issuer}/auth-methods`;
    for (const method of FEDERATED) {
      const { body, secret, needle } = withSecret(method, `Secret ${method}`);
      secrets.set(method, needle);
      const created = await call("POST", base, body, { "idempotency-key": `create-${method}` });
      expect(created.status, created.text).toBe(201);
      expect(created.body.secrets_set).toEqual(AUTH_METHODS[method].secretKeys);
      const id = created.body.id as string;
      // An idempotent replay answers the stored response.
      await call("POST", base, body, { "idempotency-key": `create-${method}` });
      await call("GET", `${base}/${id}`);
      await call("GET", base);
      expect((await call("PATCH", `${base}/${id}`, { featured: true })).status).toBe(200);
      // Error responses with the secret in the request.
      for (const key of AUTH_METHODS[method].secretKeys) {
        const immutable = await call("PATCH", `${base}/${id}`, { settings: { [key]: secret } });
        expect(immutable.body.error.code).toBe("immutable_field");
      }
      const duplicate = await call("POST", base, body);
      expect(duplicate.body.error.code).toBe("name_taken");
      const invalid = await call("POST", base, { ...body, first_factor_only: false });
      expect(invalid.status).toBe(400);
      const tooLong = await call("POST", base, {
        ...body,
        name: "Too long",
        settings: { ...body.settings, client_id: needle.repeat(40) },
      });
      expect(tooLong.status).toBe(400);
      const wrongType = await call("POST", base, { ...body, name: needle.repeat(10) });
      expect(wrongType.status).toBe(400);
    }
    expect(responses.length).toBeGreaterThanOrEqual(45);
    for (const res of responses) {
      for (const secret of secrets.values()) {
        expect(res.text).not.toContain(secret);
        for (const value of res.headers.values()) expect(value).not.toContain(secret);
      }
    }
  });

  test("no log line carries a secret", () => {
    expect(api.logLines.length).toBeGreaterThanOrEqual(45);
    const log = api.logLines.join("\n");
    for (const secret of secrets.values()) expect(log).not.toContain(secret);
  });

  test("no row of any table holds a secret's plaintext; the ciphertext names its key", async () => {
    const rows = await dumpEveryRow(api.db);
    expect([...new Set(rows.map((r) => r.table))]).toEqual(expect.arrayContaining(["auth_methods", "issuers"]));
    for (const { table, row } of rows) {
      for (const secret of secrets.values()) expect(row, table).not.toContain(secret);
    }
    expect(rows.length).toBeGreaterThan(5);
    const stored = await api.db.authMethod.findMany({ where: { issuerId: issuer } });
    expect(stored).toHaveLength(FEDERATED.length);
    for (const row of stored) {
      expect(row.secrets).toMatch(/^v1\.test\./);
      expect(JSON.stringify(row.settings)).not.toMatch(/client_secret|private_key/);
    }
  });
});

describe("key rotation", () => {
  // A database of its own: rotation re-encrypts every row, and other files' rows must keep the run's key.
  let database: Awaited<ReturnType<typeof provisionTestDatabase>>;
  beforeAll(async () => {
    database = await provisionTestDatabase(loadEnv().DATABASE_URL);
  });
  afterAll(async () => {
    await database?.drop();
  });

  test("after adding a key and rotating, the old key can go and every method still decrypts", async () => {
    const db = createDb(database.url, { max: 5 });
    try {
      const oldEntry = generateKeyEntry();
      const newEntry = `rotated:${randomBytes(32).toString("base64")}`;
      const newest = `newest:${randomBytes(32).toString("base64")}`;
      const before = createServices(db, { keyring: parseKeys(oldEntry) });
      const { account_id: accountId } = await before.accounts.bootstrap({ password: "correct horse battery staple" });
      const issuer = await before.issuers.create(accountId, parsed.issuer({ name: "Rotation" }));
      const plaintexts = new Map<string, string>();
      const methods = new Map<string, (typeof FEDERATED)[number]>();
      for (const method of FEDERATED) {
        const { body, needle } = withSecret(method);
        const { value } = await before.authMethods.create(accountId, issuer.value.id, parsed.authMethod(body));
        plaintexts.set(value.id, needle);
        methods.set(value.id, method);
      }
      // Each re-encryption is one `auth_method.updated` by the system, its secrets only as "[set]" → "[set]".
      const rotationEvents = async () =>
        (await db.auditEvent.findMany({ where: { accountId, type: "auth_method.updated" }, orderBy: { id: "asc" } }))
          // The updates made below in between (`featured`) are events too, but not the rotation's.
          .filter((event) => !("featured" in (event.changes as object)));
      const expectedEvents = [...methods].map(([id, method]) => ({
        resourceId: id,
        issuerId: issuer.value.id,
        actorType: "system",
        actorId: null,
        requestId: null,
        changes: Object.fromEntries(
          AUTH_METHODS[method].secretKeys.map((key) => [`settings.${key}`, { from: "[set]", to: "[set]" }]),
        ),
      }));
      await before.authMethods.create(accountId, issuer.value.id, parsed.authMethod(exampleAuthMethodBody("password")));

      // Without the old key nothing that needs a secret works yet.
      const onlyNew = createServices(db, { keyring: parseKeys(newEntry) });
      const [firstId] = plaintexts.keys();
      await expect(
        onlyNew.authMethods.update(accountId, issuer.value.id, firstId ?? "", { featured: true }),
      ).rejects.toThrow(/not configured/);

      // The service: new key in front, rotate, then the new key alone decrypts everything.
      const both = createServices(db, { keyring: parseKeys(`${newEntry},${oldEntry}`) });
      expect(await both.authMethods.rotateSecrets({ batchSize: 2 })).toEqual({ checked: 5, rotated: 5 });
      expect(await rotationEvents()).toMatchObject(expectedEvents);
      expect(await both.authMethods.rotateSecrets()).toEqual({ checked: 5, rotated: 0 });
      expect(await rotationEvents()).toHaveLength(5);
      const etagsBefore = new Map<string, string>();
      for (const id of plaintexts.keys()) {
        etagsBefore.set(id, (await onlyNew.authMethods.get(accountId, issuer.value.id, id)).etag);
      }
      for (const [id, secret] of plaintexts) {
        const row = await db.authMethod.findUniqueOrThrow({ where: { id } });
        expect(row.secrets).toMatch(/^v1\.rotated\./);
        expect(row.secrets).not.toContain(secret);
        const updated = await onlyNew.authMethods.update(accountId, issuer.value.id, id, { featured: true });
        expect(updated.value.featured).toBe(true);
        expect(updated.etag).not.toBe(etagsBefore.get(id));
      }
      const decrypted = await import("../../../../packages/server/src/secrets/cipher.ts");
      for (const [id, secret] of plaintexts) {
        const row = await db.authMethod.findUniqueOrThrow({ where: { id } });
        const values = decrypted.decryptSecrets(parseKeys(newEntry), row.secrets, id);
        expect(Object.values(values).join("\n")).toContain(secret);
      }

      // A re-encryption whose event cannot be written is not made either.
      await db.pool.query(
        `CREATE FUNCTION refuse_events() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION 'audit log unavailable'; END $$`,
      );
      await db.pool.query(
        "CREATE TRIGGER refuse_events BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_events()",
      );
      const newestFirst = createServices(db, { keyring: parseKeys(`${newest},${newEntry}`) });
      await expect(newestFirst.authMethods.rotateSecrets()).rejects.toThrow(/audit log unavailable/);
      await db.pool.query("DROP TRIGGER refuse_events ON audit_events");
      for (const id of plaintexts.keys()) {
        expect((await db.authMethod.findUniqueOrThrow({ where: { id } })).secrets).toMatch(/^v1\.rotated\./);
      }
      expect(await rotationEvents()).toHaveLength(5);

      // The CLI (`pnpm rotate-secrets`): another key in front, then only that one.
      const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", CLI, "rotate-secrets"], {
        cwd: REPO_ROOT,
        env: childEnv({
          DATABASE_URL: database.url,
          AUTHPI_ENCRYPTION_KEYS: `${newest},${newEntry}`,
          NODE_ENV: "test",
        }),
      });
      expect(stderr).toMatch(/re-encrypted 5 of 5 auth method secret\(s\) with key 'newest'/);
      for (const secret of plaintexts.values()) expect(stdout + stderr).not.toContain(secret);
      const events = await rotationEvents();
      expect(events).toMatchObject([...expectedEvents, ...expectedEvents]);
      // Neither a secret nor any ciphertext (old or new) in any event.
      const stored = JSON.stringify(await db.auditEvent.findMany({ where: { accountId } }));
      const ciphertexts = (await db.authMethod.findMany()).flatMap((m) => (m.secrets ? m.secrets.split(".") : []));
      for (const text of [...plaintexts.values(), ...ciphertexts.filter((part) => part.length > 12)]) {
        expect(stored).not.toContain(text);
      }
      const onlyNewest = createServices(db, { keyring: parseKeys(newest) });
      for (const [id, secret] of plaintexts) {
        const row = await db.authMethod.findUniqueOrThrow({ where: { id } });
        expect(row.secrets).toMatch(/^v1\.newest\./);
        const values = decrypted.decryptSecrets(parseKeys(newest), row.secrets, id);
        expect(Object.values(values).join("\n")).toContain(secret);
        expect(
          (await onlyNewest.authMethods.update(accountId, issuer.value.id, id, { featured: false })).value.featured,
        ).toBe(false);
      }
    } finally {
      await db.$disconnect();
    }
  });
});

describe("startup without a key", () => {
  test("in production the CLI refuses with a clear message", async () => {
    const error = await run(process.execPath, ["--import", "tsx", CLI, "rotate-secrets"], {
      cwd: REPO_ROOT,
      env: childEnv({ NODE_ENV: "production", DATABASE_URL: inject("databaseUrl") }),
    }).catch((e: { code: number; stderr: string }) => e);
    expect(error).toMatchObject({ code: 1 });
    expect((error as { stderr: string }).stderr).toMatch(/AUTHPI_ENCRYPTION_KEYS is not set/);
  });

  test("in production the server refuses to start with a clear message", async () => {
    const child = spawn(process.execPath, ["server.mjs"], {
      cwd: path.join(REPO_ROOT, "apps/web"),
      env: childEnv({ NODE_ENV: "production", PORT: "3190", HOST: "127.0.0.1", DATABASE_URL: inject("databaseUrl") }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        resolve(null);
      }, 20_000);
      child.once("exit", (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    expect(code).toBe(1);
    expect(output).toMatch(/AUTHPI_ENCRYPTION_KEYS is not set/);
  });

  test("the run's test key is what the harness uses", () => {
    expect(testEncryptionKeyEntry()).toMatch(/^test:/);
  });
});
