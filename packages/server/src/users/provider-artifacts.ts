import type { Sql } from "../sql.ts";

/**
 * What the OpenID Provider keeps of a user or a client (sessions, grants,
 * authorization codes, access and refresh tokens) lives in its own tables,
 * which this package does not know. The provider passes an implementation to
 * `createServices({ providerArtifacts })`; the users and clients services call
 * it with the `sql` of the change (the transaction its write and event run in),
 * so a deleted user or client and its revoked artifacts commit together.
 */
export interface ProviderArtifacts {
  /** Every session, grant and token of the user: user delete, "sign out everywhere", block. */
  revokeUser(sql: Sql, issuerId: string, userId: string): Promise<void>;
  /** Every grant and token issued to the client: client delete. */
  revokeClient(sql: Sql, issuerId: string, clientId: string): Promise<void>;
}

/** Until the provider exists there is nothing to revoke. */
export const noProviderArtifacts: ProviderArtifacts = {
  revokeUser: async () => {},
  revokeClient: async () => {},
};
