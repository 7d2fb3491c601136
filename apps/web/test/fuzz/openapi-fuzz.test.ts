import { Agent, request as httpRequest } from "node:http";
import { type AnyOperation, resources, takesIfMatch, trpcBodyField, trpcParamNames } from "@authpi/api";
import { assertJsonBodySafe, exampleAuthMethodBody } from "@authpi/domain";
import { appRouter } from "@authpi/trpc";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { z } from "zod";
import { TRPC_ENDPOINT } from "../../src/trpc-server.ts";
import { createResponseValidator, type ResponseValidator } from "../openapi-validator.ts";
import {
  bodyText,
  encodeComponent,
  fromSchema,
  headerValue,
  hostile,
  hostileSegment,
  hostileValue,
  serializeBody,
} from "./arbitraries.ts";
import { type Doors, openDoors, Pools, runAll } from "./doors.ts";

/*
 * Issue 9's acceptance: requests generated from the served OpenAPI document
 * (and, for tRPC, from each procedure's own input schema) — valid ones,
 * mutated ones and hostile ones — sent over real HTTP through each door. No
 * answer may be a 5xx; every REST error has the contract's shape and every
 * answer matches the document; every tRPC error carries a domain code or a
 * documented tRPC code. Reproducible: a fixed seed (FUZZ_SEED overrides it)
 * and a fixed count per door. The cost is the server's (≈ 3 ms of CPU per
 * request, client and server in this one process): ≈ 40 s of CPU for the file,
 * so its wall time depends on what else the machine runs; the timeouts leave
 * room for a loaded machine rather than cut the count.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_201);
const RUNS_PER_DOOR = 5_000;
const CONCURRENCY = 6;

type Json = Record<string, any>;

interface Failure {
  door: "rest" | "trpc";
  /** The input holds something the domain's body check refuses (NUL, lone surrogate, 1e309, reserved key). */
  unsafeInput: boolean;
  /** contract: a 5xx, a malformed error, a leak; document: the answer disagrees with the served document. */
  kind: "contract" | "document";
  index: number;
  request: string;
  status: number;
  problem: string;
  body: string;
}

let doors: Doors;
let document: Json;
let validator: ResponseValidator;
const pools = new Pools();
const failures: Failure[] = [];
const statuses = { rest: new Map<number, number>(), trpc: new Map<number, number>() };

/**
 * fetch, once more after a pause when the answer is the outage 503: on a
 * machine loaded by other work the pool can time out connecting (2 s), which
 * says nothing about the input. A 5xx that a retry does not clear fails.
 */
async function send(url: string, init: RequestInit): Promise<Response> {
  const response = await sendOnce(url, init);
  if (response.status !== 503) return response;
  const text = await response.text();
  if (!text.includes("database_unavailable")) return new Response(text, response);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return sendOnce(url, init);
}

/** A `.` or `..` segment, which fetch (the WHATWG URL parser) would resolve before sending. */
const DOT_SEGMENT = /\/\.{1,2}(?=[/?]|$)/;

/**
 * fetch, except that a path with dot segments goes out as written (node:http),
 * as a user's curl --path-as-is or a hostile client sends it: the server must
 * judge the raw path, not the one a well-behaved client would have resolved.
 */
function sendOnce(url: string, init: RequestInit): Promise<Response> {
  const path = url.slice(doors.baseUrl.length);
  if (!url.startsWith(doors.baseUrl) || !DOT_SEGMENT.test(path)) return fetch(url, init);
  const { hostname, port } = new URL(doors.baseUrl);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { hostname, port, path, method: init.method, headers: init.headers as Record<string, string>, agent: rawAgent },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            for (const item of [value ?? []].flat()) headers.append(name, item);
          }
          const status = response.statusCode ?? 0;
          const body = status === 204 || status === 304 ? null : Buffer.concat(chunks);
          resolve(new Response(body, { status, headers }));
        });
      },
    );
    request.on("error", reject);
    request.end(typeof init.body === "string" ? init.body : undefined);
  });
}

const rawAgent = new Agent({ keepAlive: true });

/** Why the domain's body check refuses this JSON text (as a server parses it), or null. */
function refusedByBodyCheck(text: string | undefined): string | null {
  if (text === undefined) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  try {
    assertJsonBodySafe(value);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

function count(door: "rest" | "trpc", status: number) {
  statuses[door].set(status, (statuses[door].get(status) ?? 0) + 1);
}

function short(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text;
}

/** What no answer, of either door, may ever carry. */
function leaks(text: string): string | undefined {
  if (text.includes(doors.account.apiKey) || text.includes(doors.other.apiKey)) return "an API key";
  // A PEM with content (a validation message may name the "-----BEGIN PRIVATE KEY-----" marker).
  if (/PRIVATE KEY-----(\\r|\\n|\r|\n)+[A-Za-z0-9+/=]{16}/.test(text)) return "a private key";
  if (/\bat [\w$.<>]+ \(|node_modules|\.ts:\d+|prisma\.|invalid input syntax|violates|SQLSTATE/i.test(text)) {
    return "a stack trace or database error";
  }
  return undefined;
}

beforeAll(async () => {
  doors = await openDoors();
  const served = await fetch(`${doors.baseUrl}/v1/openapi.json`);
  expect(served.status).toBe(200);
  document = (await served.json()) as Json;
  validator = createResponseValidator(document);

  // Something for the generated ids to point at: issuers (one deleted), auth methods, an API key.
  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${doors.baseUrl}/v1/accounts/${doors.account.accountId}${path}`, {
      method,
      headers: { authorization: `Bearer ${doors.account.apiKey}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  for (const name of ["Fuzz A", "Fuzz B", "Fuzz C", "Fuzz D"]) {
    const res = await api("POST", "/issuers", { name });
    pools.learn(await res.json(), res.headers.get("etag"));
  }
  for (const method of ["oidc", "passkey", "password", "github"] as const) {
    const res = await api("POST", `/issuers/${pools.issuers[0]}/auth-methods`, exampleAuthMethodBody(method));
    pools.learn(await res.json(), res.headers.get("etag"));
  }
  expect(pools.methods).toHaveLength(4);
  // Clients and users, from the document's own request examples.
  for (const resource of ["clients", "users"]) {
    const create = document.paths[`/v1/accounts/{account_id}/issuers/{issuer_id}/${resource}`].post;
    const example = create.requestBody.content["application/json"].example;
    // On the issuer with the password method (a user's example has a password), the second with its own email.
    for (const body of [example, resource === "users" ? { ...example, email: "grace@example.com" } : example]) {
      const res = await api("POST", `/issuers/${pools.issuers[0]}/${resource}`, body);
      expect(res.status, `${resource}: ${await res.clone().text()}`).toBe(201);
      pools.learn(await res.json(), res.headers.get("etag"));
    }
  }
  expect(pools.children.client_id).toHaveLength(2);
  expect(pools.children.user_id).toHaveLength(2);
  await api("DELETE", `/issuers/${pools.issuers[3]}`);
  // Managing API keys is for a signed-in operator only (not an API key): made through the service.
  const key = await doors.services.apiKeys.create(doors.account.accountId, "to be revoked");
  pools.apiKeys.push(key.apiKey.id);
});

afterAll(async () => {
  for (const door of ["rest", "trpc"] as const) {
    const byStatus = [...statuses[door].entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`);
    console.info(`${door} answers (seed ${SEED}): ${byStatus.join(" ")}`);
  }
  for (const gap of KNOWN_GAPS) {
    const seen = failures.filter((f) => gap.matches(f));
    if (seen.length > 0)
      console.info(`known gap, ${seen.length}×: ${gap.why}\n  e.g. ${seen[0]?.request} → ${seen[0]?.status}`);
  }
  rawAgent.destroy();
  await doors?.close();
});

// ---------------------------------------------------------------------------
// REST: one request arbitrary per operation of the served document

/** A path parameter: a live id (by pool index), another account's, or a hostile segment. */
type Segment = { pool: number } | { other: true } | { raw: string };

const segment = (poolWeight: number): fc.Arbitrary<Segment> =>
  fc.oneof(
    { weight: poolWeight, arbitrary: fc.nat().map((pool) => ({ pool })) },
    { weight: 1, arbitrary: fc.constant({ other: true as const }) },
    { weight: 2, arbitrary: hostileSegment.map((raw) => ({ raw })) },
  );

interface RestRequest {
  method: string;
  template: string;
  params: Record<string, Segment>;
  query: [string, string][];
  headers: Record<string, string>;
  auth: "own" | "other" | "none" | "garbage";
  body: string | undefined;
}

function resolveParameter(parameter: Json): Json {
  if (typeof parameter.$ref !== "string") return parameter;
  return parameter.$ref
    .replace(/^#\//, "")
    .split("/")
    .reduce((node: any, part: string) => node?.[part], document) as Json;
}

/** Record-valued PATCH fields (merge patches) draw from the resource's own schema for that field. */
function recordHint(resource: string | undefined) {
  return (name: string): Json | undefined => {
    if (!resource) return undefined;
    const schema = document.components.schemas[resource] as Json;
    const members: Json[] = schema.oneOf ? schema.oneOf.map((m: Json) => resolveParameter(m)) : [schema];
    const candidates = members.map((m) => m.properties?.[name]).filter(Boolean);
    return candidates.length > 0 ? { anyOf: candidates } : undefined;
  };
}

/** `value` in `percent`% of the draws, else `none`. */
function sometimes<T, N>(percent: number, value: fc.Arbitrary<T>, none: N): fc.Arbitrary<T | N> {
  return fc.oneof({ weight: 100 - percent, arbitrary: fc.constant(none) }, { weight: percent, arbitrary: value });
}

function restArbitrary(): fc.Arbitrary<RestRequest> {
  const operations: fc.WeightedArbitrary<RestRequest>[] = [];
  for (const [template, item] of Object.entries<Json>(document.paths)) {
    for (const method of ["get", "post", "patch", "delete"]) {
      const operation = item[method] as Json | undefined;
      if (!operation || template === "/v1/openapi.json") continue;
      const parameters = [...(item.parameters ?? []), ...(operation.parameters ?? [])].map(resolveParameter);
      const params: Record<string, fc.Arbitrary<Segment>> = {};
      const query: fc.Arbitrary<[string, string][]>[] = [];
      const headers: Record<string, fc.Arbitrary<string | undefined>> = {};
      for (const parameter of parameters) {
        if (parameter.in === "path") params[parameter.name] = segment(parameter.name === "account_id" ? 24 : 8);
        if (parameter.in === "query") {
          const valid = fromSchema(parameter.schema ?? {}, { document }).map((v) =>
            typeof v === "string" ? v : JSON.stringify(v),
          );
          const value = fc.oneof(
            { weight: 3, arbitrary: valid.map(encodeComponent) },
            { weight: 1, arbitrary: hostileValue.map((v) => encodeComponent(String(serializeBody(v)))) },
            { weight: 1, arbitrary: hostileSegment },
          );
          query.push(
            sometimes(
              60,
              value.map((v): [string, string][] => [[parameter.name, v]]),
              [],
            ),
          );
        }
        if (parameter.in === "header") {
          const name = String(parameter.name).toLowerCase();
          const plausible =
            name === "idempotency-key"
              ? fc.oneof(fc.uuid(), fc.constantFrom("fuzz-1", "fuzz-2", '"fuzz-1"', "fuzz-3"))
              : fc.oneof(
                  fc.nat().map((i) => pools.pick(pools.etags, i) ?? "*"),
                  fc.constant("*"),
                );
          headers[name] = sometimes(
            20,
            fc.oneof({ weight: 3, arbitrary: plausible }, { weight: 1, arbitrary: headerValue }),
            undefined,
          );
        }
      }
      const extraQuery = fc.constantFrom<[string, string][]>(
        [["unknown", "1"]],
        [
          ["limit", "1"],
          ["limit", "2"],
        ],
        [["%ZZ", "1"]],
      );
      query.push(sometimes(5, extraQuery, []));
      const schema = operation.requestBody?.content?.["application/json"]?.schema as Json | undefined;
      const resource = method === "patch" ? (template.endsWith("{method_id}") ? "AuthMethod" : "Issuer") : undefined;
      const body = schema
        ? bodyText(hostile(fromSchema(schema, { document, recordHint: recordHint(resource) })))
        : sometimes(5, fc.constantFrom("{}", '{"name":"x"}'), undefined);
      // Deletes would soon leave nothing to read or change: they get a smaller share.
      operations.push({
        weight: method === "delete" ? 1 : 3,
        arbitrary: fc
          .record({
            method: fc.oneof(
              { weight: 40, arbitrary: fc.constant(method.toUpperCase()) },
              { weight: 1, arbitrary: fc.constantFrom("PUT", "POST", "GET", "DELETE", "PATCH") },
            ),
            template: fc.constant(template),
            params: fc.record(params),
            query: fc.tuple(...query).map((parts) => parts.flat()),
            headers: fc
              .record(headers)
              .map(
                (h) =>
                  Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as Record<string, string>,
              ),
            auth: fc.oneof(
              { weight: 40, arbitrary: fc.constant("own" as const) },
              { weight: 1, arbitrary: fc.constantFrom("other" as const, "none" as const, "garbage" as const) },
            ),
            body: body as fc.Arbitrary<string | undefined>,
            contentType: fc.oneof(
              { weight: 30, arbitrary: fc.constant("application/json") },
              {
                weight: 1,
                arbitrary: fc.constantFrom("text/plain", "application/json; charset=utf-8", "", "APPLICATION/JSON"),
              },
            ),
          })
          .map(({ contentType, ...request }) =>
            request.body === undefined
              ? request
              : { ...request, headers: { ...request.headers, "content-type": contentType } },
          ),
      });
    }
  }
  return fc.oneof(...operations);
}

function restUrl(request: RestRequest): { url: string; deletes?: string } {
  // The first child parameter drawn from its pool fixes the issuer (and the resource) of the path.
  const childName = Object.keys(request.params).find((name) => name in pools.children);
  const childSegment = childName ? request.params[childName] : undefined;
  const child =
    childName && childSegment && "pool" in childSegment
      ? pools.pick(pools.children[childName], childSegment.pool)
      : undefined;
  const ids: Record<string, string> = {};
  const path = request.template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const seg = request.params[name] as Segment;
    if ("raw" in seg) return seg.raw;
    if (name === "account_id") return "other" in seg ? doors.other.accountId : doors.account.accountId;
    if ("other" in seg)
      return name === "issuer_id" ? "iss_01JD0000000000000000000000" : "am_01JD0000000000000000000000";
    if (name === "issuer_id") ids[name] = child?.issuerId ?? pools.pick(pools.issuers, seg.pool) ?? "iss_none";
    else ids[name] = name === childName && child ? child.id : `${name.replace(/_id$/, "")}_none`;
    return ids[name] as string;
  });
  const query = request.query.map(([k, v]) => `${k}=${v}`).join("&");
  // A 204 on a path that ends with a live id deleted that resource.
  const last = request.template.match(/\{(\w+)\}$/)?.[1];
  return { url: `${doors.baseUrl}${path}${query ? `?${query}` : ""}`, deletes: last ? ids[last] : undefined };
}

const ERROR_TYPES = new Set([
  "invalid_request_error",
  "authentication_error",
  "permission_error",
  "not_found_error",
  "conflict_error",
  "precondition_failed_error",
  "rate_limit_error",
  "api_error",
]);

async function sendRest(request: RestRequest, index: number): Promise<void> {
  const { url, deletes } = restUrl(request);
  const headers: Record<string, string> = { ...request.headers };
  if (request.auth === "own") headers.authorization = `Bearer ${doors.account.apiKey}`;
  if (request.auth === "other") headers.authorization = `Bearer ${doors.other.apiKey}`;
  if (request.auth === "garbage") headers.authorization = "Bearer sk_not_a_key";
  const label = `${request.method} ${url.replace(doors.baseUrl, "")} ${JSON.stringify(request.headers)} ${short(request.body ?? "", 200)}`;
  // Only POST and PATCH read their body.
  const unsafe = request.method === "POST" || request.method === "PATCH" ? refusedByBodyCheck(request.body) : null;
  const fail = (status: number, problem: string, body: string, kind: Failure["kind"] = "contract") =>
    failures.push({
      door: "rest",
      kind,
      unsafeInput: unsafe !== null,
      index,
      request: label,
      status,
      problem,
      body: short(body),
    });
  let response: Response;
  try {
    const body = request.method === "GET" ? undefined : request.body;
    response = await send(url, { method: request.method, headers, body });
  } catch (error) {
    fail(0, `fetch failed: ${(error as Error).message}`, "");
    return;
  }
  const text = await response.text();
  count("rest", response.status);
  if (response.status >= 500) fail(response.status, "5xx", text);
  const leaked = leaks(text);
  if (leaked) fail(response.status, `the answer carries ${leaked}`, text);
  let body: any;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    if (response.status !== 304) fail(response.status, "the body is not JSON", text);
  }
  if (response.status >= 400) {
    const error = body?.error;
    const shaped =
      ERROR_TYPES.has(error?.type) &&
      typeof error?.code === "string" &&
      typeof error?.message === "string" &&
      typeof error?.request_id === "string" &&
      error.request_id === response.headers.get("request-id");
    if (!shaped) fail(response.status, "not the contract's error shape", text);
  } else if (response.status < 300) {
    if (unsafe !== null) fail(response.status, `accepted what the domain's body check refuses (${unsafe})`, text);
    pools.learn(body, response.headers.get("etag"));
    if (response.status === 204) pools.forget(deletes);
  }
  const problems = validator.check({
    method: request.method,
    url,
    status: response.status,
    headers: response.headers,
    text,
  });
  for (const problem of problems) fail(response.status, `document: ${problem}`, text, "document");
}

// ---------------------------------------------------------------------------
// tRPC: one input arbitrary per procedure

interface TrpcRequest {
  procedure: string;
  httpMethod: "GET" | "POST";
  input: unknown;
  /** Which live id replaces `id` / `issuerId` in the input, when set. */
  poolPick: number | null;
  auth: "own" | "other" | "none" | "garbage";
  contentType: string;
}

const procedures = (appRouter as unknown as { _def: { procedures: Record<string, any> } })._def.procedures;

/**
 * procedure → input arbitrary: the procedure's own input schema as JSON
 * Schema, drawn valid, mutated or hostile. A change of a procedure's input
 * shape is picked up as is; a procedure that needs more than its schema says
 * gets an entry in TRPC_INPUT_OVERRIDES.
 */
const TRPC_INPUT_OVERRIDES: Record<string, fc.Arbitrary<unknown>> = {
  // argon2 makes every sign-in attempt cost CPU; a few suffice (and the per-IP limit turns the rest into 429s).
};
const TRPC_WEIGHTS: Record<string, number> = { "auth.signIn": 1, "auth.signOut": 1, "auth.me": 1 };

/** The operation a procedure is derived from (`resource.name` in the registry). */
function operationOf(procedure: string): AnyOperation {
  const [resource, name] = procedure.split(".") as [string, string];
  const op = (resources as Record<string, Record<string, AnyOperation>>)[resource]?.[name];
  if (!op) throw new Error(`no operation for procedure ${procedure}`);
  return op;
}

/**
 * The procedure's input as a Zod schema, by the one derivation rule (README
 * "Internal tRPC client"): path parameters (renamed), query fields, the body
 * as `body` or `patch`, `ifMatch`; an operation without a path takes its body.
 */
function trpcInputSchema(op: AnyOperation): z.ZodType | undefined {
  if (!op.path) return op.body;
  const shape: Record<string, z.ZodType> = {};
  for (const [rest, field] of Object.entries(trpcParamNames(op))) shape[field] = op.params?.shape[rest] ?? z.string();
  Object.assign(shape, op.query?.shape ?? {});
  if (op.body) shape[trpcBodyField(op)] = op.body;
  if (takesIfMatch(op)) shape.ifMatch = z.string().optional();
  return z.object(shape);
}

function inputArbitrary(procedure: string): fc.Arbitrary<unknown> {
  const override = TRPC_INPUT_OVERRIDES[procedure];
  if (override) return override;
  const input = trpcInputSchema(operationOf(procedure));
  if (!input) return fc.option(hostileValue, { freq: 4, nil: undefined });
  const schema = z.toJSONSchema(input, { io: "input", unrepresentable: "any" }) as Json;
  const resource = procedure.startsWith("issuers.")
    ? "Issuer"
    : procedure.startsWith("authMethods.")
      ? "AuthMethod"
      : undefined;
  return hostile(fromSchema(schema, { document: schema, recordHint: recordHint(resource) }));
}

function trpcArbitrary(): fc.Arbitrary<TrpcRequest> {
  const names = Object.keys(procedures);
  return fc.oneof(
    ...names.map((procedure) => ({
      weight: TRPC_WEIGHTS[procedure] ?? 4,
      arbitrary: fc.record({
        procedure: fc.oneof(
          { weight: 50, arbitrary: fc.constant(procedure) },
          { weight: 1, arbitrary: fc.constantFrom("issuers.nope", "issuers", "..%2Fv1", "issuers.list,issuers.get") },
        ),
        httpMethod: fc.oneof(
          {
            weight: 30,
            arbitrary: fc.constant(procedures[procedure]._def.type === "query" ? ("GET" as const) : ("POST" as const)),
          },
          { weight: 1, arbitrary: fc.constantFrom("GET" as const, "POST" as const) },
        ),
        input: inputArbitrary(procedure),
        poolPick: fc.option(fc.nat(), { freq: 4, nil: null }),
        auth: fc.oneof(
          { weight: 40, arbitrary: fc.constant("own" as const) },
          { weight: 1, arbitrary: fc.constantFrom("other" as const, "none" as const, "garbage" as const) },
        ),
        contentType: fc.oneof(
          { weight: 30, arbitrary: fc.constant("application/json") },
          { weight: 1, arbitrary: fc.constantFrom("text/plain", "application/x-www-form-urlencoded", "") },
        ),
      }),
    })),
  );
}

/** tRPC resource → the REST path parameter of its own id (resources under an issuer). */
const TRPC_CHILD_PARAMS: Record<string, string> = {
  authMethods: "method_id",
  clients: "client_id",
  users: "user_id",
};

/** Points `id` / `issuerId` at live resources, so the procedures get past "not found". */
function withLiveIds(request: TrpcRequest): unknown {
  const { input, poolPick, procedure } = request;
  if (poolPick === null || input === null || typeof input !== "object" || Array.isArray(input)) return input;
  const next: Record<string, unknown> = { ...(input as Record<string, unknown>) };
  const childParam = TRPC_CHILD_PARAMS[procedure.split(".")[0] as string];
  const child = childParam ? pools.pick(pools.children[childParam], poolPick) : undefined;
  if (child && "id" in next) Object.assign(next, { issuerId: child.issuerId, id: child.id });
  else if ("issuerId" in next) next.issuerId = pools.pick(pools.issuers, poolPick);
  else if (procedure.startsWith("issuers.") && "id" in next) next.id = pools.pick(pools.issuers, poolPick);
  else if (procedure.startsWith("apiKeys.") && "id" in next) next.id = pools.pick(pools.apiKeys, poolPick);
  if ("ifMatch" in next && poolPick % 2 === 0) next.ifMatch = pools.pick(pools.etags, poolPick);
  return next;
}

/** tRPC's codes for errors of its own (no domain code): unparsable input, no such procedure, wrong verb. */
const TRPC_OWN_CODES = new Set([
  "PARSE_ERROR",
  "BAD_REQUEST",
  "NOT_FOUND",
  "METHOD_NOT_SUPPORTED",
  "PAYLOAD_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
]);

async function sendTrpc(request: TrpcRequest, index: number): Promise<void> {
  const input = withLiveIds(request);
  const text = input === undefined ? undefined : serializeBody(input);
  let url = `${doors.baseUrl}${TRPC_ENDPOINT}/${request.procedure}`;
  const headers: Record<string, string> = {};
  if (request.auth === "own") headers.authorization = `Bearer ${doors.account.apiKey}`;
  if (request.auth === "other") headers.authorization = `Bearer ${doors.other.apiKey}`;
  if (request.auth === "garbage") headers.authorization = "Bearer sk_not_a_key";
  let body: string | undefined;
  if (request.httpMethod === "GET") {
    if (text !== undefined) url += `?input=${encodeComponent(text)}`;
  } else {
    body = text;
    if (request.contentType) headers["content-type"] = request.contentType;
  }
  const label = `${request.httpMethod} ${request.procedure} ${short(text ?? "", 200)}`;
  const unsafe = refusedByBodyCheck(text);
  const fail = (status: number, problem: string, responseText: string) =>
    failures.push({
      door: "trpc",
      kind: "contract",
      unsafeInput: unsafe !== null,
      index,
      request: label,
      status,
      problem,
      body: short(responseText),
    });
  let response: Response;
  try {
    response = await send(url, { method: request.httpMethod, headers, body });
  } catch (error) {
    fail(0, `fetch failed: ${(error as Error).message}`, "");
    return;
  }
  const responseText = await response.text();
  count("trpc", response.status);
  if (response.status >= 500) fail(response.status, "5xx", responseText);
  const leaked = leaks(responseText);
  if (leaked) fail(response.status, `the answer carries ${leaked}`, responseText);
  let parsed: any;
  try {
    parsed = JSON.parse(responseText);
  } catch {
    fail(response.status, "the body is not JSON", responseText);
    return;
  }
  if (response.status >= 400 || parsed?.error) {
    const data = parsed?.error?.data;
    const ok =
      typeof parsed?.error?.message === "string" &&
      data?.httpStatus === response.status &&
      (typeof data?.domain?.code === "string" || TRPC_OWN_CODES.has(data?.code));
    if (!ok) fail(response.status, "neither a domain code nor one of tRPC's own", responseText);
  } else {
    // Managing API keys and the session is for a signed-in operator: an API key gets a 403.
    const operatorOnly = request.procedure.startsWith("apiKeys.") || request.procedure === "auth.me";
    if (operatorOnly && (request.auth === "own" || request.auth === "other")) {
      fail(response.status, "an API key was let into an operator-only procedure", responseText);
    }
    const takesInput =
      procedures[request.procedure] !== undefined && trpcInputSchema(operationOf(request.procedure)) !== undefined;
    if (unsafe !== null && request.httpMethod === "POST" && takesInput) {
      fail(response.status, `accepted what the domain's body check refuses (${unsafe})`, responseText);
    }
    pools.learn(parsed?.result?.data, typeof parsed?.result?.data?.etag === "string" ? parsed.result.data.etag : null);
    if (parsed?.result?.data?.deleted === true && input && typeof input === "object") {
      pools.forget((input as Record<string, unknown>).id);
    }
    const created = parsed?.result?.data?.api_key?.id;
    if (typeof created === "string") pools.apiKeys.push(created);
  }
}

// ---------------------------------------------------------------------------

/**
 * What this test found on the day it was written in code outside the domain
 * (the tRPC door, the REST router, the document; see the domain branch's
 * report to the lead). Each is matched narrowly and counted in the output;
 * delete an entry once its owner fixes it.
 */
const KNOWN_GAPS: { why: string; matches(failure: Failure): boolean; matchesLog?(line: string): boolean }[] = [];

function unexpected(door: "rest" | "trpc", kind: Failure["kind"]): Failure[] {
  return failures.filter((f) => f.door === door && f.kind === kind && !KNOWN_GAPS.some((gap) => gap.matches(f)));
}

function report(list: Failure[]): string {
  const byProblem = new Map<string, Failure[]>();
  for (const f of list)
    byProblem.set(`${f.status} ${f.problem}`, [...(byProblem.get(`${f.status} ${f.problem}`) ?? []), f]);
  const lines = [...byProblem.entries()].map(
    ([problem, group]) =>
      `${group.length}× ${problem}\n    e.g. #${group[0]?.index} ${group[0]?.request}\n    → ${group[0]?.body}`,
  );
  return `seed ${SEED}: ${list.length} failure(s)\n${lines.slice(0, 20).join("\n")}`;
}

function sentCount(door: "rest" | "trpc"): number {
  const answered = [...statuses[door].values()].reduce((a, b) => a + b, 0);
  return answered + failures.filter((f) => f.door === door && f.status === 0).length;
}

describe("fuzzing both doors from the OpenAPI document", () => {
  test(`REST /v1: ${RUNS_PER_DOOR} generated requests, no 5xx, every error in the contract's shape`, async () => {
    const requests = fc.sample(restArbitrary(), { seed: SEED, numRuns: RUNS_PER_DOOR });
    await runAll(requests, CONCURRENCY, sendRest);
    expect(sentCount("rest")).toBe(RUNS_PER_DOOR);
    // Not a test that cannot fail: a good share got through validation to the database and back.
    // The share moves with the interleaving (which ids exist when a request runs): ≈ 10 % here, and
    // once 499 of 5,000 in CI, so the floor is half of that; a door that refused everything gives 0.
    const ok = [...statuses.rest.entries()].filter(([s]) => s < 300).reduce((a, [, n]) => a + n, 0);
    expect(ok, JSON.stringify([...statuses.rest])).toBeGreaterThan(RUNS_PER_DOOR * 0.05);
    for (const status of [200, 201, 204, 400, 404, 409, 412])
      expect(statuses.rest.has(status), `saw ${status}`).toBe(true);
    const found = unexpected("rest", "contract");
    expect(found, report(found)).toEqual([]);
  }, 300_000);

  test("REST /v1: every one of those answers matches the served document", () => {
    expect(sentCount("rest")).toBe(RUNS_PER_DOOR);
    const found = unexpected("rest", "document");
    expect(found, report(found)).toEqual([]);
  });

  test(`tRPC /api/trpc: ${RUNS_PER_DOOR} generated calls with the same API key, no 5xx, every error coded`, async () => {
    const requests = fc.sample(trpcArbitrary(), { seed: SEED, numRuns: RUNS_PER_DOOR });
    await runAll(requests, CONCURRENCY, sendTrpc);
    expect(sentCount("trpc")).toBe(RUNS_PER_DOOR);
    const ok = statuses.trpc.get(200) ?? 0;
    expect(ok, JSON.stringify([...statuses.trpc])).toBeGreaterThan(RUNS_PER_DOOR * 0.1);
    for (const status of [400, 401, 403, 404, 412]) expect(statuses.trpc.has(status), `saw ${status}`).toBe(true);
    const found = unexpected("trpc", "contract");
    expect(found, report(found)).toEqual([]);
  }, 300_000);

  test("no unexpected error was logged by either door", () => {
    // "database unavailable" is the outage path (see send): its 503s are checked where they happen.
    const errors = doors.logLines.filter(
      (line) =>
        (/"level":(50|60)/.test(line) || line.includes("unhandled")) &&
        !line.includes('"database unavailable"') &&
        !KNOWN_GAPS.some((gap) => gap.matchesLog?.(line)),
    );
    expect(errors.slice(0, 5), `${errors.length} error line(s)`).toEqual([]);
  });
});
