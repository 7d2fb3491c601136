import { DomainError, parseOrThrow } from "../errors.ts";
import { assertJsonBodySafe } from "../input-safety.ts";
import { mergePatch } from "../merge-patch.ts";
import { type Issuer, IssuerConfig, type UpdateIssuerInput } from "./schema.ts";

export const DEFAULT_DELETE_GRACE_DAYS = 30;

function rejectDeletedStatus(status: unknown): void {
  if (status === "deleted") {
    throw new DomainError("use_delete_endpoint", "status: deleted cannot be set; use DELETE to delete an issuer", {
      param: "status",
    });
  }
}

/** The rules a new issuer's parsed configuration must meet beyond its schema (the service runs them). */
export function checkIssuerCreate(config: IssuerConfig): IssuerConfig {
  rejectDeletedStatus(config.status);
  return config;
}

/** Validates a raw create body into a complete, defaulted configuration (what the doors' parse and the service do). */
export function issuerConfigForCreate(input: unknown): IssuerConfig {
  assertJsonBodySafe(input);
  return checkIssuerCreate(parseOrThrow(IssuerConfig, input));
}

/**
 * Applies a PATCH to the current issuer: plain fields replace, `settings`,
 * `links` and `metadata` merge (RFC 7396), then the whole result is validated
 * as if it were created so no PATCH can produce what a POST could not.
 */
export function applyIssuerPatch(current: Issuer, patch: UpdateIssuerInput): IssuerConfig {
  assertJsonBodySafe(patch);
  rejectDeletedStatus(patch.status);
  const restoring = current.status === "deleted" && patch.status === "active";
  if (current.status === "deleted" && !restoring) {
    throw new DomainError(
      "issuer_deleted",
      "This issuer is deleted; send a PATCH with status: active to restore it first",
      { param: "status" },
    );
  }
  const merged = {
    name: patch.name ?? current.name,
    description: patch.description === undefined ? current.description : patch.description,
    links: patch.links === undefined ? current.links : mergePatch(current.links, patch.links),
    available_scopes: patch.available_scopes ?? current.available_scopes,
    status: patch.status ?? current.status,
    settings: patch.settings === undefined ? current.settings : mergePatch(current.settings, patch.settings),
    metadata: patch.metadata === undefined ? current.metadata : mergePatch(current.metadata, patch.metadata),
  };
  return parseOrThrow(IssuerConfig, merged);
}

export function purgeAfter(deletedAt: Date, graceDays: number): Date {
  return new Date(deletedAt.getTime() + graceDays * 86_400_000);
}
