import { type ApiHarness, apiHarness } from "../harness.ts";

/** The API harness (every response checked against the OpenAPI document) for auth method tests. */
export function authMethodHarness(): Promise<ApiHarness> {
  return apiHarness();
}

export async function newIssuer(api: ApiHarness, name = "Issuer"): Promise<string> {
  const res = await api.request("POST", "/issuers", { body: { name } });
  if (res.status !== 201) throw new Error(`creating an issuer answered ${res.status}: ${res.text}`);
  return res.body.id as string;
}
