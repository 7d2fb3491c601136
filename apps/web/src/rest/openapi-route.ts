import type { AnyOperation } from "@authpi/api";
import { buildDocument } from "../openapi/document.ts";

let document: ReturnType<typeof buildDocument> | undefined;

/**
 * `GET /v1/openapi.json`: the OpenAPI 3.1 document, public (no API key, counted
 * per client IP), built once per process. An operation of the REST door only,
 * and not part of the document it serves.
 */
export const openapiOperation: AnyOperation = {
  id: "getOpenApiDocument",
  method: "GET",
  path: "/v1/openapi.json",
  access: "public",
  response: { status: 200, description: "The OpenAPI document", headers: { "cache-control": "public, max-age=300" } },
  handler: async () => {
    document ??= buildDocument();
    return document;
  },
};
