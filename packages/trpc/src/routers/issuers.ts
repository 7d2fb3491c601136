import { CreateIssuerInput, Issuer, IssuerList, ListIssuersQuery, UpdateIssuerInput } from "@authpi/domain";
import { z } from "zod";
import { decoded, decodedVersioned } from "../json-text.ts";
import { accountProcedure, router } from "../trpc.ts";

const IssuerId = z.string().max(64).describe("`iss_` + ULID.");
const IfMatch = z
  .string()
  .max(512)
  .optional()
  .describe("The ETag the edit was based on; a concurrent change makes the call fail with PRECONDITION_FAILED.");

/** An issuer with the ETag of the version it was read at, to send back as `ifMatch`. */
const VersionedIssuer = z.object({ value: Issuer, etag: z.string() });

export const issuersRouter = router({
  list: accountProcedure
    .input(ListIssuersQuery)
    .output(IssuerList)
    .query(async ({ ctx, input }) => decoded(await ctx.services.issuers.list(ctx.principal.accountId, input))),

  get: accountProcedure
    .input(z.strictObject({ id: IssuerId }))
    .output(VersionedIssuer)
    .query(async ({ ctx, input }) =>
      decodedVersioned(await ctx.services.issuers.get(ctx.principal.accountId, input.id)),
    ),

  create: accountProcedure
    .input(CreateIssuerInput)
    .output(VersionedIssuer)
    .mutation(({ ctx, input }) => ctx.services.issuers.create(ctx.principal.accountId, input)),

  update: accountProcedure
    .input(z.strictObject({ id: IssuerId, patch: UpdateIssuerInput, ifMatch: IfMatch }))
    .output(VersionedIssuer)
    .mutation(({ ctx, input }) =>
      ctx.services.issuers.update(ctx.principal.accountId, input.id, input.patch, { ifMatch: input.ifMatch }),
    ),

  /** Soft delete: the issuer stays readable and restorable until its purge date. */
  delete: accountProcedure
    .input(z.strictObject({ id: IssuerId, ifMatch: IfMatch }))
    .output(z.object({ deleted: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      await ctx.services.issuers.delete(ctx.principal.accountId, input.id, { ifMatch: input.ifMatch });
      return { deleted: true as const };
    }),

  /** The same PATCH `{ status: "active" }` the REST API takes to restore a deleted issuer. */
  restore: accountProcedure
    .input(z.strictObject({ id: IssuerId, ifMatch: IfMatch }))
    .output(VersionedIssuer)
    .mutation(({ ctx, input }) =>
      ctx.services.issuers.update(ctx.principal.accountId, input.id, { status: "active" }, { ifMatch: input.ifMatch }),
    ),
});
