import { createHash, createPublicKey, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, jwtVerify, SignJWT } from "jose";

/**
 * Local stand-ins for upstreams the tests cannot reach (GitHub, Apple, `oauth2` providers), each
 * speaking its provider's documented protocol on a real HTTP server: authorize (which approves
 * `person` at once), the token endpoint with the provider's client authentication and PKCE check,
 * and its user resources. What each received is kept for the tests to look at.
 */

export interface Person {
  id: string;
  email: string | null;
  verified: boolean;
  name?: string;
}

interface Grant {
  clientId: string;
  redirectUri: string;
  challenge: string | null;
  nonce: string | null;
  person: Person;
}

export interface FakeUpstream {
  url: string;
  /** Who signs in at the next authorize. */
  person: Person;
  /** Where `/forward` sends the browser, query kept (a site's own redirect_uri leading to callback_url). */
  forwardTo: string;
  /** Every authorize request's parameters and token request's form, in order. */
  authorizations: URLSearchParams[];
  tokenRequests: { form: URLSearchParams; headers: IncomingMessage["headers"] }[];
  close(): Promise<void>;
}

export interface UpstreamSpec {
  authorize: string;
  token: string;
  /** `post`: client_id/client_secret in the form; `basic`: HTTP Basic; `apple`: the ES256 client-secret JWT. */
  clientAuth: "post" | "basic" | { apple: { publicKeyPem: string; teamId: string; keyId: string } };
  /** Answers the token request with (default JSON). */
  tokenAnswer?(grant: Grant, req: IncomingMessage, accessToken: string): Promise<{ type: string; body: string }>;
  /** The user resources, by path, for a bearer token's person. */
  resources: Record<string, (person: Person, req: IncomingMessage) => unknown>;
  /** Apple answers authorize with a page that POSTs to the redirect URI (form_post). */
  formPost?: (grant: Grant, code: string, state: string) => Record<string, string>;
  extraRoutes?: Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>>;
  /** Authorize refuses a request without these exact parameters (Twitter: S256 PKCE; Twitch: claims). */
  requires?: Record<string, string | RegExp>;
}

const s256 = (verifier: string) => createHash("sha256").update(verifier).digest("base64url");

async function readBody(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(body));
}

export const CLIENT_ID = "upstream-client";
export const CLIENT_SECRET = "upstream-secret-never-shown";

export async function fakeUpstream(spec: UpstreamSpec): Promise<FakeUpstream> {
  const grants = new Map<string, Grant>();
  const tokens = new Map<string, Person>();
  const fake: Omit<FakeUpstream, "url" | "close"> = {
    person: { id: "1", email: null, verified: false },
    forwardTo: "",
    authorizations: [],
    tokenRequests: [],
  };

  async function clientAuthenticated(req: IncomingMessage, form: URLSearchParams): Promise<boolean> {
    if (spec.clientAuth === "post") {
      return form.get("client_id") === CLIENT_ID && form.get("client_secret") === CLIENT_SECRET;
    }
    if (spec.clientAuth === "basic") {
      const expected = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString("base64")}`;
      return req.headers.authorization === expected;
    }
    // Apple: the client secret is an ES256 JWT of the team, for the Services ID, for Apple, ≤ 6 months.
    const { publicKeyPem, teamId, keyId } = spec.clientAuth.apple;
    try {
      const { payload, protectedHeader } = await jwtVerify(
        form.get("client_secret") ?? "",
        createPublicKey(publicKeyPem),
        {
          issuer: teamId,
          subject: form.get("client_id") ?? "",
          audience: "https://appleid.apple.com",
          algorithms: ["ES256"],
        },
      );
      return (
        form.get("client_id") === CLIENT_ID &&
        protectedHeader.kid === keyId &&
        typeof payload.exp === "number" &&
        typeof payload.iat === "number" &&
        payload.exp - payload.iat <= 15_777_000
      );
    } catch {
      return false;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://upstream");
    const extra = spec.extraRoutes?.[url.pathname];
    if (extra) return extra(req, res);
    if (url.pathname === "/forward") {
      res.writeHead(303, { location: `${fake.forwardTo}${url.search}` }).end();
      return;
    }
    if (req.method === "GET" && url.pathname === spec.authorize) {
      const params = url.searchParams;
      fake.authorizations.push(params);
      if (params.get("client_id") !== CLIENT_ID) return json(res, 400, { error: "invalid_client" });
      for (const [name, wanted] of Object.entries(spec.requires ?? {})) {
        const value = params.get(name) ?? "";
        if (typeof wanted === "string" ? value !== wanted : !wanted.test(value)) {
          return json(res, 400, { error: "invalid_request", error_description: `${name} missing or wrong` });
        }
      }
      const code = randomBytes(12).toString("hex");
      const grant: Grant = {
        clientId: CLIENT_ID,
        redirectUri: params.get("redirect_uri") ?? "",
        challenge: params.get("code_challenge"),
        nonce: params.get("nonce"),
        person: fake.person,
      };
      grants.set(code, grant);
      const state = params.get("state") ?? "";
      if (spec.formPost) {
        const fields = spec.formPost(grant, code, state);
        const inputs = Object.entries(fields)
          .map(([name, value]) => `<input type="hidden" name="${name}" value="${value.replaceAll('"', "&quot;")}">`)
          .join("");
        res
          .writeHead(200, { "content-type": "text/html" })
          .end(`<form method="post" action="${grant.redirectUri}">${inputs}</form>`);
        return;
      }
      const back = new URL(grant.redirectUri);
      back.searchParams.set("code", code);
      back.searchParams.set("state", state);
      res.writeHead(302, { location: back.href }).end();
      return;
    }
    if (req.method === "POST" && url.pathname === spec.token) {
      const form = await readBody(req);
      fake.tokenRequests.push({ form, headers: req.headers });
      const code = form.get("code") ?? "";
      const grant = grants.get(code);
      grants.delete(code);
      const verifier = form.get("code_verifier");
      if (!(await clientAuthenticated(req, form))) return json(res, 401, { error: "invalid_client" });
      if (
        !grant ||
        grant.redirectUri !== form.get("redirect_uri") ||
        (grant.challenge !== null && (verifier === null || s256(verifier) !== grant.challenge))
      ) {
        return json(res, 400, { error: "invalid_grant" });
      }
      const accessToken = randomBytes(16).toString("hex");
      tokens.set(accessToken, grant.person);
      const answer = spec.tokenAnswer
        ? await spec.tokenAnswer(grant, req, accessToken)
        : {
            type: "application/json",
            body: JSON.stringify({ access_token: accessToken, token_type: "Bearer", expires_in: 3600 }),
          };
      res.writeHead(200, { "content-type": answer.type }).end(answer.body);
      return;
    }
    const resource = spec.resources[url.pathname];
    if (req.method === "GET" && resource) {
      const token = /^(?:Bearer|token) (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
      const person = token ? tokens.get(token) : undefined;
      if (!person) return json(res, 401, { message: "Bad credentials" });
      return json(res, 200, resource(person, req));
    }
    json(res, 404, { message: "Not Found" });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => json(res, 500, { error: "server_error" }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(fake, {
    url,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

/** GitHub: form-encoded token answer unless `Accept: application/json`; /user and /user/emails need a User-Agent. */
export function githubSpec(options: { answerForm: boolean }): UpstreamSpec {
  const needsAgent = (req: IncomingMessage) => {
    if (!req.headers["user-agent"]) throw new Error("GitHub refuses requests without a User-Agent");
  };
  return {
    authorize: "/login/oauth/authorize",
    token: "/login/oauth/access_token",
    clientAuth: "post",
    async tokenAnswer(_grant, req, accessToken) {
      const fields = { access_token: accessToken, scope: "read:user,user:email", token_type: "bearer" };
      if (!options.answerForm && String(req.headers.accept ?? "").includes("application/json")) {
        return { type: "application/json; charset=utf-8", body: JSON.stringify(fields) };
      }
      return { type: "application/x-www-form-urlencoded; charset=utf-8", body: new URLSearchParams(fields).toString() };
    },
    resources: {
      "/user": (person, req) => {
        needsAgent(req);
        return {
          login: `user${person.id}`,
          id: Number(person.id),
          name: person.name ?? null,
          email: null,
          avatar_url: `https://avatars.githubusercontent.com/u/${person.id}`,
        };
      },
      "/user/emails": (person, req) => {
        needsAgent(req);
        return person.email
          ? [
              { email: `${person.id}@users.noreply.github.com`, primary: false, verified: true, visibility: null },
              { email: person.email, primary: true, verified: person.verified, visibility: "private" },
            ]
          : [];
      },
    },
  };
}

/** Apple: form_post authorize, ES256 client-secret JWT at /auth/token, an id_token signed with its key at /auth/keys. */
export async function appleSpec(client: { publicKeyPem: string; teamId: string; keyId: string }) {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "apple-test-key", alg: "RS256", use: "sig" };
  const forged = await generateKeyPair("RS256");
  const control = {
    forgeSignature: false,
    emailVerified: "true" as string | boolean,
    nonceOverride: null as string | null,
  };
  const spec: UpstreamSpec = {
    authorize: "/auth/authorize",
    token: "/auth/token",
    clientAuth: { apple: client },
    formPost: (grant, code, state) => ({
      state,
      code,
      user: JSON.stringify({ name: { firstName: "Tim", lastName: "Apple" }, email: grant.person.email }),
    }),
    async tokenAnswer(grant, _req, accessToken) {
      const now = Math.floor(Date.now() / 1000);
      const idToken = await new SignJWT({
        email: grant.person.email,
        email_verified: control.emailVerified,
        is_private_email: "false",
        auth_time: now,
        nonce_supported: true,
        nonce: control.nonceOverride ?? grant.nonce,
      })
        .setProtectedHeader({ alg: "RS256", kid: "apple-test-key" })
        .setIssuer("https://appleid.apple.com")
        .setAudience(grant.clientId)
        .setSubject(grant.person.id)
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .sign(control.forgeSignature ? forged.privateKey : privateKey);
      return {
        type: "application/json",
        body: JSON.stringify({
          access_token: accessToken,
          token_type: "Bearer",
          expires_in: 3600,
          refresh_token: "r",
          id_token: idToken,
        }),
      };
    },
    resources: {},
    extraRoutes: {
      "/auth/keys": async (_req, res) => {
        json(res, 200, { keys: [jwk] });
      },
    },
  };
  return { spec, control };
}

/** Google (OpenID Connect userinfo, client_secret_post, PKCE). */
export const googleSpec: UpstreamSpec = {
  authorize: "/o/oauth2/v2/auth",
  token: "/token",
  clientAuth: "post",
  resources: {
    "/v1/userinfo": (person) => ({
      sub: person.id,
      email: person.email,
      email_verified: person.verified,
      name: person.name,
      picture: "https://lh3.googleusercontent.com/a/photo",
    }),
  },
};

/** Discord (`/users/@me`: `verified` says whether the email is). */
export const discordSpec: UpstreamSpec = {
  authorize: "/oauth2/authorize",
  token: "/api/oauth2/token",
  clientAuth: "post",
  resources: {
    "/api/users/@me": (person) => ({
      id: person.id,
      username: `user${person.id}`,
      global_name: person.name ?? null,
      avatar: "a1b2c3",
      email: person.email,
      verified: person.verified,
    }),
  },
};

/** Spotify (HTTP Basic at the token endpoint; nothing says whether the email is verified). */
export const spotifySpec: UpstreamSpec = {
  authorize: "/authorize",
  token: "/api/token",
  clientAuth: "basic",
  resources: {
    "/v1/me": (person) => ({ id: person.id, display_name: person.name ?? null, email: person.email, images: [] }),
  },
};

/** OpenID Connect userinfo of `person` (the standard claims). */
const standardClaims = (person: Person) => ({
  sub: person.id,
  email: person.email,
  email_verified: person.verified,
  name: person.name,
  picture: `https://pictures.example/${person.id}.png`,
});

const S256 = { code_challenge: /^[A-Za-z0-9_-]{43}$/, code_challenge_method: "S256" };

/**
 * The other `oauth2` providers, each as its documentation has it: paths, client authentication,
 * required authorize parameters, and the user resource's shape.
 */
export const providerSpecs = {
  /** Microsoft identity platform v2: client_secret_post, PKCE, Graph's OIDC userinfo (no email_verified). */
  microsoft: {
    authorize: "/common/oauth2/v2.0/authorize",
    token: "/common/oauth2/v2.0/token",
    clientAuth: "post",
    requires: { response_type: "code", scope: /\bopenid\b/, ...S256 },
    resources: {
      "/oidc/userinfo": (person) => ({
        sub: person.id,
        name: person.name,
        given_name: "Megan",
        family_name: "Bowen",
        email: person.email,
        picture: "https://graph.microsoft.com/v1.0/me/photo/$value",
      }),
    },
  },
  /** GitLab: OIDC userinfo at /oauth/userinfo, PKCE accepted. */
  gitlab: {
    authorize: "/oauth/authorize",
    token: "/oauth/token",
    clientAuth: "post",
    requires: { response_type: "code", scope: /\bopenid\b/ },
    resources: { "/oauth/userinfo": standardClaims },
  },
  /** Bitbucket Cloud: HTTP Basic, /2.0/user (uuid) and /2.0/user/emails (is_primary, is_confirmed). */
  bitbucket: {
    authorize: "/site/oauth2/authorize",
    token: "/site/oauth2/access_token",
    clientAuth: "basic",
    requires: { response_type: "code" },
    resources: {
      "/2.0/user": (person) => ({
        type: "user",
        uuid: `{${person.id}}`,
        username: `user${person.id}`,
        display_name: person.name ?? null,
        links: { avatar: { href: `https://bitbucket.org/account/user${person.id}/avatar/` } },
      }),
      "/2.0/user/emails": (person) => ({
        pagelen: 10,
        values: person.email
          ? [
              { type: "email", email: `old-${person.email}`, is_primary: false, is_confirmed: true },
              { type: "email", email: person.email, is_primary: true, is_confirmed: person.verified },
            ]
          : [],
      }),
    },
  },
  /** Sign in with Slack (OpenID Connect): client_secret_post, openid.connect.userInfo. */
  slack: {
    authorize: "/openid/connect/authorize",
    token: "/api/openid.connect.token",
    clientAuth: "post",
    requires: { response_type: "code", scope: /\bopenid\b/ },
    tokenAnswer: async (_grant, _req, accessToken) => ({
      type: "application/json",
      body: JSON.stringify({ ok: true, access_token: accessToken, token_type: "Bearer", id_token: "unused" }),
    }),
    resources: {
      "/api/openid.connect.userInfo": (person) => ({
        ok: true,
        ...standardClaims(person),
        "https://slack.com/team_id": "T0R7GR",
      }),
    },
  },
  /** Sign In with LinkedIn using OpenID Connect: client_secret_post, /v2/userinfo. */
  linkedin: {
    authorize: "/oauth/v2/authorization",
    token: "/oauth/v2/accessToken",
    clientAuth: "post",
    requires: { response_type: "code", scope: /\bopenid\b/ },
    resources: {
      "/v2/userinfo": (person) => ({
        ...standardClaims(person),
        given_name: "Lin",
        family_name: "Kedin",
        locale: "en_US",
      }),
    },
  },
  /** Facebook Login: client_secret_post, /me asked for its fields (no verification flag at all). */
  facebook: {
    authorize: "/v19.0/dialog/oauth",
    token: "/v19.0/oauth/access_token",
    clientAuth: "post",
    requires: { response_type: "code" },
    resources: {
      "/me": (person, req) => {
        const fields = new URL(req.url ?? "/", "http://x").searchParams.get("fields")?.split(",") ?? ["id", "name"];
        const all: Record<string, unknown> = {
          id: person.id,
          name: person.name ?? null,
          first_name: "Face",
          last_name: "Book",
          email: person.email,
          picture: { data: { url: `https://platform-lookaside.fbsbx.com/${person.id}`, is_silhouette: false } },
        };
        return Object.fromEntries(fields.filter((field) => field in all).map((field) => [field, all[field]]));
      },
    },
  },
  /** X (Twitter) OAuth 2.0: S256 PKCE required, HTTP Basic for a confidential client, /2/users/me in `data`. */
  twitter: {
    authorize: "/i/oauth2/authorize",
    token: "/2/oauth2/token",
    clientAuth: "basic",
    requires: { response_type: "code", ...S256 },
    resources: {
      "/2/users/me": (person, req) => {
        const fields = new URL(req.url ?? "/", "http://x").searchParams.get("user.fields") ?? "";
        return {
          data: {
            id: person.id,
            name: person.name ?? null,
            username: `user${person.id}`,
            ...(fields.includes("profile_image_url")
              ? { profile_image_url: `https://pbs.twimg.com/profile_images/${person.id}.jpg` }
              : {}),
          },
        };
      },
    },
  },
  /** Twitch OIDC: client_secret_post, the userinfo claims asked for in `claims`, preferred_username. */
  twitch: {
    authorize: "/oauth2/authorize",
    token: "/oauth2/token",
    clientAuth: "post",
    requires: { response_type: "code", scope: /\bopenid\b/, claims: /"userinfo"/ },
    resources: {
      "/oauth2/userinfo": (person) => ({
        aud: CLIENT_ID,
        iss: "https://id.twitch.tv/oauth2",
        sub: person.id,
        email: person.email,
        email_verified: person.verified,
        picture: `https://static-cdn.jtvnw.net/${person.id}.png`,
        preferred_username: person.name ?? null,
      }),
    },
  },
} satisfies Record<string, UpstreamSpec>;
