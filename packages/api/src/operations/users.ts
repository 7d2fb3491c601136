import {
  CreateUserInput,
  ListUsersQuery,
  UpdateUserInput,
  User,
  UserList,
  type UserWithTemporaryPassword,
  UserWithTemporaryPassword as UserWithTemporaryPasswordSchema,
} from "@authpi/domain";
import { z } from "zod";
import { defineOperation } from "../operation.ts";
import { EXAMPLE_ISSUER, EXAMPLE_TIME, IssuerId } from "./issuers.ts";

const UserId = z.string().describe("The unique identifier of the user (`usr_` + ULID), also the `sub` of its tokens.");
const FactorId = z.string().describe("The unique identifier of the factor (`fac_` + ULID).");
const ListParams = z.object({ issuer_id: IssuerId });
const UserParams = z.object({ issuer_id: IssuerId, user_id: UserId });
const FactorParams = z.object({ issuer_id: IssuerId, user_id: UserId, factor_id: FactorId });

const USERS = "/v1/accounts/{account_id}/issuers/{issuer_id}/users";
const USER = `${USERS}/{user_id}` as const;

const userExample = User.parse({
  object: "user",
  id: "usr_01JDQ3S8C3D4E5F6G7H8J9K0M1",
  issuer_id: EXAMPLE_ISSUER,
  email: "ada@example.com",
  email_verified: true,
  phone_number: null,
  phone_verified: false,
  name: "Ada Lovelace",
  given_name: "Ada",
  family_name: "Lovelace",
  picture: null,
  status: "active",
  password_set: true,
  temporary_password_expires_at: null,
  factors: [
    {
      id: "fac_01JDQ3S9D4E5F6G7H8J9K0M1N2",
      type: "totp",
      name: "Authenticator app",
      created_at: EXAMPLE_TIME,
      last_used_at: null,
    },
  ],
  identities: [],
  metadata: {},
  created_at: EXAMPLE_TIME,
  updated_at: EXAMPLE_TIME,
  last_sign_in_at: null,
});
const createExample = {
  email: "ada@example.com",
  name: "Ada Lovelace",
  given_name: "Ada",
  family_name: "Lovelace",
  password: "correct horse battery staple",
};

/** A generated temporary password is answered once; an idempotent replay answers null in its place. */
const withoutTemporaryPassword = (value: UserWithTemporaryPassword) =>
  value.temporary_password === undefined ? value : { ...value, temporary_password: null };

const tag = "Users";
const NO_CONTENT = "No Content - The operation completed successfully with no response body.";

export const userOperations = {
  list: defineOperation({
    id: "listUsers",
    method: "GET",
    path: USERS,
    access: "account",
    tag,
    summary: "List Users",
    description:
      "Lists an issuer's users, newest first, with keyset pagination; `email` finds one user by email " +
      "(exact, case-insensitive), `status` keeps one status.",
    params: ListParams,
    query: ListUsersQuery,
    response: {
      status: 200,
      description: "Users retrieved successfully",
      schema: UserList,
      example: { object: "list", data: [userExample], has_more: false, next_cursor: null },
    },
    errors: [400, 404],
    handler: ({ params, query }, ctx) => ctx.services.users.list(ctx.accountId, params.issuer_id, query),
  }),

  create: defineOperation({
    id: "createUser",
    method: "POST",
    path: USERS,
    access: "account",
    tag,
    summary: "Create User",
    description:
      "Creates a user in the issuer's pool. An email or a phone number is required; each is unique per issuer " +
      "(emails case-insensitively). `password` must satisfy the issuer's password auth method (400 " +
      "`weak_password` naming the `rule`) and is stored as an argon2id hash, never returned. " +
      "`temporary_password: true` generates one, returned this once as `temporary_password`.",
    params: ListParams,
    body: CreateUserInput,
    bodyExample: createExample,
    idempotent: true,
    replayValue: withoutTemporaryPassword,
    response: {
      status: 201,
      description: "User created successfully",
      schema: UserWithTemporaryPasswordSchema,
      example: userExample,
      etag: true,
    },
    errors: [404, 409],
    handler: ({ params, body }, ctx) => ctx.services.users.create(ctx.accountId, params.issuer_id, body),
  }),

  get: defineOperation({
    id: "getUser",
    method: "GET",
    path: USER,
    access: "account",
    tag,
    summary: "Get User",
    description: "Retrieves a user with its enrolled factors and linked identities; `password_set`, never a password.",
    params: UserParams,
    response: {
      status: 200,
      description: "User retrieved successfully",
      schema: User,
      example: userExample,
      etag: true,
    },
    errors: [404],
    handler: ({ params }, ctx) => ctx.services.users.get(ctx.accountId, params.issuer_id, params.user_id),
  }),

  update: defineOperation({
    id: "updateUser",
    method: "PATCH",
    path: USER,
    access: "account",
    tag,
    summary: "Update User",
    description:
      "Updates a user: fields replace, `metadata` is a JSON merge patch. `status: blocked` stops sign-in and " +
      "revokes the user's sessions and tokens. A new `password` is checked against the issuer's password " +
      "method, including `history_count`.",
    params: UserParams,
    body: UpdateUserInput,
    bodyExample: { status: "blocked" },
    idempotent: true,
    replayValue: withoutTemporaryPassword,
    response: {
      status: 200,
      description: "User updated successfully",
      schema: UserWithTemporaryPasswordSchema,
      example: { ...userExample, status: "blocked" },
      etag: true,
    },
    errors: [404, 409, 412],
    handler: ({ params, body, ifMatch }, ctx) =>
      ctx.services.users.update(ctx.accountId, params.issuer_id, params.user_id, body, { ifMatch }),
  }),

  delete: defineOperation({
    id: "deleteUser",
    method: "DELETE",
    path: USER,
    access: "account",
    tag,
    summary: "Delete User",
    description: "Deletes a user for good, with their sessions, grants, tokens, factors and identities.",
    params: UserParams,
    response: { status: 204, description: NO_CONTENT },
    errors: [404, 412],
    handler: async ({ params, ifMatch }, ctx) => {
      await ctx.services.users.delete(ctx.accountId, params.issuer_id, params.user_id, { ifMatch });
      return undefined;
    },
  }),

  removeFactor: defineOperation({
    id: "deleteUserFactor",
    method: "DELETE",
    path: `${USER}/factors/{factor_id}`,
    access: "account",
    tag,
    summary: "Remove User Factor",
    description: "Removes one enrolled second factor (a lost phone). `If-Match` is the user's ETag, which changes.",
    params: FactorParams,
    response: { status: 204, description: NO_CONTENT },
    errors: [404, 412],
    handler: async ({ params, ifMatch }, ctx) => {
      await ctx.services.users.removeFactor(ctx.accountId, params.issuer_id, params.user_id, params.factor_id, {
        ifMatch,
      });
      return undefined;
    },
  }),

  revokeSessions: defineOperation({
    id: "deleteUserSessions",
    method: "DELETE",
    path: `${USER}/sessions`,
    access: "account",
    tag,
    summary: "Sign User Out Everywhere",
    description: "Ends every session of the user and revokes every refresh token; they can sign in again.",
    params: UserParams,
    response: { status: 204, description: NO_CONTENT },
    errors: [404, 412],
    handler: async ({ params, ifMatch }, ctx) => {
      await ctx.services.users.revokeSessions(ctx.accountId, params.issuer_id, params.user_id, { ifMatch });
      return undefined;
    },
  }),
};
