import { DomainError, etagFor, ifMatchSatisfied } from "@authpi/domain";

/** A row with the version column every ETag is derived from. */
export interface VersionedRow {
  id: string;
  version: number;
}

// Without If-Match a write is last-writer-wins per field, but never loses a
// concurrent write: it re-reads and re-applies when the row moved under it.
const MAX_WRITE_ATTEMPTS = 5;

function preconditionFailed(resource: string, row: VersionedRow): DomainError {
  return new DomainError("precondition_failed", `The ${resource} has been modified since the ETag in If-Match`, {
    extra: { current_etag: etagFor(row.id, row.version) },
  });
}

/**
 * One optimistic write for every versioned resource: load the row, check
 * `If-Match` (412 with `current_etag` on a mismatch), attempt the write at the
 * loaded version. `attempt` returns undefined when the row moved meanwhile: the
 * write is retried, unless `If-Match` pinned the version, which is then a 412.
 */
export async function writeWithVersion<L, T>(options: {
  /** "issuer", "auth method": named in the 412's message. */
  resource: string;
  ifMatch: string | undefined;
  load: () => Promise<L>;
  row: (loaded: L) => VersionedRow;
  attempt: (loaded: L) => Promise<T | undefined>;
}): Promise<T> {
  const { resource, ifMatch, load, row } = options;
  for (let i = 0; i < MAX_WRITE_ATTEMPTS; i++) {
    const loaded = await load();
    const current = row(loaded);
    if (ifMatch !== undefined && !ifMatchSatisfied(ifMatch, etagFor(current.id, current.version))) {
      throw preconditionFailed(resource, current);
    }
    const result = await options.attempt(loaded);
    if (result !== undefined) return result;
    if (ifMatch !== undefined) break;
  }
  throw preconditionFailed(resource, row(await load()));
}
