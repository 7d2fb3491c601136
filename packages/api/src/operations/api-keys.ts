import { ApiKey, CreateApiKeyInput, CreatedApiKey } from "@authpi/domain";
import { z } from "zod";
import { defineOperation } from "../operation.ts";

/** API keys are managed by a signed-in operator only: a leaked key must not mint or revoke keys. */
export const apiKeyOperations = {
  /** Newest first; prefix and last use only, never the secret. */
  list: defineOperation({
    id: "listApiKeys",
    method: "GET",
    access: "operator",
    response: { status: 200, description: "The account's API keys", schema: z.array(ApiKey) },
    handler: (_, ctx) => ctx.services.apiKeys.list(ctx.accountId),
  }),

  /** The only answer that carries the secret; it cannot be read again. */
  create: defineOperation({
    id: "createApiKey",
    method: "POST",
    access: "operator",
    body: CreateApiKeyInput,
    response: { status: 201, description: "The new key and its secret", schema: CreatedApiKey },
    handler: async ({ body }, ctx) => {
      const { apiKey, secret } = await ctx.services.apiKeys.create(ctx.accountId, body.name);
      return { api_key: apiKey, secret } as z.output<typeof CreatedApiKey>;
    },
  }),

  revoke: defineOperation({
    id: "revokeApiKey",
    method: "POST",
    access: "operator",
    body: z.strictObject({ id: z.string().max(64) }),
    response: { status: 200, description: "The revoked key", schema: ApiKey },
    handler: ({ body }, ctx) => ctx.services.apiKeys.revoke(ctx.accountId, body.id),
  }),
};
