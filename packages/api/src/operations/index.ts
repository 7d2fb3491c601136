import type { AnyOperation } from "../operation.ts";
import { apiKeyOperations } from "./api-keys.ts";
import { authOperations } from "./auth.ts";
import { authMethodOperations } from "./auth-methods.ts";
import { clientOperations } from "./clients.ts";
import { eventOperations } from "./events.ts";
import { issuerOperations } from "./issuers.ts";
import { signingKeyOperations } from "./signing-keys.ts";
import { userOperations } from "./users.ts";

/**
 * Every operation, by resource: the one registry. The REST router, the OpenAPI
 * document and the tRPC router (`resource.procedure`) are all derived from it.
 */
export const resources = {
  auth: authOperations,
  issuers: issuerOperations,
  authMethods: authMethodOperations,
  clients: clientOperations,
  users: userOperations,
  apiKeys: apiKeyOperations,
  events: eventOperations,
  signingKeys: signingKeyOperations,
};

export const operations: AnyOperation[] = Object.values(resources).flatMap((ops) => Object.values(ops));

/** The operations with a REST path, in declaration order (the OpenAPI document's order). */
export const restOperations: AnyOperation[] = operations.filter((op) => op.path !== undefined);
