import { afterAll, beforeAll, expect, test } from "vitest";
import { createTrpcHandler } from "../../src/trpc-server.ts";
import { type TrpcHarness, trpcHarness } from "../trpc-harness.ts";

let h: TrpcHarness;
beforeAll(async () => {
  h = await trpcHarness({ production: true });
});
afterAll(() => h.close());

test("in production the session cookie is Secure when the request came over https", async () => {
  const handle = createTrpcHandler({ services: h.services, production: true });
  const request = (url: string) =>
    handle(
      new Request(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: h.account.adminEmail, password: h.account.adminPassword }),
      }),
    );
  const https = await request("https://admin.example.com/api/trpc/auth.signIn");
  expect(https.status).toBe(200);
  expect(https.headers.get("set-cookie")).toMatch(/; Secure$/);

  const http = await request("http://127.0.0.1/api/trpc/auth.signIn");
  expect(http.headers.get("set-cookie")).not.toContain("Secure");
});

test("behind a trusted TLS proxy, X-Forwarded-Proto: https makes it Secure; untrusted it is ignored", async () => {
  const body = JSON.stringify({ email: h.account.adminEmail, password: h.account.adminPassword });
  const headers = { "content-type": "application/json", "x-forwarded-proto": "https" };
  const trusted = createTrpcHandler({ services: h.services, production: true, trustProxy: true });
  const untrusted = createTrpcHandler({ services: h.services, production: true });
  const url = "http://10.0.0.5/api/trpc/auth.signIn";
  expect((await trusted(new Request(url, { method: "POST", headers, body }))).headers.get("set-cookie")).toMatch(
    /; Secure$/,
  );
  expect(
    (await untrusted(new Request(url, { method: "POST", headers, body }))).headers.get("set-cookie"),
  ).not.toContain("Secure");
});
