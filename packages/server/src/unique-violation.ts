/**
 * The name of the unique index or constraint a unique violation (Postgres
 * 23505 through `pg`, or Prisma's P2002) hit, or undefined for any other error. Read from the error's structured
 * metadata, never its message. With a driver adapter (adapter-pg) Prisma puts
 * the database's index name under `meta.driverAdapterError.cause.constraint.index`;
 * the classic engines used `meta.target`.
 */
export function uniqueViolationIndex(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { code, meta, constraint } = error as { code?: unknown; meta?: Record<string, unknown>; constraint?: unknown };
  // Postgres through `pg` (the `Sql` executor): unique_violation names its index.
  if (code === "23505") return typeof constraint === "string" ? constraint : undefined;
  if (code !== "P2002" || !meta) return undefined;
  const cause = (meta.driverAdapterError as { cause?: { constraint?: { index?: unknown } } } | undefined)?.cause;
  const index = cause?.constraint?.index;
  if (typeof index === "string") return index;
  if (typeof meta.target === "string") return meta.target;
  return undefined;
}
