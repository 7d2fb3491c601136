import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ciphertextKeyId, DecryptionError, decryptSecrets, encryptSecrets } from "./cipher.ts";
import { createKeyring, generateKeyEntry, KeyringError, loadKeyring, parseKeys } from "./keyring.ts";

const entry = (id: string) => `${id}:${randomBytes(32).toString("base64")}`;

describe("AES-256-GCM secrets", () => {
  const ring = parseKeys(entry("main"));
  const secrets = { client_secret: "s3cr3t-value-for-the-test" };

  it("round-trips and stores the key id, never the plaintext", () => {
    const ciphertext = encryptSecrets(ring, secrets, "am_1") ?? "";
    expect(ciphertext).toMatch(/^v1\.main\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(ciphertext).not.toContain("s3cr3t");
    expect(ciphertextKeyId(ciphertext)).toBe("main");
    expect(decryptSecrets(ring, ciphertext, "am_1")).toEqual(secrets);
    // A fresh IV every time.
    expect(encryptSecrets(ring, secrets, "am_1")).not.toBe(ciphertext);
  });

  it("nothing to keep is null", () => {
    expect(encryptSecrets(ring, {}, "am_1")).toBeNull();
    expect(decryptSecrets(ring, null, "am_1")).toEqual({});
  });

  it("is bound to its row: another row's id does not decrypt it", () => {
    const ciphertext = encryptSecrets(ring, secrets, "am_1") ?? "";
    expect(() => decryptSecrets(ring, ciphertext, "am_2")).toThrow(DecryptionError);
  });

  it("detects tampering and unknown keys", () => {
    const ciphertext = encryptSecrets(ring, secrets, "am_1") ?? "";
    const parts = ciphertext.split(".");
    const data = Buffer.from(parts[4] ?? "", "base64url");
    data[0] = (data[0] ?? 0) ^ 1;
    parts[4] = data.toString("base64url");
    expect(() => decryptSecrets(ring, parts.join("."), "am_1")).toThrow(DecryptionError);
    expect(() => decryptSecrets(parseKeys(entry("other")), ciphertext, "am_1")).toThrow(/'main' is not configured/);
    expect(() => decryptSecrets(ring, "garbage", "am_1")).toThrow(DecryptionError);
  });

  it("decrypts with an older key of the ring and encrypts with the newest", () => {
    const old = entry("old");
    const ciphertext = encryptSecrets(parseKeys(old), secrets, "am_1") ?? "";
    const rotated = parseKeys(`${entry("new")},${old}`);
    expect(decryptSecrets(rotated, ciphertext, "am_1")).toEqual(secrets);
    expect(ciphertextKeyId(encryptSecrets(rotated, secrets, "am_1") ?? "")).toBe("new");
  });
});

describe("parseKeys", () => {
  it("reads kid:base64 entries newest first, and derives an id for a bare key", () => {
    const ring = parseKeys(` ${entry("b")} , ${entry("a")} `);
    expect(ring.ids).toEqual(["b", "a"]);
    expect(ring.current.id).toBe("b");
    const bare = parseKeys(randomBytes(32).toString("base64"));
    expect(bare.current.id).toMatch(/^k[0-9a-f]{12}$/);
  });

  it("rejects bad entries without echoing key material", () => {
    const short = randomBytes(16).toString("base64");
    for (const value of [
      `a:${short}`,
      "a:not base64!",
      `bad id:${randomBytes(32).toString("base64")}`,
      "",
      `${entry("x")},${entry("x")}`,
    ]) {
      let message = "";
      try {
        parseKeys(value);
      } catch (error) {
        expect(error).toBeInstanceOf(KeyringError);
        message = (error as Error).message;
      }
      expect(message, value).not.toBe("");
      expect(message).not.toContain(short);
    }
    expect(() => createKeyring([])).toThrow(KeyringError);
  });

  it("generateKeyEntry makes a valid 32-byte key", () => {
    const ring = parseKeys(generateKeyEntry());
    expect(ring.current.key).toHaveLength(32);
  });
});

describe("loadKeyring", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("refuses to run in production on a database server without a configured key", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "authpi-keys-"));
    await expect(
      loadKeyring({ NODE_ENV: "production", DATABASE_URL: "postgresql://db.internal/authpi", AUTHPI_DATA_DIR: dir }),
    ).rejects.toThrow(/AUTHPI_ENCRYPTION_KEYS is not set/);
  });

  it("a production build on the embedded database keeps its key in the data folder", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "authpi-keys-"));
    const keyring = await loadKeyring({ NODE_ENV: "production", AUTHPI_DATA_DIR: dir });
    expect(keyring.ids).toHaveLength(1);
  });

  it("reads a key file of several lines, newest first (rotation on the embedded database)", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "authpi-keys-"));
    await writeFile(path.join(dir, "encryption-key"), `${entry("new")}\n${entry("old")}\n`, { mode: 0o600 });
    expect((await loadKeyring({ NODE_ENV: "development", AUTHPI_DATA_DIR: dir })).ids).toEqual(["new", "old"]);
  });

  it("uses AUTHPI_ENCRYPTION_KEYS, then AUTHPI_ENCRYPTION_KEY", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "authpi-keys-"));
    const keys = `${entry("n")},${entry("o")}`;
    expect(
      (await loadKeyring({ NODE_ENV: "production", AUTHPI_DATA_DIR: dir, AUTHPI_ENCRYPTION_KEYS: keys })).ids,
    ).toEqual(["n", "o"]);
    expect(
      (await loadKeyring({ NODE_ENV: "production", AUTHPI_DATA_DIR: dir, AUTHPI_ENCRYPTION_KEY: entry("s") })).ids,
    ).toEqual(["s"]);
  });

  it("outside production, generates a key once into the data folder (0600) and reuses it", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "authpi-keys-"));
    const dataDir = path.join(dir, "data");
    const lines: string[] = [];
    const first = await loadKeyring(
      { NODE_ENV: "development", AUTHPI_DATA_DIR: dataDir },
      { log: (l) => lines.push(l) },
    );
    const file = path.join(dataDir, "encryption-key");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(lines.join("\n")).not.toContain(first.current.key.toString("base64"));
    const [second, third] = await Promise.all([
      loadKeyring({ NODE_ENV: "development", AUTHPI_DATA_DIR: dataDir }),
      loadKeyring({ NODE_ENV: "test", AUTHPI_DATA_DIR: dataDir }),
    ]);
    expect(second.current.key.equals(first.current.key)).toBe(true);
    expect(third.current.id).toBe(first.current.id);
    expect((await readFile(file, "utf8")).trim().split("\n")).toHaveLength(1);
  });
});
