import { Operator, SignInInput } from "@authpi/domain";
import { toOperator } from "@authpi/server";
import { z } from "zod";
import { clearedSessionCookie, sessionCookie } from "../context.ts";
import { protectedProcedure, publicProcedure, router } from "../trpc.ts";

export const authRouter = router({
  /** Email + password → a session cookie (HttpOnly, SameSite=Lax, Secure over https in production). */
  signIn: publicProcedure
    .input(SignInInput)
    .output(Operator)
    .mutation(async ({ ctx, input }) => {
      const result = await ctx.services.adminAuth.signIn(input, { ip: ctx.ip });
      ctx.resHeaders.append("set-cookie", sessionCookie(result.token, result.expiresAt, ctx.secureCookies));
      return result.operator;
    }),

  /** Ends the session server-side and clears the cookie; fine to call when signed out. */
  signOut: publicProcedure.output(z.object({ signed_out: z.literal(true) })).mutation(async ({ ctx }) => {
    await ctx.services.adminAuth.signOut(ctx.sessionToken);
    ctx.resHeaders.append("set-cookie", clearedSessionCookie(ctx.secureCookies));
    return { signed_out: true as const };
  }),

  me: protectedProcedure.output(Operator).query(({ ctx }) => toOperator(ctx.operator)),
});
