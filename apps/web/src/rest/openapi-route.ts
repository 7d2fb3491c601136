import { buildDocument } from "../openapi/document.ts";
import type { Route } from "./router.ts";

let document: ReturnType<typeof buildDocument> | undefined;

/** `GET /v1/openapi.json`: the OpenAPI 3.1 document, public (no API key), built once per process. */
export const openapiRoute: Route = {
  method: "GET",
  path: "/v1/openapi.json",
  operationId: "getOpenApiDocument",
  public: true,
  async handle() {
    document ??= buildDocument();
    return { status: 200, body: document, headers: { "cache-control": "public, max-age=300" } };
  },
};
