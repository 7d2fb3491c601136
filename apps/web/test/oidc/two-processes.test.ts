import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { freePort } from "@authpi/db";
import { serviceHarness, testEncryptionKeyEntry } from "@authpi/server/testing";
import { parsed } from "@authpi/server/testing/bodies";
import { createRemoteJWKSet, jwtVerify } from "jose";
import * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { FormBrowser, PASSWORD, REDIRECT } from "./harness.ts";

/**
 * Two real server processes (src/serve-api.ts) on one database, behind one public URL as behind a
 * load balancer: a sign-in starts on one and finishes on the other, and an issuer change made
 * through one reaches the other's provider pool (LISTEN/NOTIFY).
 */
const WEB_DIR = path.resolve(import.meta.dirname, "../..");

interface ServerProcess {
  child: ChildProcess;
  origin: string;
  output: string[];
}

const servers: ServerProcess[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startServer(port: number, publicUrl: string): Promise<ServerProcess> {
  const databaseUrl = inject("databaseUrl");
  const child = spawn(process.execPath, ["--import", "tsx", "src/serve-api.ts"], {
    cwd: WEB_DIR,
    env: {
      ...process.env,
      NODE_ENV: "test",
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: "127.0.0.1",
      AUTHPI_PUBLIC_URL: publicUrl,
      AUTHPI_ENCRYPTION_KEYS: testEncryptionKeyEntry(databaseUrl),
      DATABASE_POOL_SIZE: "4",
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  const server = { child, origin: `http://127.0.0.1:${port}`, output };
  servers.push(server);
  const deadline = Date.now() + 45_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${output.join("")}`);
    try {
      if ((await fetch(`${server.origin}/readyz`)).status === 200) return server;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server did not become ready:\n${output.join("")}`);
    await sleep(100);
  }
}

const harness = serviceHarness();
let one: ServerProcess;
let two: ServerProcess;
let publicUrl: string;

beforeAll(async () => {
  const [portOne, portTwo] = [await freePort(), await freePort()];
  publicUrl = `http://127.0.0.1:${portOne}`;
  [one, two] = await Promise.all([startServer(portOne, publicUrl), startServer(portTwo, publicUrl)]);
}, 90_000);

afterAll(async () => {
  for (const server of servers) server.child.kill("SIGTERM");
  await harness.close();
});

/** The same URL on the other process. */
const on = (server: ServerProcess, url: string) => url.replace(/^http:\/\/127\.0\.0\.1:\d+/, server.origin);

describe("two server processes", () => {
  it("share one sign-in: started on one, finished on the other", async () => {
    const account = await harness.newAccount();
    const { services } = harness;
    const { value: issuer } = await services.issuers.create(account.accountId, parsed.issuer({ name: "Shared" }));
    await services.authMethods.create(
      account.accountId,
      issuer.id,
      parsed.authMethod({
        name: "Password",
        method: "password",
        first_factor_only: true,
        settings: { min_length: 8, check_breached: false },
      }),
    );
    const { value: client } = await services.clients.create(
      account.accountId,
      issuer.id,
      parsed.client({
        name: "Web",
        application_type: "web",
        redirect_uris: [REDIRECT],
      }),
    );
    await services.users.create(
      account.accountId,
      issuer.id,
      parsed.user({
        email: "ada@example.com",
        password: PASSWORD,
        email_verified: true,
      }),
    );
    const issuerUrl = `${publicUrl}/oidc/${issuer.id}`;
    expect(issuer.issuer_url).not.toBe(issuerUrl); // the harness's own services use the default URL

    const config = await oidc.discovery(new URL(issuerUrl), client.id, client.client_secret ?? undefined, undefined, {
      execute: [oidc.allowInsecureRequests],
    });
    const browser = new FormBrowser();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const authorize = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: "openid email",
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state,
    });
    // Process one starts the interaction …
    const started = await browser.request(authorize.href);
    expect(started.status).toBe(303);
    // … process two renders the page and takes the password …
    const page = await browser.request(on(two, started.location ?? ""));
    expect(page.status).toBe(200);
    const action = /<form method="post" action="([^"]+)"/.exec(page.text)?.[1] ?? "";
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? "";
    const posted = await browser.request(`${two.origin}${action}`, {
      form: { csrf, email: "ada@example.com", password: PASSWORD },
    });
    expect(posted.status).toBe(303);
    // … process one resumes the authorization and issues the code …
    const resumed = await browser.request(on(one, posted.location ?? ""));
    expect(resumed.location?.startsWith(`${REDIRECT}?code=`)).toBe(true);
    // … and process two exchanges it.
    const tokenResponse = await fetch(`${two.origin}/oidc/${issuer.id}/token`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${Buffer.from(`${client.id}:${client.client_secret}`).toString("base64")}`,
      },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code: new URL(resumed.location ?? "").searchParams.get("code") ?? "",
        redirect_uri: REDIRECT,
        code_verifier: verifier,
      }),
    });
    expect(tokenResponse.status).toBe(200);
    const tokens = (await tokenResponse.json()) as { access_token: string; id_token: string };
    const jwks = createRemoteJWKSet(new URL(`${one.origin}/oidc/${issuer.id}/jwks`));
    const { payload } = await jwtVerify(tokens.id_token, jwks, { issuer: issuerUrl, audience: client.id });
    expect(payload.sub).toMatch(/^usr_/);

    // An issuer disabled through one door is refused by both processes' pools (NOTIFY).
    await services.issuers.update(account.accountId, issuer.id, { status: "disabled" });
    for (const server of [one, two]) {
      await expect
        .poll(async () => (await fetch(`${server.origin}/oidc/${issuer.id}/auth?client_id=${client.id}`)).status)
        .toBe(403);
    }
  });
});
