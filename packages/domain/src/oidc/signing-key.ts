import { z } from "zod";
import { Timestamp } from "../common.ts";

/** An issuer's token signing key as the control plane shows it: never the private half. */
export const SigningKey = z
  .object({
    object: z.literal("signing_key"),
    id: z.string().describe("The key id (`kid` in the JWKS and in every token it signs): its RFC 7638 thumbprint."),
    alg: z.enum(["RS256", "ES256"]),
    status: z
      .enum(["current", "previous"])
      .describe("`current` signs new tokens; `previous` stays in the JWKS until its tokens have expired."),
    created_at: Timestamp,
    rotated_at: Timestamp.nullable().describe("When it stopped signing (a rotation)."),
    retire_after: Timestamp.nullable().describe("When a previous key leaves the JWKS."),
  })
  .meta({ id: "SigningKey" });
export type SigningKey = z.infer<typeof SigningKey>;

export const SigningKeyList = z
  .object({ object: z.literal("list"), data: z.array(SigningKey) })
  .meta({ id: "SigningKeyList" });

export const RotateSigningKeyInput = z
  .strictObject({
    alg: z.enum(["RS256", "ES256"]).default("RS256").describe("The algorithm of the new key."),
  })
  .meta({ id: "RotateSigningKeyInput" });
