import { createHash } from "node:crypto";
import { createDb, type Db } from "@authpi/db";
import { inject } from "vitest";
import { type Clock, systemClock } from "../clock.ts";
import { type Keyring, parseKeys } from "../secrets/keyring.ts";
import { createServices, type Services } from "../services.ts";
import "./provided.ts";

export { parsed } from "./bodies.ts";

export interface TestAccount {
  accountId: string;
  apiKey: string;
  adminEmail: string;
  adminPassword: string;
}

export interface ServiceHarness {
  db: Db;
  services: Services;
  /** A new isolated account with an owner and an API key. */
  newAccount(): Promise<TestAccount>;
  close(): Promise<void>;
}

/**
 * The run's encryption key for auth method secrets: derived from the test
 * database's URL, so every test file (each its own worker) shares it.
 */
export function testEncryptionKeyEntry(databaseUrl: string = inject("databaseUrl")): string {
  const key = createHash("sha256").update(`authpi-test-encryption-key:${databaseUrl}`).digest();
  return `test:${key.toString("base64")}`;
}

export function testKeyring(databaseUrl: string = inject("databaseUrl")): Keyring {
  return parseKeys(testEncryptionKeyEntry(databaseUrl));
}

/** Services on the run's test database; each test file makes its own accounts so no data is shared. */
export function serviceHarness(options: { clock?: Clock } = {}): ServiceHarness {
  const db = createDb(inject("databaseUrl"), { max: 20 });
  const services = createServices(db, { clock: options.clock ?? systemClock, keyring: testKeyring() });
  return {
    db,
    services,
    async newAccount() {
      const result = await services.accounts.bootstrap({ password: "correct horse battery staple" });
      return {
        accountId: result.account_id,
        apiKey: result.api_key,
        adminEmail: result.admin_email,
        adminPassword: result.admin_password,
      };
    },
    close: () => db.$disconnect(),
  };
}
