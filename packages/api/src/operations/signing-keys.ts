import { RotateSigningKeyInput, SigningKeyList } from "@authpi/domain";
import { z } from "zod";
import { defineOperation } from "../operation.ts";
import { EXAMPLE_TIME, IssuerId } from "./issuers.ts";

const SIGNING_KEYS = "/v1/accounts/{account_id}/issuers/{issuer_id}/signing-keys";
const Params = z.object({ issuer_id: IssuerId });

const currentKey = {
  object: "signing_key" as const,
  id: "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
  alg: "RS256" as const,
  status: "current" as const,
  created_at: EXAMPLE_TIME,
  rotated_at: null,
  retire_after: null,
};

const tag = "Signing Keys";

/** An issuer's token signing keys (api-contract §7 "Keys"); the private halves never leave the server. */
export const signingKeyOperations = {
  list: defineOperation({
    id: "listSigningKeys",
    method: "GET",
    path: SIGNING_KEYS,
    access: "account",
    tag,
    summary: "List Signing Keys",
    description:
      "Lists the keys the issuer's OpenID Provider publishes in its JWKS: the current one, and after a " +
      "rotation the previous one until every token it signed has expired. The first key (RS256) is created " +
      "on first use.",
    params: Params,
    response: {
      status: 200,
      description: "Signing keys retrieved successfully",
      schema: SigningKeyList,
      example: { object: "list", data: [currentKey] },
    },
    errors: [404],
    handler: ({ params }, ctx) => ctx.services.oidc.signingKeys.list(ctx.accountId, params.issuer_id),
  }),

  rotate: defineOperation({
    id: "rotateSigningKey",
    method: "POST",
    path: `${SIGNING_KEYS}/rotate`,
    access: "account",
    tag,
    summary: "Rotate Signing Key",
    description:
      "Creates a new current key; the one before becomes `previous` and stays in the JWKS until every token " +
      "it signed has expired (`retire_after`). Tokens signed before keep verifying; new ones carry the new `kid`.",
    params: Params,
    body: RotateSigningKeyInput,
    bodyExample: { alg: "RS256" },
    idempotent: true,
    response: {
      status: 200,
      description: "The keys after the rotation",
      schema: SigningKeyList,
      example: {
        object: "list",
        data: [
          { ...currentKey, id: "b3Qc2o8wJxg1Vd0mEo9yU6sTqRkP1nLhA4fWzXcYv2E", created_at: EXAMPLE_TIME },
          { ...currentKey, status: "previous", rotated_at: EXAMPLE_TIME, retire_after: "2026-11-28T22:41:00.000Z" },
        ],
      },
    },
    errors: [404],
    handler: ({ params, body }, ctx) =>
      ctx.services.oidc.signingKeys.rotate(ctx.accountId, params.issuer_id, { alg: body.alg }),
  }),
};
