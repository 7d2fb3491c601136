import { connect } from "node:net";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type TrpcHarness, trpcHarness } from "../trpc-harness.ts";

// The production app server (createAppServer), spoken to over raw sockets where fetch would normalize.
let h: TrpcHarness;
beforeAll(async () => {
  h = await trpcHarness();
});
afterAll(() => h.close());

/** Sends raw bytes; resolves with what came back before the server closed or went quiet. */
function raw(request: string, options: { endAfterWrite?: boolean; quietMs?: number } = {}): Promise<string> {
  const { port } = new URL(h.baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1");
    let data = "";
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(data);
    };
    socket.on("data", (chunk) => {
      data += chunk.toString("utf8");
      clearTimeout(timer);
      timer = setTimeout(done, options.quietMs ?? 300);
    });
    socket.on("error", reject);
    socket.on("close", done);
    socket.write(request, () => {
      if (options.endAfterWrite) socket.destroy();
    });
  });
}

async function newIssuer(): Promise<string> {
  const response = await fetch(`${h.baseUrl}/v1/accounts/${h.account.accountId}/issuers`, {
    method: "POST",
    headers: { authorization: `Bearer ${h.account.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "Routing" }),
  });
  return ((await response.json()) as { id: string }).id;
}

test("a `.` or `..` path segment, encoded or not, is a 404 and never reaches another route", async () => {
  const issuerId = await newIssuer();
  const base = `/v1/accounts/${h.account.accountId}/issuers/${issuerId}/auth-methods`;
  for (const segment of ["%2e%2e", "%2E%2E", "..", ".", "%2e", ".%2e"]) {
    const answer = await raw(
      `DELETE ${base}/${segment} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${h.account.apiKey}\r\nConnection: close\r\n\r\n`,
    );
    expect(answer, segment).toMatch(/^HTTP\/1\.1 404 /);
    expect(answer).toContain('"code":"route_not_found"');
  }
  const still = await h.services.issuers.get(h.account.accountId, issuerId);
  expect(JSON.parse(still.value.json).status).toBe("active");
});

test("an empty path segment is a 404: `…/issuers/` is not the list, `…/issuers//{id}` not the issuer", async () => {
  const issuerId = await newIssuer();
  const base = `${h.baseUrl}/v1/accounts/${h.account.accountId}`;
  for (const path of ["/issuers/", `/issuers//${issuerId}`, `/issuers/${issuerId}/`, `//issuers/${issuerId}`]) {
    const answer = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${h.account.apiKey}` } });
    expect(answer.status, path).toBe(404);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe("route_not_found");
  }
});

test("`GET * HTTP/1.1` is a JSON 404, not a plain-text 500", async () => {
  const answer = await raw("GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  expect(answer).toMatch(/^HTTP\/1\.1 404 /);
  expect(answer).toContain("application/json");
  expect(answer).toContain('"code":"route_not_found"');
  expect(h.logLines.join("\n")).not.toContain("Invalid URL");
});

test("PUT on an issuer is a 405 with Allow, and the OpenAPI document lists the 405", async () => {
  const issuerId = await newIssuer();
  const response = await fetch(`${h.baseUrl}/v1/accounts/${h.account.accountId}/issuers/${issuerId}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${h.account.apiKey}`, "content-type": "application/json" },
    body: "{}",
  });
  expect(response.status).toBe(405);
  expect(response.headers.get("allow")).toBe("GET, PATCH, DELETE");
  const document = (await (await fetch(`${h.baseUrl}/v1/openapi.json`)).json()) as any;
  const item = document.paths["/v1/accounts/{account_id}/issuers/{issuer_id}"];
  for (const method of ["get", "patch", "delete"]) {
    expect(item[method].responses["405"].headers.Allow).toBeDefined();
  }
});

test("a client that hangs up mid-body is logged as aborted (warn), not as a database outage or a 503", async () => {
  const before = h.logLines.length;
  const path = `/v1/accounts/${h.account.accountId}/issuers`;
  await raw(
    `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${h.account.apiKey}\r\n` +
      `Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"name": "half`,
    { endAfterWrite: true },
  );
  await expect
    .poll(() => h.logLines.slice(before).some((l) => l.includes('"aborted":true')), { timeout: 5000 })
    .toBe(true);
  const lines = h.logLines.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines.some((l) => l.msg === "database unavailable")).toBe(false);
  expect(lines.some((l) => l.status === 503)).toBe(false);
  const aborted = lines.find((l) => l.aborted === true);
  expect(aborted?.level).toBe(40);
});
