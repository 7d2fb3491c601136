import { Operator, SignInInput } from "@authpi/domain";
import { toOperator } from "@authpi/server";
import { z } from "zod";
import { defineOperation } from "../operation.ts";

/** The admin session: sign-in sets it, sign-out ends it, `me` reads it. */
export const authOperations = {
  /** Email + password → a session. Never batched: one request is one counted attempt. */
  signIn: defineOperation({
    id: "signIn",
    method: "POST",
    access: "public",
    batchable: false,
    body: SignInInput,
    response: { status: 200, description: "The signed-in operator", schema: Operator },
    handler: async ({ body }, ctx) => {
      const result = await ctx.services.adminAuth.signIn(body, { ip: ctx.ip });
      ctx.session.set(result.token, result.expiresAt);
      return result.operator;
    },
  }),

  /** Ends the session server-side and clears the cookie; fine to call when signed out. */
  signOut: defineOperation({
    id: "signOut",
    method: "POST",
    access: "public",
    response: { status: 200, description: "Signed out", schema: z.object({ signed_out: z.literal(true) }) },
    handler: async (_, ctx) => {
      await ctx.services.adminAuth.signOut(ctx.session.token);
      ctx.session.clear();
      return { signed_out: true as const };
    },
  }),

  me: defineOperation({
    id: "me",
    method: "GET",
    access: "operator",
    response: { status: 200, description: "The signed-in operator", schema: Operator },
    handler: async (_, ctx) => toOperator(ctx.caller?.operator as NonNullable<typeof ctx.caller>["operator"] & {}),
  }),
};
