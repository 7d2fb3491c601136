import { randomBytes } from "node:crypto";
import type { Db } from "@authpi/db";
import { DomainError, diffChanges, newId } from "@authpi/domain";
import { hash } from "@node-rs/argon2";
import type { ApiKeyWrites } from "../api-keys/service.ts";
import type { AuditRecorder } from "../audit/service.ts";
import type { Clock } from "../clock.ts";
import { type Sql, statement } from "../sql.ts";

export interface BootstrapInput {
  email?: string | undefined;
  password?: string | undefined;
  accountName?: string | undefined;
}

export interface BootstrapResult {
  account_id: string;
  api_key: string;
  admin_email: string;
  admin_password: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** argon2id with OWASP's recommended minimum cost (19 MiB, 2 passes). */
export function hashPassword(password: string): Promise<string> {
  return hash(password, { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
}

// On the `Sql` executor, so the account, its owner, its event and its first key share one transaction.
const INSERT_ACCOUNT = statement(
  "account_insert",
  "INSERT INTO accounts (id, name, created_at, updated_at) VALUES ($1, $2, $3, $3)",
);
const INSERT_OWNER = statement(
  "account_insert_owner",
  "INSERT INTO admin_users (id, account_id, email, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
);

/** `sql` must be a transaction for the bootstrap to be atomic (`AUDITED_WRITES` runs it in one). */
export function createAccountService(sql: Sql, db: Db, clock: Clock, apiKeys: ApiKeyWrites, audit: AuditRecorder) {
  return {
    /** Creates an account with its owner operator and a first API key (the bootstrap CLI). */
    async bootstrap(input: BootstrapInput = {}): Promise<BootstrapResult> {
      const email = (input.email ?? `admin-${randomBytes(4).toString("hex")}@authpi.local`).trim().toLowerCase();
      if (!EMAIL.test(email))
        throw new DomainError("validation_failed", "email: must be an email address", { param: "email" });
      const password = input.password ?? randomBytes(18).toString("base64url");
      if (password.length < 12) {
        throw new DomainError("validation_failed", "password: must be at least 12 characters", { param: "password" });
      }
      const name = (input.accountName ?? "My account").trim();
      if (name.length === 0 || name.length > 100) {
        throw new DomainError("validation_failed", "account-name: 1 to 100 characters", { param: "account_name" });
      }
      if (await db.adminUser.findUnique({ where: { email } })) {
        throw new DomainError("validation_failed", `email: an operator with ${email} already exists`, {
          param: "email",
        });
      }
      const now = clock();
      const accountId = newId("account");
      const passwordHash = await hashPassword(password);
      await sql.query(INSERT_ACCOUNT, [accountId, name, now]);
      await sql.query(INSERT_OWNER, [newId("adminUser"), accountId, email, passwordHash, now]);
      await audit.record({
        accountId,
        issuerId: null,
        type: "account.created",
        resourceId: accountId,
        changes: diffChanges(undefined, { name }),
      });
      const { secret } = await apiKeys.create(accountId, "Bootstrap key");
      return { account_id: accountId, api_key: secret, admin_email: email, admin_password: password };
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
