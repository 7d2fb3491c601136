import {
  AuthMethod,
  AuthMethodList,
  CreateAuthMethodInput,
  exampleAuthMethodBody,
  UpdateAuthMethodInput,
} from "@authpi/domain";
import { z } from "zod";
import { defineOperation } from "../operation.ts";
import { AUTH_METHOD_FORMS, AuthMethodForm } from "./auth-method-forms.ts";
import { EXAMPLE_ISSUER, EXAMPLE_TIME, IssuerId } from "./issuers.ts";

const MethodId = z.string().describe("The unique identifier of the authentication method (`am_` + ULID).");
const ListParams = z.object({ issuer_id: IssuerId });
const MethodParams = z.object({ issuer_id: IssuerId, method_id: MethodId });

const AUTH_METHODS = "/v1/accounts/{account_id}/issuers/{issuer_id}/auth-methods";
const AUTH_METHOD = `${AUTH_METHODS}/{method_id}` as const;

const createExample = exampleAuthMethodBody("oidc", "Google");
const EXAMPLE_METHOD = "am_01JDQ3S6A1B2C3D4E5F6G7H8J9";
const authMethodExample = AuthMethod.parse({
  object: "auth_method",
  id: EXAMPLE_METHOD,
  issuer_id: EXAMPLE_ISSUER,
  ...CreateAuthMethodInput.parse(createExample),
  secrets_set: ["client_secret"],
  created_at: EXAMPLE_TIME,
  updated_at: EXAMPLE_TIME,
  callback_url: `http://localhost:3000/oidc/${EXAMPLE_ISSUER}/callback/${EXAMPLE_METHOD}`,
});

const tag = "Auth Methods";

/** Secrets never come back: `settings` leaves them out and `secrets_set` names the ones that hold a value. */
export const authMethodOperations = {
  /** The form of each method type (fields, required and write-only keys), from the domain declarations. */
  forms: defineOperation({
    id: "listAuthMethodForms",
    method: "GET",
    access: "account",
    response: { status: 200, description: "The add-method forms", schema: z.array(AuthMethodForm) },
    handler: async () => [...AUTH_METHOD_FORMS],
  }),

  list: defineOperation({
    id: "listAuthMethods",
    method: "GET",
    path: AUTH_METHODS,
    access: "account",
    tag,
    summary: "List Auth Methods",
    description:
      "Lists all authentication methods of an issuer in creation order, in the list envelope " +
      "(`has_more` is always false). Secret settings are never returned; `secrets_set` names them.",
    params: ListParams,
    response: {
      status: 200,
      description: "Authentication methods retrieved successfully",
      schema: AuthMethodList,
      example: { object: "list", data: [authMethodExample], has_more: false, next_cursor: null },
    },
    errors: [404],
    handler: ({ params }, ctx) => ctx.services.authMethods.list(ctx.accountId, params.issuer_id),
  }),

  create: defineOperation({
    id: "createAuthMethod",
    method: "POST",
    path: AUTH_METHODS,
    access: "account",
    tag,
    summary: "Create Auth Method",
    description:
      "Creates an authentication method for an issuer. The body is one of thirteen variants, chosen by " +
      "`method`; each has its own `first_factor_only` rule and settings. Secret settings (`client_secret`, " +
      "`private_key`) are write-only.",
    params: ListParams,
    body: CreateAuthMethodInput,
    bodyExample: createExample,
    idempotent: true,
    response: {
      status: 201,
      description: "Authentication method created successfully",
      schema: AuthMethod,
      example: authMethodExample,
      etag: true,
    },
    errors: [404],
    handler: ({ params, body }, ctx) => ctx.services.authMethods.create(ctx.accountId, params.issuer_id, body),
  }),

  get: defineOperation({
    id: "getAuthMethod",
    method: "GET",
    path: AUTH_METHOD,
    access: "account",
    tag,
    summary: "Get Auth Method",
    description: "Retrieves an authentication method. Secret settings are not returned.",
    params: MethodParams,
    response: {
      status: 200,
      description: "Authentication method retrieved successfully",
      schema: AuthMethod,
      example: authMethodExample,
      etag: true,
    },
    errors: [404],
    handler: ({ params }, ctx) => ctx.services.authMethods.get(ctx.accountId, params.issuer_id, params.method_id),
  }),

  update: defineOperation({
    id: "updateAuthMethod",
    method: "PATCH",
    path: AUTH_METHOD,
    access: "account",
    tag,
    summary: "Update Auth Method",
    description:
      "Updates an authentication method; `settings` is a JSON merge patch (RFC 7396). `method`, " +
      "`first_factor_only` and a federated method's credentials cannot change: delete and re-create instead.",
    params: MethodParams,
    body: UpdateAuthMethodInput,
    bodyExample: { featured: true, settings: { scopes: ["openid", "email"] } },
    idempotent: true,
    response: {
      status: 200,
      description: "Authentication method updated successfully",
      schema: AuthMethod,
      example: { ...authMethodExample, featured: true },
      etag: true,
    },
    errors: [404, 412],
    handler: ({ params, body, ifMatch }, ctx) =>
      ctx.services.authMethods.update(ctx.accountId, params.issuer_id, params.method_id, body, { ifMatch }),
  }),

  delete: defineOperation({
    id: "deleteAuthMethod",
    method: "DELETE",
    path: AUTH_METHOD,
    access: "account",
    tag,
    summary: "Delete Auth Method",
    description:
      "Deletes an authentication method for good. To stop its use but keep its configuration, " +
      "PATCH `enabled_login: false` instead.",
    params: MethodParams,
    response: { status: 204, description: "No Content - The operation completed successfully with no response body." },
    errors: [400, 404, 412],
    handler: async ({ params, ifMatch }, ctx) => {
      await ctx.services.authMethods.delete(ctx.accountId, params.issuer_id, params.method_id, { ifMatch });
      return undefined;
    },
  }),
};
