import type { IncomingMessage, ServerResponse } from "node:http";
import { DomainError, type PoolUser, signupRefusal } from "@authpi/domain";
import {
  type ConfiguredMethod,
  FEDERATED_METHODS,
  federationState,
  isFederated,
  type PendingUpstream,
  type PooledProvider,
  SignInMovedOn,
  sameState,
  UpstreamError,
  type UpstreamProfile,
  uidOfState,
} from "@authpi/server";
import { errorPage, escapeHtml } from "../../pages.ts";
import type { HostedMethod, SignInDeps, StepContext } from "../context.ts";
import { csrfField } from "../fields.ts";
import { readForm, sendHtml } from "../http.ts";

/**
 * Federated sign-in (`oidc`, `oauth2_manual`, `github`, `apple`, `oauth2`): a button per enabled
 * method; its POST (`/federated/{auth_method_id}`) keeps state, nonce and PKCE verifier in the
 * sign-in's state and sends the browser to the upstream. The upstream returns to the method's
 * `callback_url` (`/oidc/{issuer}/callback/{auth_method_id}`, GET, or POST for Apple's
 * form_post), outside the interaction's path-scoped cookie: the state names the interaction, the
 * answer is kept in its state, and the browser goes on to `/federated-return`, where its cookie
 * proves it is the browser that started. There the code is exchanged and the person signed in.
 */

const SCRATCH = "federation";

/** The upstream's answer, as much of it as a step needs (each value bounded). */
const CALLBACK_PARAMS = ["code", "state", "iss", "error", "user"] as const;
const MAX_PARAM = 8192;

interface FederationScratch {
  authMethodId: string;
  pending: PendingUpstream;
  /** Set by the callback; the return step uses it once. */
  callback?: Record<string, string>;
}

/** The redirect URI the upstream is sent: the callback URL, or for `oauth2` its `redirect_uri` setting. */
function redirectUriFor(pooled: PooledProvider, method: ConfiguredMethod): string {
  const configured = method.settings.redirect_uri;
  if (method.method === "oauth2" && typeof configured === "string") return configured;
  return `${pooled.issuerUrl}/callback/${method.id}`;
}

/** The issuer's federated auth method of this id when it is enabled for sign-in. */
function enabledMethod(issuer: PooledProvider["issuer"], id: string | undefined): ConfiguredMethod | undefined {
  return issuer.methods.find((m) => m.id === id && isFederated(m.method) && m.enabledLogin);
}

const button = (ctx: StepContext, method: ConfiguredMethod, verb: string) =>
  `<form method="post" action="${ctx.base}/federated/${escapeHtml(method.id)}" class="federated">
${csrfField(ctx)}
<button type="submit">${verb} ${escapeHtml(method.name)}</button>
</form>`;

/**
 * The person an upstream vouched for, as a user of this issuer: the linked identity; else the
 * user with that email when both the upstream and this issuer verified it (then linked); else a new
 * user where this method's sign-up is allowed. An unverified upstream email is never linked on.
 */
async function signInAs(ctx: StepContext, method: ConfiguredMethod, profile: UpstreamProfile): Promise<void> {
  const { users } = ctx.deps;
  const issuerId = ctx.issuer.id;
  const identity = { authMethodId: method.id, subject: profile.subject };
  const via = { method, amr: profile.amr };
  const signInAsUser = async (user: PoolUser) => {
    if (user.status !== "active") ctx.showSignIn(403, "This account cannot sign in.");
    else await ctx.firstFactorPassed(user, via);
  };
  const linked = await users.findByIdentity(issuerId, method.id, profile.subject);
  if (linked) {
    await signInAsUser(linked);
    return;
  }
  const taken = () =>
    ctx.showSignIn(
      409,
      `An account with this email already exists. Sign in to it another way; ${method.name} can be linked once ${method.name} and this account have both verified the email.`,
    );
  const existing = profile.email ? await users.findByEmail(issuerId, profile.email) : null;
  if (existing) {
    if (!profile.emailVerified || !existing.emailVerified) {
      taken();
      return;
    }
    await users.linkIdentity(issuerId, existing.id, identity);
    await signInAsUser(existing);
    return;
  }
  if (!ctx.signUpAllowed(method)) {
    ctx.showSignIn(403, `No account here is linked to this ${method.name} identity, and sign-up is not available.`);
    return;
  }
  if (!profile.email) {
    ctx.showSignIn(403, `${method.name} did not share an email address, which a new account here needs.`);
    return;
  }
  const refusal = signupRefusal(ctx.issuer.settings.signup, profile.email);
  if (refusal) {
    ctx.showSignIn(
      403,
      refusal === "email_domain_not_allowed"
        ? "Sign-up is limited to some email domains; this one is not among them."
        : "Sign-up is not available here.",
    );
    return;
  }
  let user: PoolUser;
  try {
    user = await users.signUpFederated(issuerId, { ...profile, email: profile.email }, identity);
  } catch (error) {
    if (error instanceof DomainError && error.code === "email_taken") {
      taken();
      return;
    }
    throw error;
  }
  await ctx.firstFactorPassed(user, via);
}

export const federatedMethod: HostedMethod = {
  methods: FEDERATED_METHODS,
  signInEntry: (ctx, method) => button(ctx, method, "Continue with"),
  // The same start serves both pages, and it needs the method enabled for sign-in.
  signUpEntry: (ctx, method) => (method.enabledLogin ? button(ctx, method, "Sign up with") : ""),
  steps: {
    federated: {
      async POST(ctx) {
        const method = enabledMethod(ctx.issuer, ctx.arg);
        if (!method) {
          ctx.fail(404, "invalid_request", "This sign-in method is not available here.");
          return;
        }
        let started: Awaited<ReturnType<SignInDeps["federation"]["start"]>>;
        try {
          started = await ctx.deps.federation.start(method, {
            redirectUri: redirectUriFor(ctx.pooled, method),
            state: federationState(ctx.uid),
          });
        } catch (error) {
          ctx.deps.logger.warn(
            { auth_method_id: method.id, reason: error instanceof UpstreamError ? error.reason : "start_failed" },
            `federated sign-in could not start: ${error instanceof Error ? error.message : String(error)}`,
          );
          ctx.showSignIn(502, `${method.name} cannot be reached right now. Try again later.`);
          return;
        }
        const scratch: FederationScratch = { authMethodId: method.id, pending: started.pending };
        ctx.state = { ...ctx.state, scratch: { ...ctx.state.scratch, [SCRATCH]: scratch } };
        await ctx.save();
        ctx.redirect(started.url.href);
      },
    },
    "federated-return": {
      async GET(ctx) {
        const scratch = ctx.state.scratch[SCRATCH] as FederationScratch | undefined;
        // Single use: whatever happens next, this answer is not exchanged twice.
        const { [SCRATCH]: _used, ...rest } = ctx.state.scratch;
        ctx.state = { ...ctx.state, scratch: rest };
        await ctx.save();
        const method = enabledMethod(ctx.issuer, scratch?.authMethodId);
        if (!scratch?.callback || !method) {
          ctx.showSignIn(400, "That sign-in did not come back from the provider. Try again.");
          return;
        }
        let profile: UpstreamProfile;
        try {
          profile = await ctx.deps.federation.finish(method, scratch.pending, scratch.callback);
        } catch (error) {
          if (!(error instanceof UpstreamError)) throw error;
          ctx.deps.logger.warn(
            { auth_method_id: method.id, reason: error.reason },
            `federated sign-in refused: ${error.message}`,
          );
          ctx.showSignIn(
            401,
            error.reason === "access_denied"
              ? `Sign-in with ${method.name} was cancelled.`
              : `Sign-in with ${method.name} failed. Try again.`,
          );
          return;
        }
        await signInAs(ctx, method, profile);
      },
    },
  },
};

/**
 * `/oidc/{issuer}/callback/{auth_method_id}`: where the upstream sends the browser back (GET, or a
 * POST for Apple's form_post, which carries no SameSite=Lax cookie). The state names the sign-in;
 * the answer is kept in its state only when the state is the one that sign-in sent, and the
 * browser goes on to the interaction, whose cookie binds it to that sign-in.
 */
export async function federationCallback(
  deps: SignInDeps,
  req: IncomingMessage,
  res: ServerResponse,
  pooled: PooledProvider,
  authMethodId: string,
): Promise<void> {
  const { issuer } = pooled;
  const refuse = (status: number, description: string) =>
    sendHtml(res, status, errorPage(issuer, "invalid_request", description));
  if (req.method !== "GET" && req.method !== "POST") {
    refuse(405, "No such page.");
    return;
  }
  const method = enabledMethod(issuer, authMethodId);
  if (!method) {
    refuse(404, "This sign-in method is not available here.");
    return;
  }
  const params = req.method === "POST" ? await readForm(req) : new URL(req.url ?? "/", "http://localhost").searchParams;
  const answer: Record<string, string> = {};
  for (const key of CALLBACK_PARAMS) {
    const value = params.get(key);
    if (value !== null) answer[key] = value.slice(0, MAX_PARAM);
  }
  const uid = uidOfState(answer.state);
  const loaded = uid ? await deps.states.load(issuer.id, uid) : null;
  const state = loaded?.state;
  const scratch = state?.scratch[SCRATCH] as FederationScratch | undefined;
  if (
    !uid ||
    !loaded ||
    !state ||
    !scratch ||
    scratch.callback ||
    scratch.authMethodId !== method.id ||
    !sameState(scratch.pending.state, answer.state)
  ) {
    deps.logger.warn({ auth_method_id: method.id }, "federated callback refused: unknown or reused state");
    refuse(400, "This answer does not belong to a sign-in in progress. Go back to the application and start again.");
    return;
  }
  try {
    await deps.states.save(
      issuer.id,
      uid,
      { ...state, scratch: { ...state.scratch, [SCRATCH]: { ...scratch, callback: answer } } },
      loaded.revision,
    );
  } catch (error) {
    if (!(error instanceof SignInMovedOn)) throw error;
    // The same answer delivered twice at once: the first one carries the sign-in on.
    refuse(400, "This answer does not belong to a sign-in in progress. Go back to the application and start again.");
    return;
  }
  res
    .writeHead(303, {
      location: `${pooled.issuerUrl.replace(/^https?:\/\/[^/]+/, "")}/interaction/${uid}/federated-return`,
      "cache-control": "no-store",
    })
    .end();
}
