import { readFile } from "node:fs/promises";
import { compareMigrationsToSchema, SCHEMA_FILE } from "@authpi/db/diff";
import { expect, inject, test } from "vitest";

test("prisma/migrations build exactly what prisma/schema.prisma describes", async () => {
  const drift = await compareMigrationsToSchema(inject("databaseUrl"));
  expect(drift.missing).toEqual([]);
  // Objects Prisma's schema language cannot express (expression and partial indexes)
  // live only in migrations; each must be named in schema.prisma so readers know of it.
  const schema = await readFile(SCHEMA_FILE, "utf8");
  for (const line of drift.extra) {
    const name = /^\w+ (?:\w+\.)?(\S+):/.exec(line)?.[1] ?? line;
    expect(schema, `${line}\n(document it in schema.prisma, or add it to the schema)`).toContain(name);
  }
}, 60_000);
