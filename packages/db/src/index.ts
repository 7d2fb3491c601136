export { createDb, createListenerClient, type Db, type DbOptions } from "./client.ts";
export { type EmbeddedOptions, type RunningDatabase, useEmbeddedPostgres } from "./embedded.ts";
export { Prisma } from "./generated/prisma/client.ts";
export type * from "./generated/prisma/models.ts";
export { MIGRATIONS_DIR, migrate, migrationsApplied, readMigrations } from "./migrate.ts";
export { freePort, portOpen } from "./net.ts";
