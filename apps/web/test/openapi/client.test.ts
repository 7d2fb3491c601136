import { type AuthpiClient, createAuthpiClient } from "@authpi/client";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type ApiHarness, apiHarness } from "../harness.ts";
import { createResponseValidator } from "../openapi-validator.ts";

let api: ApiHarness;
let authpi: AuthpiClient;
let account_id: string;
const validator = createResponseValidator();

beforeAll(async () => {
  api = await apiHarness();
  account_id = api.account.accountId;
  authpi = createAuthpiClient({
    baseUrl: api.baseUrl,
    apiKey: api.account.apiKey,
    // The client's traffic is checked against the document like the harness's own.
    fetch: async (input) => {
      const request = input instanceof Request ? input : new Request(input);
      const response = await fetch(request);
      const text = await response.clone().text();
      validator.assert({
        method: request.method,
        url: request.url,
        status: response.status,
        headers: response.headers,
        text,
      });
      return response;
    },
  });
});
afterAll(() => api.close());

test("the typed client creates, lists, updates and deletes an issuer and an auth method", async () => {
  const created = await authpi.POST("/v1/accounts/{account_id}/issuers", {
    params: { path: { account_id } },
    body: { name: "Typed client", metadata: { team: "sdk" } },
  });
  expect(created.response.status).toBe(201);
  const issuer = created.data;
  if (!issuer) throw new Error(JSON.stringify(created.error));
  expect(issuer.settings.session.lifetime_seconds).toBe(1_209_600);
  const issuer_id = issuer.id;

  const listed = await authpi.GET("/v1/accounts/{account_id}/issuers", {
    params: { path: { account_id }, query: { limit: 10 } },
  });
  expect(listed.data?.data.map((i) => i.id)).toContain(issuer_id);

  const etag = created.response.headers.get("etag") ?? "";
  const updated = await authpi.PATCH("/v1/accounts/{account_id}/issuers/{issuer_id}", {
    params: { path: { account_id, issuer_id }, header: { "If-Match": etag } },
    body: { name: "Typed client (renamed)", settings: { mfa: { policy: "required" } } },
  });
  expect(updated.data?.name).toBe("Typed client (renamed)");
  expect(updated.data?.settings.mfa.policy).toBe("required");

  const method = await authpi.POST("/v1/accounts/{account_id}/issuers/{issuer_id}/auth-methods", {
    params: { path: { account_id, issuer_id } },
    body: {
      name: "Google",
      method: "oidc",
      first_factor_only: true,
      settings: { issuer_url: "https://accounts.example.com", client_id: "cid", client_secret: "typed-client-secret" },
    },
  });
  expect(method.response.status).toBe(201);
  const authMethod = method.data;
  if (!authMethod) throw new Error(JSON.stringify(method.error));
  expect(authMethod.method).toBe("oidc");
  expect(authMethod.secrets_set).toEqual(["client_secret"]);
  expect(JSON.stringify(authMethod)).not.toContain("typed-client-secret");
  const method_id = authMethod.id;

  const methods = await authpi.GET("/v1/accounts/{account_id}/issuers/{issuer_id}/auth-methods", {
    params: { path: { account_id, issuer_id } },
  });
  expect(methods.data?.data.map((m) => m.id)).toEqual([method_id]);

  const patched = await authpi.PATCH("/v1/accounts/{account_id}/issuers/{issuer_id}/auth-methods/{method_id}", {
    params: { path: { account_id, issuer_id, method_id } },
    body: { featured: true, enabled_signup: false },
  });
  expect(patched.data).toMatchObject({ featured: true, enabled_signup: false });

  const deletedMethod = await authpi.DELETE("/v1/accounts/{account_id}/issuers/{issuer_id}/auth-methods/{method_id}", {
    params: { path: { account_id, issuer_id, method_id } },
  });
  expect(deletedMethod.response.status).toBe(204);
  const gone = await authpi.GET("/v1/accounts/{account_id}/issuers/{issuer_id}/auth-methods/{method_id}", {
    params: { path: { account_id, issuer_id, method_id } },
  });
  expect(gone.response.status).toBe(404);
  expect(gone.error?.error.code).toBe("resource_missing");

  const deleted = await authpi.DELETE("/v1/accounts/{account_id}/issuers/{issuer_id}", {
    params: { path: { account_id, issuer_id } },
  });
  expect(deleted.response.status).toBe(204);
  const after = await authpi.GET("/v1/accounts/{account_id}/issuers/{issuer_id}", {
    params: { path: { account_id, issuer_id } },
  });
  expect(after.data?.status).toBe("deleted");
});

test("errors come back typed as ApiError", async () => {
  const bad = await authpi.POST("/v1/accounts/{account_id}/issuers", {
    params: { path: { account_id } },
    body: { name: "" },
  });
  expect(bad.response.status).toBe(400);
  expect(bad.error?.error).toMatchObject({ type: "invalid_request_error", code: "validation_failed", param: "name" });
});
