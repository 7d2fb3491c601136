import type { IncomingMessage, ServerResponse } from "node:http";
import {
  DomainError,
  isId,
  type PoolUser,
  releaseClaims,
  signupOffered,
  signupRefusal,
  verificationRequired,
} from "@authpi/domain";
import {
  type EmailVerification,
  type PasswordSignIn,
  type PooledProvider,
  type ProviderPool,
  type UserDirectory,
  userClaimValues,
} from "@authpi/server";
import type Provider from "oidc-provider";
import type { Logger } from "../logger.ts";
import { errorPage, signInPage, signUpPage, verifyEmailPage } from "./pages.ts";

export const OIDC_PREFIX = "/oidc/";

export interface OidcHandlerOptions {
  pool: ProviderPool;
  users: UserDirectory;
  signIn: PasswordSignIn;
  verification: EmailVerification;
  logger: Logger;
  /** Trust X-Forwarded-For for the client IP (sign-in limits). */
  trustProxy: boolean;
}

type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

const FORM_LIMIT = 16 * 1024;

function sendJson(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers });
  res.end(JSON.stringify(body));
}

function sendHtml(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "x-frame-options": "DENY",
    "content-security-policy":
      "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; form-action 'self' *; frame-ancestors 'none'",
    ...headers,
  });
  res.end(html);
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = req.headers["content-type"] ?? "";
  if (!type.startsWith("application/x-www-form-urlencoded")) return new URLSearchParams();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > FORM_LIMIT) throw new Error("form too large");
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

function clientIp(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy
    ? String(req.headers["x-forwarded-for"] ?? "")
        .split(",")[0]
        ?.trim()
    : "";
  return forwarded || req.socket.remoteAddress || "unknown";
}

/**
 * `/oidc/{issuer_id}/…`: each issuer's OpenID Provider (oidc-provider, from the pool) and its
 * hosted sign-in pages. Errors here are OAuth errors (JSON at the endpoints, an HTML page in the
 * browser), never the `/v1` error shape and never a stack trace.
 */
export function createOidcHandler(options: OidcHandlerOptions): NodeHandler {
  const { pool, logger } = options;
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
    const user = await options.users.findById(pooled.issuer.id, token.accountId);
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

  async function finishLogin(
    req: IncomingMessage,
    res: ServerResponse,
    pooled: PooledProvider,
    accountId: string,
  ): Promise<void> {
    const { provider } = pooled;
    const details = await provider.interactionDetails(req, res);
    const clientId = String(details.params.client_id);
    const requested = String(details.params.scope ?? "openid").split(" ");
    // First-party sign-in: the issuer's own clients get the scopes they asked for (the provider
    // already refused scopes outside the client's), with no consent screen.
    const grant = details.grantId
      ? ((await provider.Grant.find(details.grantId)) ?? new provider.Grant({ accountId, clientId }))
      : new provider.Grant({ accountId, clientId });
    grant.addOIDCScope(requested.join(" "));
    grant.addResourceScope(pooled.issuerUrl, requested.join(" "));
    const grantId = await grant.save();
    const result =
      details.prompt.name === "login" ? { login: { accountId }, consent: { grantId } } : { consent: { grantId } };
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
  }

  async function interaction(
    req: IncomingMessage,
    res: ServerResponse,
    pooled: PooledProvider,
    uid: string,
    step: string | undefined,
  ): Promise<void> {
    const { provider, issuer } = pooled;
    let details: Awaited<ReturnType<Provider["interactionDetails"]>>;
    try {
      details = await provider.interactionDetails(req, res);
    } catch {
      sendHtml(
        res,
        400,
        errorPage(issuer, "invalid_request", "This sign-in has expired. Go back to the application and start again."),
      );
      return;
    }
    if (details.uid !== uid) {
      sendHtml(res, 400, errorPage(issuer, "invalid_request", "This sign-in does not belong to this browser."));
      return;
    }
    const base = `${pooled.issuerUrl.replace(/^https?:\/\/[^/]+/, "")}/interaction/${uid}`;
    const csrf = pool.csrfToken(issuer.id, uid);

    if (details.prompt.name === "consent" && details.session?.accountId) {
      await finishLogin(req, res, pooled, details.session.accountId);
      return;
    }

    const displayName = issuer.settings.branding.display_name ?? issuer.name;
    const signUpAllowed = signupOffered(issuer.settings.signup) && issuer.password?.enabledSignup === true;
    const signInPageFor = (extra: { email?: string; error?: string }) =>
      signInPage({
        issuer,
        action: `${base}/login`,
        csrf,
        signUpUrl: signUpAllowed ? `${base}/signup` : undefined,
        ...extra,
      });
    const redirect = (to: string) => {
      res.writeHead(303, { location: to, "cache-control": "no-store" }).end();
    };

    /** After the first factor: the email verification step when the issuer requires it, then tokens. */
    async function afterFirstFactor(user: PoolUser): Promise<void> {
      if (
        user.email &&
        verificationRequired(issuer.settings.signup, { email: user.email, email_verified: user.emailVerified })
      ) {
        await options.verification.start(issuer.id, uid, { userId: user.id, email: user.email }, displayName);
        redirect(`${base}/verify`);
        return;
      }
      await finishLogin(req, res, pooled, user.id);
    }

    if (req.method === "GET" && step === undefined) {
      sendHtml(res, 200, signInPageFor({}));
      return;
    }
    if (req.method === "GET" && step === "signup") {
      if (!signUpAllowed) {
        sendHtml(res, 404, errorPage(issuer, "access_denied", "Sign-up is not available here."));
        return;
      }
      sendHtml(res, 200, signUpPage({ issuer, action: `${base}/signup`, csrf, signInUrl: base }));
      return;
    }
    if (req.method === "GET" && step === "verify") {
      const pending = await options.verification.pending(issuer.id, uid);
      if (!pending) {
        redirect(base);
        return;
      }
      sendHtml(
        res,
        200,
        verifyEmailPage({
          issuer,
          action: `${base}/verify`,
          resendAction: `${base}/resend`,
          csrf,
          email: pending.email,
        }),
      );
      return;
    }
    if (req.method !== "POST" || !["login", "signup", "verify", "resend"].includes(step ?? "")) {
      sendHtml(res, 404, errorPage(issuer, "invalid_request", "No such page."));
      return;
    }

    const form = await readForm(req);
    if (!pool.csrfValid(issuer.id, uid, form.get("csrf"))) {
      sendHtml(res, 403, errorPage(issuer, "invalid_request", "The form expired. Reload the page and try again."));
      return;
    }

    if (step === "login") {
      const email = form.get("email") ?? "";
      const outcome = await options.signIn.signIn(issuer, {
        email,
        password: form.get("password") ?? "",
        ip: clientIp(req, options.trustProxy),
      });
      if (!outcome.ok) {
        if (outcome.reason === "too_many_attempts") {
          sendHtml(res, 429, signInPageFor({ email, error: "Too many attempts. Try again later." }), {
            "retry-after": String(outcome.retryAfterSeconds),
          });
          return;
        }
        const error =
          outcome.reason === "method_unavailable"
            ? "Password sign-in is not available here."
            : "Wrong email or password.";
        sendHtml(res, 401, signInPageFor({ email, error }));
        return;
      }
      await afterFirstFactor(outcome.user);
      return;
    }

    if (step === "signup") {
      if (!signUpAllowed) {
        sendHtml(res, 403, errorPage(issuer, "access_denied", "Sign-up is not available here."));
        return;
      }
      const email = (form.get("email") ?? "").trim();
      const name = (form.get("name") ?? "").trim();
      const again = (error: string, status = 400) =>
        sendHtml(
          res,
          status,
          signUpPage({ issuer, action: `${base}/signup`, csrf, signInUrl: base, email, name, error }),
        );
      const refusal = signupRefusal(issuer.settings.signup, email);
      if (refusal === "email_domain_not_allowed") {
        again("Sign-up is limited to some email domains; this one is not among them.", 403);
        return;
      }
      if (refusal) {
        again("Sign-up is not available here.", 403);
        return;
      }
      // An email that already has an account reads like a new one ("check your email"); its owner
      // gets a notice instead of a code, so the page tells nobody which emails exist.
      if (await options.users.findByEmail(issuer.id, email)) {
        await options.verification.start(issuer.id, uid, { userId: null, email }, displayName);
        redirect(`${base}/verify`);
        return;
      }
      let user: PoolUser;
      try {
        user = await options.users.signUp(issuer.id, {
          email,
          password: form.get("password") ?? "",
          ...(name ? { name } : {}),
        });
      } catch (error) {
        if (error instanceof DomainError) {
          again(error.code === "email_taken" ? "Check your email." : error.message);
          return;
        }
        throw error;
      }
      await afterFirstFactor(user);
      return;
    }

    if (step === "resend") {
      await options.verification.resend(issuer.id, uid, displayName);
      redirect(`${base}/verify`);
      return;
    }

    // step === "verify"
    const pending = await options.verification.pending(issuer.id, uid);
    const outcome = await options.verification.check(issuer.id, uid, form.get("code") ?? "");
    if (!outcome.ok) {
      const page = (error: string) =>
        verifyEmailPage({
          issuer,
          action: `${base}/verify`,
          resendAction: `${base}/resend`,
          csrf,
          email: pending?.email ?? "",
          error,
        });
      if (outcome.reason === "expired") {
        redirect(base);
        return;
      }
      if (outcome.reason === "too_many_attempts") {
        sendHtml(res, 429, page("Too many wrong codes. Send a new code."), { "retry-after": "60" });
        return;
      }
      sendHtml(res, 400, page("That code is wrong or has expired."));
      return;
    }
    await options.users.setEmailVerified(issuer.id, outcome.userId);
    await finishLogin(req, res, pooled, outcome.userId);
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
    const interactionMatch = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/([a-z-]+))?$/.exec(path);
    if (interactionMatch?.[1]) {
      await interaction(req, res, pooled, interactionMatch[1], interactionMatch[2]);
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
      logger.error({ err: error instanceof Error ? error.message : String(error) }, "oidc request failed");
      if (!res.headersSent) sendJson(res, 500, { error: "server_error", error_description: "an unexpected error" });
      else res.end();
    });
  };
}
