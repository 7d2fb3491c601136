import { defineConfig } from "prisma/config";

// The CLI is only used for `prisma generate` here; migrations are applied by
// packages/db (see migrate.ts), so no datasource URL is needed at generate time.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
});
