import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { buildDocument } from "../src/openapi/document.ts";

/*
 * Checks a real HTTP response against the OpenAPI document: the status is one the
 * operation lists, every required header is present (and matches its schema), and
 * the body matches the response's schema. The integration harness runs it on every
 * response it receives, so the document and the behaviour cannot disagree unnoticed.
 */

// ajv-formats is CommonJS; under ESM its function sits on `default`.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ??
  addFormatsModule) as typeof addFormatsModule;

type Json = Record<string, any>;

export interface RecordedResponse {
  method: string;
  /** The request URL (absolute) or its path. */
  url: string;
  status: number;
  headers: Headers;
  /** The raw body text. */
  text: string;
}

export interface ResponseValidator {
  /** Every way the response disagrees with the document; empty when it conforms. */
  check(response: RecordedResponse): string[];
  /** Throws with every disagreement listed. */
  assert(response: RecordedResponse): void;
}

interface CompiledOperation {
  operationId: string;
  method: string;
  pattern: RegExp;
  responses: Json;
}

const METHODS = ["get", "post", "patch", "put", "delete"];

function pathPattern(template: string): RegExp {
  const source = template
    .split("/")
    .map((segment) =>
      segment.startsWith("{") && segment.endsWith("}") ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
    )
    .join("/");
  return new RegExp(`^${source}$`);
}

function pointer(...parts: string[]): string {
  return parts.map((p) => p.replaceAll("~", "~0").replaceAll("/", "~1")).join("/");
}

export function createResponseValidator(document: Json = buildDocument() as Json): ResponseValidator {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  // The whole document is one schema resource, so `#/components/schemas/…` refs resolve in it.
  ajv.addSchema({ ...document, $id: "openapi.json" });

  const operations: CompiledOperation[] = [];
  for (const [template, item] of Object.entries<Json>(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item[method] as Json | undefined;
      if (!operation) continue;
      operations.push({
        operationId: String(operation.operationId),
        method: method.toUpperCase(),
        pattern: pathPattern(template),
        responses: operation.responses ?? {},
      });
    }
  }

  const validators = new Map<string, ValidateFunction>();
  function schemaValidator(ref: string): ValidateFunction {
    let validate = validators.get(ref);
    if (!validate) {
      validate = ajv.compile({ $ref: `openapi.json#/${ref}` });
      validators.set(ref, validate);
    }
    return validate;
  }

  const headerValidators = new WeakMap<object, ValidateFunction>();

  function resolve(value: Json): Json {
    if (typeof value?.$ref === "string" && value.$ref.startsWith("#/")) {
      let target: any = document;
      for (const part of value.$ref.slice(2).split("/")) {
        target = target?.[part.replaceAll("~1", "/").replaceAll("~0", "~")];
      }
      return target as Json;
    }
    return value;
  }

  function check(response: RecordedResponse): string[] {
    const url = new URL(response.url, "http://localhost");
    const method = response.method.toUpperCase() === "HEAD" ? "GET" : response.method.toUpperCase();
    const sameMethod = operations.filter((op) => op.pattern.test(url.pathname) && op.method === method);
    const operation = sameMethod[0];
    const where = `${response.method} ${url.pathname} → ${response.status}`;
    const problems: string[] = [];

    let body: unknown;
    if (response.text !== "") {
      try {
        body = JSON.parse(response.text);
      } catch {
        problems.push(`${where}: body is not JSON`);
        return problems;
      }
    }

    if (!operation) {
      // Not an operation of the document (unknown path, wrong method, the document itself):
      // an error must still be an ApiError with a Request-Id.
      if (url.pathname === "/v1/openapi.json" && response.status === 200) return problems;
      if (response.status < 400) return [`${where}: no operation of the document answers this`];
      if (!response.headers.get("request-id")) problems.push(`${where}: header Request-Id is missing`);
      const validate = schemaValidator(pointer("components", "schemas", "ApiError"));
      if (!validate(body)) problems.push(`${where}: body: ${ajv.errorsText(validate.errors, { dataVar: "body" })}`);
      return problems;
    }

    const status = String(response.status);
    const declared = operation.responses[status] ?? operation.responses.default;
    if (!declared) {
      return [`${where}: status ${status} is not listed for ${operation.operationId}`];
    }
    const key = operation.responses[status] ? status : "default";
    const responseObject = resolve(declared);

    for (const [name, headerDecl] of Object.entries<Json>(responseObject.headers ?? {})) {
      const header = resolve(headerDecl);
      const value = response.headers.get(name);
      if (value === null) {
        if (header.required) problems.push(`${where}: required header ${name} is missing`);
        continue;
      }
      if (header.schema) {
        let validate = headerValidators.get(header.schema);
        if (!validate) {
          validate = ajv.compile(header.schema);
          headerValidators.set(header.schema, validate);
        }
        if (!validate(value)) {
          problems.push(`${where}: header ${name}: ${ajv.errorsText(validate.errors, { dataVar: name })}`);
        }
      }
    }

    const content = responseObject.content as Json | undefined;
    const json = content?.["application/json"] as Json | undefined;
    if (!json) {
      if (response.text !== "") problems.push(`${where}: the document declares no body, but one was sent`);
      return problems;
    }
    if (response.method.toUpperCase() === "HEAD") return problems;
    const contentType = response.headers.get("content-type") ?? "";
    if (!contentType.startsWith("application/json")) {
      problems.push(`${where}: content-type is ${JSON.stringify(contentType)}, not application/json`);
    }
    const path = ["paths", ...pathOf(document, operation), "responses", key, "content", "application/json", "schema"];
    const validate = schemaValidator(pointer(...path));
    if (!validate(body)) {
      problems.push(`${where}: body: ${ajv.errorsText(validate.errors, { dataVar: "body" })}`);
    }
    return problems;
  }

  return {
    check,
    assert(response) {
      const problems = check(response);
      if (problems.length > 0) {
        throw new Error(`The response disagrees with the OpenAPI document:\n- ${problems.join("\n- ")}`);
      }
    },
  };
}

/** The path template and method key under `paths` of an operation. */
function pathOf(document: Json, operation: CompiledOperation): [string, string] {
  for (const [template, item] of Object.entries<Json>(document.paths ?? {})) {
    if (item[operation.method.toLowerCase()]?.operationId === operation.operationId) {
      return [template, operation.method.toLowerCase()];
    }
  }
  throw new Error(`operation ${operation.operationId} not found`);
}
