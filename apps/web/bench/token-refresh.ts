/**
 * Load script: the token endpoint's refresh grant (req/s and p99) against a real server process
 * (src/serve-api.ts) on a fresh database. `pnpm bench` (owned by bench/run.ts) can import
 * `prepareTokenRefresh` and measure its request next to the others; run alone with
 * `DATABASE_URL=… npx tsx bench/token-refresh.ts`.
 *
 * The issuer has `refresh_token_rotation: false`, so one refresh token can be presented again and
 * again (with rotation each use consumes it): the measured path is client authentication, the
 * refresh token and grant lookups, the account lookup and two JWT signatures per request.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import path from "node:path";
import { createDb, freePort } from "@authpi/db";
import { createServices, loadEnv, parseKeys, type Services } from "@authpi/server";
import { parsed } from "@authpi/server/testing/bodies";
import { provisionTestDatabase } from "@authpi/server/testing/database";
import autocannon from "autocannon";

const REDIRECT = "http://localhost:8080/callback";
const PASSWORD = "bench passphrase 123456";

/** Creates an issuer, a client and a user, signs in over HTTP and returns the refresh request. */
export async function prepareTokenRefresh(services: Services, accountId: string, origin: string) {
  const { value: issuer } = await services.issuers.create(
    accountId,
    parsed.issuer({
      name: "Bench",
      settings: { session: { refresh_token_rotation: false } },
    }),
  );
  await services.authMethods.create(
    accountId,
    issuer.id,
    parsed.authMethod({
      name: "Password",
      method: "password",
      first_factor_only: true,
      settings: { check_breached: false },
    }),
  );
  const { value: client } = await services.clients.create(
    accountId,
    issuer.id,
    parsed.client({
      name: "Bench",
      application_type: "web",
      redirect_uris: [REDIRECT],
    }),
  );
  await services.users.create(
    accountId,
    issuer.id,
    parsed.user({
      email: "bench@example.com",
      password: PASSWORD,
      email_verified: true,
    }),
  );

  const base = `${origin}/oidc/${issuer.id}`;
  const cookies = new Map<string, string>();
  async function go(url: string, init: RequestInit = {}) {
    const response = await fetch(url, {
      ...init,
      redirect: "manual",
      headers: {
        ...(init.headers as Record<string, string>),
        cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join("; "),
      },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return {
      response,
      location: new URL(response.headers.get("location") ?? "/", url).href,
      text: await response.text(),
    };
  }
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const auth = await go(
    `${base}/auth?${new URLSearchParams({
      client_id: client.id,
      response_type: "code",
      redirect_uri: REDIRECT,
      scope: "openid email",
      code_challenge: challenge,
      code_challenge_method: "S256",
    })}`,
  );
  const page = await go(auth.location);
  const action = /<form method="post" action="([^"]+)"/.exec(page.text)?.[1] ?? "";
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? "";
  const login = await go(new URL(action, origin).href, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrf, email: "bench@example.com", password: PASSWORD }).toString(),
  });
  const resumed = await go(login.location);
  const code = new URL(resumed.location).searchParams.get("code") ?? "";
  const basic = `Basic ${Buffer.from(`${client.id}:${client.client_secret}`).toString("base64")}`;
  const form = { "content-type": "application/x-www-form-urlencoded", authorization: basic };
  const exchanged = await fetch(`${base}/token`, {
    method: "POST",
    headers: form,
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    }),
  });
  const { refresh_token: refreshToken } = (await exchanged.json()) as { refresh_token?: string };
  if (!refreshToken) throw new Error(`sign-in for the benchmark failed (${exchanged.status})`);
  return {
    method: "POST" as const,
    path: `/oidc/${issuer.id}/token`,
    headers: form,
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken }).toString(),
  };
}

async function waitUp(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error("server exited");
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // starting
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("server did not start");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const database = await provisionTestDatabase(loadEnv().DATABASE_URL);
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const keys = `bench:${Buffer.alloc(32, 7).toString("base64")}`;
  const server = spawn(process.execPath, ["--import", "tsx", path.join(import.meta.dirname, "../src/serve-api.ts")], {
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      PORT: String(port),
      HOST: "127.0.0.1",
      NODE_ENV: "production",
      LOG_LEVEL: "silent",
      AUTHPI_PUBLIC_URL: origin,
      AUTHPI_ENCRYPTION_KEYS: keys,
      REDIS_URL: "",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  try {
    await waitUp(`${origin}/healthz`, server);
    const db = createDb(database.url);
    const services = createServices(db, { publicUrl: origin, keyring: parseKeys(keys) });
    const account = await services.accounts.bootstrap({ password: "bench-password-123" });
    const request = await prepareTokenRefresh(services, account.account_id, origin);
    await db.$disconnect();
    await autocannon({ url: origin, connections: 10, duration: 2, requests: [request] });
    const result = await autocannon({ url: origin, connections: 10, duration: seconds, requests: [request] });
    console.log(
      `| token endpoint, refresh grant | ${Math.round(result.requests.average)} req/s | p50 ${result.latency.p50} ms | p99 ${result.latency.p99} ms | non-2xx ${result.non2xx} |`,
    );
  } finally {
    server.kill("SIGTERM");
    await new Promise((resolve) => server.once("exit", resolve));
    await database.drop();
  }
}
