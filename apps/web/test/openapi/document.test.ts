import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { renderTypes, TYPES_FILE } from "@authpi/client/generate";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { OPENAPI_FILE } from "../../scripts/write-openapi.ts";
import { buildDocument, documentJson } from "../../src/openapi/document.ts";
import { routes } from "../../src/rest/handler.ts";
import { type ApiHarness, apiHarness } from "../harness.ts";

const METHODS = ["get", "post", "put", "patch", "delete"] as const;

function documentOperations(document: ReturnType<typeof buildDocument>): string[] {
  const found: string[] = [];
  for (const [template, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item?.[method];
      if (operation) found.push(`${method.toUpperCase()} ${template} ${operation.operationId}`);
    }
  }
  return found.sort();
}

describe("the OpenAPI document", () => {
  test("has exactly the route table's operations (method, path, operationId)", () => {
    const fromRoutes = routes
      .filter((route) => !route.public)
      .map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, "{$1}")} ${route.operationId}`)
      .sort();
    expect(documentOperations(buildDocument())).toEqual(fromRoutes);
  });

  test("is OpenAPI 3.1 with the bearer scheme required on every operation", () => {
    const document = buildDocument();
    expect(document.openapi).toBe("3.1.0");
    expect(document.components?.securitySchemes?.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    expect(document.security).toEqual([{ bearerAuth: [] }]);
  });

  test("the auth-method create body is a oneOf of 13 variants with a discriminator on method", () => {
    const document = buildDocument() as any;
    const operation = document.paths["/v1/accounts/{account_id}/issuers/{issuer_id}/auth-methods"].post;
    const ref = operation.requestBody.content["application/json"].schema.$ref;
    const schema = document.components.schemas[ref.split("/").at(-1)];
    expect(schema.oneOf).toHaveLength(13);
    expect(schema.discriminator.propertyName).toBe("method");
    expect(schema.discriminator.mapping.oidc).toBe("#/components/schemas/CreateOidcAuthMethod");
  });

  test("every operation has a description, an example, and lists the headers of the contract", () => {
    const document = buildDocument() as any;
    for (const item of Object.values<any>(document.paths)) {
      for (const method of METHODS) {
        const operation = item[method];
        if (!operation) continue;
        expect(operation.description, operation.operationId).toBeTruthy();
        const [status, success] = Object.entries<any>(operation.responses)[0] ?? [];
        expect(Number(status)).toBeLessThan(300);
        expect(Object.keys(success.headers)).toEqual(
          expect.arrayContaining(["Request-Id", "RateLimit-Policy", "RateLimit"]),
        );
        if (success.content) expect(success.content["application/json"].example, operation.operationId).toBeDefined();
        expect(operation.responses["429"].headers["Retry-After"].required).toBe(true);
        const headers = (operation.parameters ?? []).filter((p: any) => p.in === "header").map((p: any) => p.name);
        if (method === "post") expect(headers).toContain("Idempotency-Key");
        if (method === "patch") expect(headers).toEqual(expect.arrayContaining(["If-Match", "Idempotency-Key"]));
        if (method === "delete") expect(headers).toContain("If-Match");
      }
    }
  });

  test("the committed openapi.json is up to date (run `pnpm openapi`)", async () => {
    expect(await readFile(OPENAPI_FILE, "utf8")).toBe(documentJson());
  });

  test("the committed client types are up to date (run `pnpm openapi`)", async () => {
    expect(await readFile(TYPES_FILE, "utf8")).toBe(await renderTypes(documentJson()));
  });

  test("passes `redocly lint` with zero errors and zero warnings", () => {
    const cwd = path.join(import.meta.dirname, "..", "..");
    const result = spawnSync("pnpm", ["exec", "redocly", "lint", OPENAPI_FILE, "--format=json"], {
      cwd,
      encoding: "utf8",
      env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
      timeout: 60_000,
    });
    const report = JSON.parse(result.stdout.slice(result.stdout.indexOf("{")));
    expect(report.totals, JSON.stringify(report.problems, null, 2)).toMatchObject({ errors: 0, warnings: 0 });
    expect(result.status).toBe(0);
  });
});

describe("GET /v1/openapi.json", () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await apiHarness();
  });
  afterAll(() => api.close());

  test("serves the document without an API key", async () => {
    const response = await api.request("GET", "/v1/openapi.json", { apiKey: null });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(response.body).toEqual(JSON.parse(documentJson()));
    expect(response.body.openapi).toBe("3.1.0");
  });

  test("documents the ten operations of the spec, clients and users, events and the issuer's signing keys", async () => {
    const response = await api.request("GET", "/v1/openapi.json", { apiKey: null });
    expect(
      documentOperations(response.body)
        .map((line) => line.split(" ").at(-1))
        .sort(),
    ).toEqual(
      [
        "listIssuers",
        "createIssuer",
        "getIssuer",
        "updateIssuer",
        "deleteIssuer",
        "listAuthMethods",
        "createAuthMethod",
        "getAuthMethod",
        "updateAuthMethod",
        "deleteAuthMethod",
        "listClients",
        "createClient",
        "getClient",
        "updateClient",
        "deleteClient",
        "rotateClientSecret",
        "listUsers",
        "createUser",
        "getUser",
        "updateUser",
        "deleteUser",
        "deleteUserFactor",
        "deleteUserSessions",
        "listEvents",
        "listSigningKeys",
        "rotateSigningKey",
      ].sort(),
    );
  });
});
