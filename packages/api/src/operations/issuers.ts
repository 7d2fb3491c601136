import {
  CreateIssuerInput,
  Issuer,
  IssuerConfig,
  IssuerList,
  ListIssuersQuery,
  UpdateIssuerInput,
} from "@authpi/domain";
import { z } from "zod";
import { defineOperation } from "../operation.ts";

export const IssuerId = z.string().describe("The unique identifier of the issuer (`iss_` + ULID).");
const IssuerParams = z.object({ issuer_id: IssuerId });

const ISSUERS = "/v1/accounts/{account_id}/issuers";
const ISSUER = `${ISSUERS}/{issuer_id}` as const;

// Examples are built through the domain schemas, so they are valid by construction.
export const EXAMPLE_ACCOUNT = "acct_01JDQ3S4V6W8X9Y0Z1A2B3C4D5";
export const EXAMPLE_ISSUER = "iss_01JDQ3S5M2N3P4Q5R6S7T8V9W0";
export const EXAMPLE_TIME = "2026-11-27T22:40:00.000Z";
const createExample = { name: "Production", available_scopes: ["openid", "profile", "email"] };
const issuerExample = Issuer.parse({
  object: "issuer",
  id: EXAMPLE_ISSUER,
  account_id: EXAMPLE_ACCOUNT,
  ...IssuerConfig.parse(createExample),
  created_at: EXAMPLE_TIME,
  updated_at: EXAMPLE_TIME,
  deleted_at: null,
  purge_after: null,
  issuer_url: `http://localhost:3000/oidc/${EXAMPLE_ISSUER}`,
});

const tag = "Issuers";

export const issuerOperations = {
  list: defineOperation({
    id: "listIssuers",
    method: "GET",
    path: ISSUERS,
    access: "account",
    tag,
    summary: "List Issuers",
    description:
      "Lists the account's issuers, newest first, with keyset pagination. Deleted issuers are left out " +
      "unless `status=deleted` asks for them.",
    query: ListIssuersQuery,
    response: {
      status: 200,
      description: "Paginated list of issuers",
      schema: IssuerList,
      example: { object: "list", data: [issuerExample], has_more: false, next_cursor: null },
    },
    errors: [400],
    handler: ({ query }, ctx) => ctx.services.issuers.list(ctx.accountId, query),
  }),

  create: defineOperation({
    id: "createIssuer",
    method: "POST",
    path: ISSUERS,
    access: "account",
    tag,
    summary: "Create Issuer",
    description:
      "Creates a new issuer within the account. Every field but `name` is optional; `settings` are " +
      "returned complete, with defaults filled in.",
    body: CreateIssuerInput,
    bodyExample: createExample,
    idempotent: true,
    response: {
      status: 201,
      description: "Issuer created successfully",
      schema: Issuer,
      example: issuerExample,
      etag: true,
    },
    handler: ({ body }, ctx) => ctx.services.issuers.create(ctx.accountId, body),
  }),

  get: defineOperation({
    id: "getIssuer",
    method: "GET",
    path: ISSUER,
    access: "account",
    tag,
    summary: "Get Issuer",
    description: "Retrieves the full configuration of an issuer, also while it is soft-deleted.",
    params: IssuerParams,
    response: {
      status: 200,
      description: "Issuer configuration retrieved successfully",
      schema: Issuer,
      example: issuerExample,
      etag: true,
    },
    errors: [400, 404, 409, 412, 422],
    handler: ({ params }, ctx) => ctx.services.issuers.get(ctx.accountId, params.issuer_id),
  }),

  update: defineOperation({
    id: "updateIssuer",
    method: "PATCH",
    path: ISSUER,
    access: "account",
    tag,
    summary: "Update Issuer",
    description:
      "Updates an issuer. Every field is optional; `settings`, `links` and `metadata` are JSON merge " +
      "patches (RFC 7396). `status: active` restores a deleted issuer; `status: deleted` is refused (use DELETE).",
    params: IssuerParams,
    body: UpdateIssuerInput,
    bodyExample: { name: "Production (EU)", settings: { mfa: { policy: "required" } } },
    idempotent: true,
    response: {
      status: 200,
      description: "Issuer updated successfully",
      schema: Issuer,
      example: { ...issuerExample, name: "Production (EU)" },
      etag: true,
    },
    errors: [404, 412],
    handler: ({ params, body, ifMatch }, ctx) =>
      ctx.services.issuers.update(ctx.accountId, params.issuer_id, body, { ifMatch }),
  }),

  delete: defineOperation({
    id: "deleteIssuer",
    method: "DELETE",
    path: ISSUER,
    access: "account",
    tag,
    summary: "Delete Issuer",
    description:
      "Soft-deletes an issuer: it is kept, restorable with PATCH `status: active`, for the grace period " +
      "(`purge_after`), then purged with its auth methods.",
    params: IssuerParams,
    response: { status: 204, description: "No Content - The operation completed successfully with no response body." },
    errors: [400, 404, 412],
    handler: async ({ params, ifMatch }, ctx) => {
      await ctx.services.issuers.delete(ctx.accountId, params.issuer_id, { ifMatch });
      return undefined;
    },
  }),

  /** The admin UI's restore button: the same PATCH `{ status: "active" }` the REST API takes. */
  restore: defineOperation({
    id: "restoreIssuer",
    method: "POST",
    access: "account",
    body: z.strictObject({ id: IssuerId, ifMatch: z.string().max(512).optional() }),
    response: { status: 200, description: "The restored issuer", schema: Issuer, etag: true },
    handler: ({ body }, ctx) =>
      ctx.services.issuers.update(ctx.accountId, body.id, { status: "active" }, { ifMatch: body.ifMatch }),
  }),
};
