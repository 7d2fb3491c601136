import { readMigrations } from "@authpi/db";
import type { Pool } from "pg";

export interface Readiness {
  ready: boolean;
  checks: {
    database: "ok" | "unavailable";
    migrations: "ok" | "pending" | "unknown";
  };
}

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("readiness check timed out")), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** `/readyz`: the database answers and every migration in prisma/migrations is applied. */
export function createHealthService(pool: Pool) {
  let expected: string[] | undefined;
  return {
    async readiness(): Promise<Readiness> {
      expected ??= (await readMigrations()).map((m) => m.name);
      let applied: Set<string>;
      try {
        // The pool, not Prisma: a probe polled every few seconds must not load Prisma's engine.
        const { rows } = await withTimeout(
          pool.query<{ migration_name: string }>(
            `SELECT "migration_name" FROM "_prisma_migrations" WHERE "finished_at" IS NOT NULL AND "rolled_back_at" IS NULL`,
          ),
          CHECK_TIMEOUT_MS,
        );
        applied = new Set(rows.map((r) => r.migration_name));
      } catch {
        return { ready: false, checks: { database: "unavailable", migrations: "unknown" } };
      }
      const migrations = expected.every((name) => applied.has(name)) ? "ok" : "pending";
      return { ready: migrations === "ok", checks: { database: "ok", migrations } };
    },
  };
}

export type HealthService = ReturnType<typeof createHealthService>;
