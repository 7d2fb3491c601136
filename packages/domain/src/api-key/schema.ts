import { z } from "zod";
import { Name, Timestamp } from "../common.ts";

/** An account API key as listed: the visible prefix only, never the secret or its hash. */
export const ApiKey = z
  .object({
    object: z.literal("api_key"),
    id: z.string().describe("`key_` + ULID."),
    account_id: z.string(),
    name: z.string(),
    prefix: z.string().describe("The first characters of the secret, to recognise a key."),
    created_at: Timestamp,
    last_used_at: Timestamp.nullable().describe("Updated at most once a minute."),
    revoked_at: Timestamp.nullable(),
  })
  .meta({ id: "ApiKey" });
export type ApiKey = z.infer<typeof ApiKey>;

export const CreateApiKeyInput = z.strictObject({ name: Name });
export type CreateApiKeyInput = z.infer<typeof CreateApiKeyInput>;

/** The one response that carries the secret: the answer to a create. */
export const CreatedApiKey = z.object({
  api_key: ApiKey,
  secret: z.string().describe("`sk_…`; shown once, stored only as a SHA-256 hash."),
});
export type CreatedApiKey = z.infer<typeof CreatedApiKey>;
