import type { Db } from "@authpi/db";
import { DomainError, isId } from "@authpi/domain";
import { createIssuerRepository, type IssuerRow } from "../issuers/repository.ts";

/**
 * The issuer of a client or user path: this account's, and not deleted
 * (api-contract §3: a deleted issuer's sub-resources answer 404 `issuer_deleted`).
 * Shared by the clients and users services.
 */
export function createLiveIssuerLoader(db: Db) {
  const issuers = createIssuerRepository(db);
  return async function loadLiveIssuer(accountId: string, issuerId: string, what: string): Promise<IssuerRow> {
    const issuer = isId("issuer", issuerId) ? await issuers.find(accountId, issuerId) : null;
    if (!issuer) throw new DomainError("resource_missing", `No such issuer: '${issuerId}'`, { param: "issuer_id" });
    if (issuer.status === "deleted") {
      throw new DomainError(
        "issuer_deleted_not_found",
        `Issuer '${issuerId}' is deleted; its ${what} are unavailable until it is restored`,
        { param: "issuer_id" },
      );
    }
    return issuer;
  };
}
