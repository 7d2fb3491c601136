import createClient, { type Client } from "openapi-fetch";
import type { components, operations, paths } from "./generated/schema";

export type { components, operations, paths };

export type Issuer = components["schemas"]["Issuer"];
export type IssuerList = components["schemas"]["IssuerList"];
export type CreateIssuerRequest = components["schemas"]["CreateIssuerRequest"];
export type UpdateIssuerRequest = components["schemas"]["UpdateIssuerRequest"];
export type ApiError = components["schemas"]["ApiError"];

export type AuthpiClient = Client<paths>;

export interface AuthpiClientOptions {
  /** e.g. `https://api.authpi.com` or `http://localhost:3000` (no trailing `/v1`). */
  baseUrl: string;
  /** An API key of the account, `sk_…`. */
  apiKey: string;
  /** A custom fetch (tests, proxies); defaults to the global one. */
  fetch?: typeof globalThis.fetch;
}

/**
 * A typed client for the AuthPI control-plane API: paths, parameters, bodies and
 * responses are checked against the OpenAPI document at compile time.
 *
 * ```ts
 * const authpi = createAuthpiClient({ baseUrl, apiKey });
 * const { data, error } = await authpi.POST("/v1/accounts/{account_id}/issuers", {
 *   params: { path: { account_id } },
 *   body: { name: "Production" },
 * });
 * ```
 */
export function createAuthpiClient(options: AuthpiClientOptions): AuthpiClient {
  return createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    headers: { authorization: `Bearer ${options.apiKey}` },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}
