import type { IncomingMessage, ServerResponse } from "node:http";
import { isId, releaseClaims } from "@authpi/domain";
import { type PooledProvider, userClaimValues } from "@authpi/server";
import type Provider from "oidc-provider";
import type { SignInDeps } from "./hosted/context.ts";
import { FormRefused, readForm, sendHtml, sendJson } from "./hosted/http.ts";
import { createInteraction } from "./hosted/interaction.ts";
import { federationCallback } from "./hosted/methods/federated.ts";
import { HOSTED_METHODS } from "./hosted/methods/index.ts";
import { errorPage } from "./pages.ts";

export const OIDC_PREFIX = "/oidc/";

type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * `/oidc/{issuer_id}/…`: each issuer's OpenID Provider (oidc-provider, from the pool) and its
 * hosted sign-in pages. Errors here are OAuth errors (JSON at the endpoints, an HTML page in the
 * browser), never the `/v1` error shape and never a stack trace.
 */
export function createOidcHandler(deps: SignInDeps): NodeHandler {
  const { pool, logger } = deps;
  const interaction = createInteraction(deps, HOSTED_METHODS);
  const callbacks = new WeakMap<Provider, NodeHandler>();

  function providerCallback(provider: Provider): NodeHandler {
    let callback = callbacks.get(provider);
    if (!callback) {
      callback = provider.callback() as NodeHandler;
      callbacks.set(provider, callback);
    }
    return callback;
  }

  async function userinfo(req: IncomingMessage, res: ServerResponse, pooled: PooledProvider): Promise<void> {
    const challenge = (error: string, description: string) =>
      sendJson(
        res,
        401,
        { error, error_description: description },
        {
          "www-authenticate": `Bearer realm="${pooled.issuerUrl}", error="${error}", error_description="${description}"`,
        },
      );
    if (req.method !== "GET" && req.method !== "POST") {
      sendJson(res, 405, { error: "invalid_request", error_description: "use GET or POST" }, { allow: "GET, POST" });
      return;
    }
    const header = req.headers.authorization ?? "";
    const match = /^Bearer ([^\s]+)$/i.exec(header);
    if (!match?.[1]) {
      res
        .writeHead(401, { "www-authenticate": `Bearer realm="${pooled.issuerUrl}"`, "cache-control": "no-store" })
        .end();
      return;
    }
    const token = await pooled.provider.AccessToken.find(match[1]);
    if (!token || token.isExpired || !token.accountId) {
      challenge("invalid_token", "the access token is invalid or expired");
      return;
    }
    const grant = token.grantId ? await pooled.provider.Grant.find(token.grantId) : undefined;
    const user = await deps.users.findById(pooled.issuer.id, token.accountId);
    if (!grant || !user || user.status !== "active") {
      challenge("invalid_token", "the access token is no longer valid");
      return;
    }
    const scopes = (token.scope ?? "").split(" ").filter((scope) => pooled.issuer.availableScopes.includes(scope));
    if (!scopes.includes("openid")) {
      sendJson(res, 403, { error: "insufficient_scope", error_description: "the token was not granted openid" });
      return;
    }
    sendJson(res, 200, { sub: user.id, ...releaseClaims(userClaimValues(user), scopes) });
  }

  /**
   * oidc-provider refuses to introspect or revoke structured (JWT) tokens. AuthPI stores a record
   * of every JWT access token under its `jti` (see the jwt customizer in provider.ts), so a JWT of
   * this issuer with a valid signature is handed to the provider as that id; one that does not
   * verify becomes an unknown token (inactive; revocation answers 200 as RFC 7009 asks).
   */
  async function acceptJwtAccessTokens(req: IncomingMessage, pooled: PooledProvider): Promise<void> {
    if (!String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) return;
    const form = await readForm(req);
    const token = form.get("token") ?? "";
    if (token.split(".").length === 3) {
      const payload = await pooled.verifyAccessToken(token);
      form.set("token", typeof payload?.jti === "string" ? payload.jti : "unknown");
    }
    // The provider reads an already-read body from `req.body`.
    const body = form.toString();
    (req as IncomingMessage & { body?: string }).body = body;
    req.headers["content-length"] = String(Buffer.byteLength(body));
  }

  /** Only an active issuer signs users in or issues tokens; discovery and JWKS stay served. */
  function refuseInactive(req: IncomingMessage, res: ServerResponse, pooled: PooledProvider, path: string): boolean {
    if (pooled.issuer.status === "active") return false;
    if (path === "/.well-known/openid-configuration" || path === "/jwks") return false;
    const description = `the issuer is ${pooled.issuer.status}`;
    if (path.startsWith("/token")) {
      sendJson(res, 401, { error: "invalid_client", error_description: description });
    } else if (path === "/userinfo") {
      sendJson(res, 401, { error: "invalid_token", error_description: description });
    } else {
      sendHtml(res, 403, errorPage(pooled.issuer, "access_denied", `Sign-in is unavailable: ${description}.`));
    }
    void req;
    return true;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const original = req.url ?? "/";
    const rest = original.slice(OIDC_PREFIX.length);
    const slash = rest.search(/[/?]/);
    const issuerId = slash === -1 ? rest : rest.slice(0, slash);
    const inner = slash === -1 ? "/" : rest.slice(slash);
    const pooled = isId("issuer", issuerId) ? await pool.get(issuerId) : null;
    if (!pooled) {
      sendJson(res, 404, { error: "not_found", error_description: "no such issuer" });
      return;
    }
    const path = inner.split("?")[0] ?? "/";
    if (refuseInactive(req, res, pooled, path)) return;

    if (path === "/userinfo") {
      await userinfo(req, res, pooled);
      return;
    }
    const interactionMatch = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/([a-z0-9-]+)(?:\/([A-Za-z0-9_-]+))?)?$/.exec(path);
    if (interactionMatch?.[1]) {
      await interaction(req, res, pooled, interactionMatch[1], interactionMatch[2], interactionMatch[3]);
      return;
    }
    // Where a federated method's upstream sends the browser back (its `callback_url`).
    const callbackMatch = /^\/callback\/(am_[0-9A-Za-z]{1,64})$/.exec(path);
    if (callbackMatch?.[1]) {
      await federationCallback(deps, req, res, pooled, callbackMatch[1]);
      return;
    }
    if (req.method === "POST" && (path === "/token/introspection" || path === "/token/revocation")) {
      await acceptJwtAccessTokens(req, pooled);
    }
    // oidc-provider mounted under a prefix: it sees the path below the issuer, and
    // `originalUrl` keeps the full one for the URLs it builds.
    (req as IncomingMessage & { originalUrl?: string }).originalUrl = original;
    req.url = inner.startsWith("/") ? inner : `/${inner}`;
    providerCallback(pooled.provider)(req, res);
  }

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof FormRefused) {
        if (!res.headersSent)
          sendJson(res, error.status, { error: "invalid_request", error_description: error.description });
        else res.end();
        return;
      }
      logger.error({ err: error instanceof Error ? error.message : String(error) }, "oidc request failed");
      if (!res.headersSent) sendJson(res, 500, { error: "server_error", error_description: "an unexpected error" });
      else res.end();
    });
  };
}
