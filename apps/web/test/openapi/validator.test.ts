import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { buildDocument } from "../../src/openapi/document.ts";
import { type ApiHarness, apiHarness } from "../harness.ts";
import { createResponseValidator, type RecordedResponse } from "../openapi-validator.ts";

const validator = createResponseValidator();
const ISSUER_URL =
  "http://127.0.0.1/v1/accounts/acct_01JDQ3S4V6W8X9Y0Z1A2B3C4D5/issuers/iss_01JDQ3S5M2N3P4Q5R6S7T8V9W0";

const RATE_LIMIT = { "ratelimit-policy": '"default";q=200;w=1', ratelimit: '"default";r=199;t=1' };

function recorded(overrides: Partial<RecordedResponse> & { body?: unknown }): RecordedResponse {
  const { body, ...rest } = overrides;
  return {
    method: "GET",
    url: ISSUER_URL,
    status: 200,
    headers: new Headers({ ...RATE_LIMIT, "content-type": "application/json", "request-id": "req_1", etag: '"v1"' }),
    text: body === undefined ? "" : JSON.stringify(body),
    ...rest,
  };
}

describe("the response validator", () => {
  let api: ApiHarness;
  let issuer: Record<string, unknown>;
  beforeAll(async () => {
    api = await apiHarness();
    issuer = (await api.request("POST", "/issuers", { body: { name: "Validator" } })).body;
  });
  afterAll(() => api.close());

  test("accepts a real response", () => {
    expect(validator.check(recorded({ body: issuer }))).toEqual([]);
  });

  test("refuses a deliberately wrong body shape", () => {
    const problems = validator.check(recorded({ body: { ...issuer, name: 42, leaked_secret: "x" } }));
    expect(problems.join("\n")).toMatch(/body\/name must be string/);
    expect(problems.join("\n")).toMatch(/must NOT have additional properties/);
    expect(() => validator.assert(recorded({ body: { ...issuer, settings: {} } }))).toThrow(/disagrees/);
  });

  test("refuses a status the operation does not list", () => {
    expect(validator.check(recorded({ status: 418, body: issuer }))).toEqual([
      expect.stringMatching(/status 418 is not listed for getIssuer/),
    ]);
  });

  test("refuses a response without a required header", () => {
    const headers = new Headers({ ...RATE_LIMIT, "content-type": "application/json", etag: '"v1"' });
    expect(validator.check(recorded({ headers, body: issuer }))).toEqual([
      expect.stringMatching(/required header Request-Id is missing/),
    ]);
  });

  test("refuses an error body that is not an ApiError", () => {
    const problems = validator.check(recorded({ status: 404, body: { message: "not found" } }));
    expect(problems.join("\n")).toMatch(/must have required property 'error'/);
  });

  test("the harness runs it on every response: a wrong document fails a real request", async () => {
    // The same API, checked against a document whose Issuer demands a field the API never sends.
    const document = structuredClone(buildDocument()) as any;
    const schema = document.components.schemas.Issuer;
    schema.properties.nickname = { type: "string" };
    schema.required.push("nickname");
    const strict = await apiHarness({ validator: createResponseValidator(document) });
    try {
      await expect(strict.request("POST", "/issuers", { body: { name: "Wrong shape" } })).rejects.toThrow(
        /body must have required property 'nickname'/,
      );
    } finally {
      await strict.close();
    }
  });
});
