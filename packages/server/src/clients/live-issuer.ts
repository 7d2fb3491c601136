import { DomainError, isId } from "@authpi/domain";
import { type Sql, statement } from "../sql.ts";

/** What the clients and users rules need of the issuer of their path. */
export interface LiveIssuer {
  id: string;
  availableScopes: string[];
}

const FIND_ISSUER = statement(
  "live_issuer_find",
  `SELECT id, status, available_scopes AS "availableScopes" FROM issuers WHERE account_id = $1 AND id = $2`,
);

/**
 * The issuer of a client or user path: this account's, and not deleted
 * (api-contract §3: a deleted issuer's sub-resources answer 404 `issuer_deleted`).
 * Shared by the clients and users services; runs on their `sql`.
 */
export function createLiveIssuerLoader(sql: Sql) {
  return async function loadLiveIssuer(accountId: string, issuerId: string, what: string): Promise<LiveIssuer> {
    const [issuer] = isId("issuer", issuerId)
      ? await sql.query<LiveIssuer & { status: string }>(FIND_ISSUER, [accountId, issuerId])
      : [];
    if (!issuer) throw new DomainError("resource_missing", `No such issuer: '${issuerId}'`, { param: "issuer_id" });
    if (issuer.status === "deleted") {
      throw new DomainError(
        "issuer_deleted_not_found",
        `Issuer '${issuerId}' is deleted; its ${what} are unavailable until it is restored`,
        { param: "issuer_id" },
      );
    }
    return { id: issuer.id, availableScopes: issuer.availableScopes };
  };
}
