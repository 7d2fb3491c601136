import { ApiKey, CreateApiKeyInput, CreatedApiKey } from "@authpi/domain";
import { z } from "zod";
import { accountProcedure, router } from "../trpc.ts";

export const apiKeysRouter = router({
  /** Newest first; prefix and last use only, never the secret. */
  list: accountProcedure.output(z.array(ApiKey)).query(({ ctx }) => ctx.services.apiKeys.list(ctx.principal.accountId)),

  /** The only answer that carries the secret; it cannot be read again. */
  create: accountProcedure
    .input(CreateApiKeyInput)
    .output(CreatedApiKey)
    .mutation(async ({ ctx, input }) => {
      const { apiKey, secret } = await ctx.services.apiKeys.create(ctx.principal.accountId, input.name);
      return { api_key: apiKey, secret };
    }),

  revoke: accountProcedure
    .input(z.strictObject({ id: z.string().max(64) }))
    .output(ApiKey)
    .mutation(({ ctx, input }) => ctx.services.apiKeys.revoke(ctx.principal.accountId, input.id)),
});
