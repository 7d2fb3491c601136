import { AuthMethod, AuthMethodList, CreateAuthMethodInput, UpdateAuthMethodInput } from "@authpi/domain";
import { z } from "zod";
import { AUTH_METHOD_FORMS, AuthMethodForm } from "../auth-method-forms.ts";
import { decoded, decodedVersioned } from "../json-text.ts";
import { accountProcedure, router } from "../trpc.ts";

const IssuerId = z.string().max(64).describe("`iss_` + ULID.");
const MethodId = z.string().max(64).describe("`am_` + ULID.");
const IfMatch = z.string().max(512).optional().describe("The ETag the edit was based on.");

/** Secrets never come back: `settings` leaves them out and `secrets_set` names the ones that hold a value. */
const VersionedAuthMethod = z.object({ value: AuthMethod, etag: z.string() });

export const authMethodsRouter = router({
  /** The form of each method type (fields, required and write-only keys), from the domain declarations. */
  forms: accountProcedure.output(z.array(AuthMethodForm)).query(() => [...AUTH_METHOD_FORMS]),

  list: accountProcedure
    .input(z.strictObject({ issuerId: IssuerId }))
    .output(AuthMethodList)
    .query(async ({ ctx, input }) =>
      decoded(await ctx.services.authMethods.list(ctx.principal.accountId, input.issuerId)),
    ),

  get: accountProcedure
    .input(z.strictObject({ issuerId: IssuerId, id: MethodId }))
    .output(VersionedAuthMethod)
    .query(async ({ ctx, input }) =>
      decodedVersioned(await ctx.services.authMethods.get(ctx.principal.accountId, input.issuerId, input.id)),
    ),

  create: accountProcedure
    .input(z.strictObject({ issuerId: IssuerId, body: CreateAuthMethodInput }))
    .output(VersionedAuthMethod)
    .mutation(({ ctx, input }) => ctx.services.authMethods.create(ctx.principal.accountId, input.issuerId, input.body)),

  update: accountProcedure
    .input(z.strictObject({ issuerId: IssuerId, id: MethodId, patch: UpdateAuthMethodInput, ifMatch: IfMatch }))
    .output(VersionedAuthMethod)
    .mutation(({ ctx, input }) =>
      ctx.services.authMethods.update(ctx.principal.accountId, input.issuerId, input.id, input.patch, {
        ifMatch: input.ifMatch,
      }),
    ),

  /** Permanent (hard) delete. */
  delete: accountProcedure
    .input(z.strictObject({ issuerId: IssuerId, id: MethodId, ifMatch: IfMatch }))
    .output(z.object({ deleted: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      await ctx.services.authMethods.delete(ctx.principal.accountId, input.issuerId, input.id, {
        ifMatch: input.ifMatch,
      });
      return { deleted: true as const };
    }),
});
