import type { IncomingMessage, ServerResponse } from "node:http";
import { type AuthMethodType, mfaStep, type PoolUser, signupOffered, verificationRequired } from "@authpi/domain";
import {
  type ConfiguredMethod,
  type IssuerSnapshot,
  type LoadedSignInState,
  type PooledProvider,
  SignInMovedOn,
} from "@authpi/server";
import type Provider from "oidc-provider";
import { errorPage, escapeHtml, layout } from "../pages.ts";
import type { HostedMethod, SecondFactorEntry, SignInDeps, Step, StepContext } from "./context.ts";
import { clientIp, readCookie, readForm, sendHtml } from "./http.ts";
import { mfaOfferAnswered } from "./methods/mfa.ts";

/** The remembered-device cookie (`mfa.remember_device_days`), on the issuer's `/oidc/{issuer}` path. */
export const REMEMBERED_DEVICE_COOKIE = "authpi_device";

/**
 * The hosted sign-in of one interaction, as steps: `/interaction/{uid}` is the sign-in page (every
 * method enabled for sign-in, featured first), `/interaction/{uid}/{step}[/{arg}]` a step of a
 * method (methods/*.ts) or of the flow itself. After the first factor the flow goes on by itself:
 * a pending password change, the email verification the signup policy asks, the MFA policy, then
 * tokens. Each step only moves the sign-in's state forward; `proceed` decides what comes next.
 */
export function createInteraction(deps: SignInDeps, methods: readonly HostedMethod[]) {
  const steps = new Map<string, Step>();
  for (const method of methods) {
    for (const [name, step] of Object.entries(method.steps)) {
      if (steps.has(name)) throw new Error(`two hosted methods declare the step "${name}"`);
      steps.set(name, step);
    }
  }
  const byType = new Map<AuthMethodType, HostedMethod>();
  for (const method of methods) for (const type of method.methods) byType.set(type, method);

  /** The second factors the issuer offers, with the hosted entry that serves each. */
  function secondFactors(issuer: IssuerSnapshot): { method: ConfiguredMethod; entry: SecondFactorEntry }[] {
    return issuer.methods.flatMap((method) => {
      const entry = byType.get(method.method)?.secondFactor;
      if (!entry || !method.enabledLogin || method.firstFactorOnly) return [];
      return [{ method, entry }];
    });
  }

  async function finishLogin(ctx: StepContext, user: PoolUser): Promise<void> {
    const { provider } = ctx.pooled;
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const clientId = String(details.params.client_id);
    const requested = String(details.params.scope ?? "openid").split(" ");
    // First-party sign-in: the issuer's own clients get the scopes they asked for (the provider
    // already refused scopes outside the client's), with no consent screen.
    const grant = details.grantId
      ? ((await provider.Grant.find(details.grantId)) ?? new provider.Grant({ accountId: user.id, clientId }))
      : new provider.Grant({ accountId: user.id, clientId });
    grant.addOIDCScope(requested.join(" "));
    grant.addResourceScope(ctx.pooled.issuerUrl, requested.join(" "));
    const grantId = await grant.save();
    await rememberDevice(ctx, user);
    const amr = [...new Set(ctx.state.amr)];
    const login = { accountId: user.id, ...(amr.length > 0 ? { amr } : {}) };
    const result = details.prompt.name === "login" ? { login, consent: { grantId } } : { consent: { grantId } };
    await ctx.deps.states.clear(ctx.issuer.id, ctx.uid);
    await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
  }

  /** After a second factor, `mfa.remember_device_days > 0`: this browser skips MFA for that long. */
  async function rememberDevice(ctx: StepContext, user: PoolUser): Promise<void> {
    const days = ctx.issuer.settings.mfa.remember_device_days;
    if (!ctx.state.secondFactorPassed || days <= 0) return;
    const factorIds = (await ctx.deps.factors.list(user.id)).map((factor) => factor.id);
    const device = await ctx.deps.rememberedDevices.remember(ctx.issuer.id, user.id, factorIds, days);
    const path = new URL(ctx.pooled.issuerUrl).pathname;
    const secure = ctx.pooled.issuerUrl.startsWith("https:") ? "; Secure" : "";
    ctx.res.appendHeader(
      "set-cookie",
      `${REMEMBERED_DEVICE_COOKIE}=${device.value}; Path=${path}; Max-Age=${device.maxAgeSeconds}; HttpOnly; SameSite=Lax${secure}`,
    );
  }

  async function proceed(ctx: StepContext): Promise<void> {
    const { state, issuer } = ctx;
    const user = state.userId ? await ctx.deps.users.findById(issuer.id, state.userId) : null;
    if (user?.status !== "active") {
      ctx.state = { ...state, userId: null, firstFactor: null, amr: [] };
      await ctx.save();
      ctx.redirect(ctx.base);
      return;
    }
    if (state.mustChangePassword) {
      ctx.redirect(`${ctx.base}/change-password`);
      return;
    }
    if (
      user.email &&
      verificationRequired(issuer.settings.signup, { email: user.email, email_verified: user.emailVerified })
    ) {
      if (!(await ctx.deps.verification.pending(issuer.id, ctx.uid))) {
        await ctx.deps.verification.start(issuer.id, ctx.uid, { userId: user.id, email: user.email }, ctx.displayName);
      }
      ctx.redirect(`${ctx.base}/verify`);
      return;
    }
    const offered = secondFactors(issuer).map(({ entry }) => entry.factorType);
    const factors = await ctx.deps.factors.list(user.id);
    const enrolled = factors.map((factor) => factor.type);
    const policy = issuer.settings.mfa.policy;
    // A remembered device stands for a second factor only where one would be challenged.
    const remembered =
      !state.secondFactorPassed &&
      policy !== "off" &&
      issuer.settings.mfa.remember_device_days > 0 &&
      enrolled.some((type) => offered.includes(type)) &&
      (await ctx.deps.rememberedDevices.recognises(
        issuer.id,
        user.id,
        readCookie(ctx.req, REMEMBERED_DEVICE_COOKIE),
        factors.map((factor) => factor.id),
        issuer.settings.mfa.remember_device_days,
      ));
    const next = mfaStep({ policy, offered, enrolled, satisfied: state.secondFactorPassed || remembered });
    if (next === "challenge") {
      ctx.redirect(`${ctx.base}/mfa`);
      return;
    }
    if (next === "enrol" || (next === "offer" && !mfaOfferAnswered(ctx))) {
      ctx.redirect(`${ctx.base}/mfa-enrol`);
      return;
    }
    if (next === "unavailable") {
      ctx.fail(403, "access_denied", "A second factor is required, but none can be enrolled here.");
      return;
    }
    for (const method of methods) {
      const offer = await method.beforeTokens?.(ctx, user);
      if (offer) {
        ctx.redirect(`${ctx.base}/${offer}`);
        return;
      }
    }
    await finishLogin(ctx, user);
  }

  function context(
    req: IncomingMessage,
    res: ServerResponse,
    pooled: PooledProvider,
    uid: string,
    arg: string | undefined,
    form: URLSearchParams,
    loaded: LoadedSignInState,
  ): StepContext {
    let revision = loaded.revision;
    const { issuer } = pooled;
    const base = `${pooled.issuerUrl.replace(/^https?:\/\/[^/]+/, "")}/interaction/${uid}`;
    const query = new URL(req.url ?? "/", "http://localhost").searchParams;
    const ctx: StepContext = {
      req,
      res,
      pooled,
      issuer,
      deps,
      uid,
      base,
      csrf: deps.pool.csrfToken(issuer.id, uid),
      arg,
      query,
      form,
      ip: clientIp(req, deps.trustProxy),
      displayName: issuer.settings.branding.display_name ?? issuer.name,
      state: loaded.state,
      async save() {
        revision = await deps.states.save(issuer.id, uid, ctx.state, revision);
      },
      page: (status, title, body, headers = {}) => sendHtml(res, status, layout(issuer, title, body), headers),
      fail: (status, error, description) => sendHtml(res, status, errorPage(issuer, error, description)),
      redirect: (to) => {
        res.writeHead(303, { location: to, "cache-control": "no-store" }).end();
      },
      enabled(method, purpose = "login") {
        return issuer.methods.find(
          (m) => m.method === method && (purpose === "login" ? m.enabledLogin : m.enabledSignup),
        );
      },
      signUpAllowed: (method) => method.enabledSignup && signupOffered(issuer.settings.signup),
      showSignIn: (status, error, headers) => showSignIn(ctx, status, error, headers),
      async firstFactorPassed(user, via) {
        ctx.state = {
          ...ctx.state,
          userId: user.id,
          firstFactor: { method: via.method.method, authMethodId: via.method.id },
          amr: [...via.amr],
          // Someone who passed one account's MFA and then signs in as another gets no pass for it.
          secondFactorPassed:
            via.multiFactor === true || (ctx.state.secondFactorPassed && ctx.state.userId === user.id),
          mustChangePassword: via.mustChangePassword ?? false,
        };
        await ctx.save();
        await proceed(ctx);
      },
      async secondFactorPassed(via) {
        ctx.state = { ...ctx.state, secondFactorPassed: true, amr: [...ctx.state.amr, ...via.amr, "mfa"] };
        await ctx.save();
        await proceed(ctx);
      },
      proceed: () => proceed(ctx),
      secondFactors: () => secondFactors(issuer),
      async mayEnrolSecondFactor() {
        if (!ctx.state.userId || issuer.settings.mfa.policy === "off") return false;
        if (ctx.state.secondFactorPassed) return true;
        const offered = new Set(secondFactors(issuer).map(({ entry }) => entry.factorType));
        return !(await deps.factors.list(ctx.state.userId)).some((factor) => offered.has(factor.type));
      },
      async secondFactorEnrolled(via) {
        if (!ctx.state.secondFactorPassed) {
          ctx.state = { ...ctx.state, secondFactorPassed: true, amr: [...ctx.state.amr, ...via.amr, "mfa"] };
          await ctx.save();
        }
        // Recovery codes right after another factor, while the user has none.
        const recovery = secondFactors(issuer).find(
          ({ entry }) => entry.recovery && entry.factorType !== via.factorType,
        );
        if (recovery && ctx.state.userId) {
          const held = await deps.factors.list(ctx.state.userId, recovery.entry.factorType);
          if (held.length === 0) {
            ctx.redirect(`${ctx.base}/${recovery.entry.enrolStep}`);
            return;
          }
        }
        await proceed(ctx);
      },
    };
    return ctx;
  }

  /** The sign-in page: every method enabled for sign-in, featured first (the snapshot's order). */
  function showSignIn(ctx: StepContext, status: number, error?: string, headers: Record<string, string> = {}): void {
    const entries = ctx.issuer.methods
      .filter((method) => method.enabledLogin)
      .flatMap((method) => byType.get(method.method)?.signInEntry?.(ctx, method) || []);
    const signUp = ctx.issuer.methods.some(
      (method) => ctx.signUpAllowed(method) && byType.get(method.method)?.signUpEntry,
    )
      ? `<p class="alt">No account yet? <a href="${ctx.base}/signup">Create one</a></p>`
      : "";
    const alert = error ? `<p class="error" role="alert">${escapeHtml(error)}</p>\n` : "";
    const body =
      entries.length === 0
        ? `<h1>Sign in</h1>\n<p class="error" role="alert">No sign-in method is available here.</p>`
        : `<h1>Sign in</h1>\n${alert}${entries.join('\n<p class="or">or</p>\n')}\n${signUp}`;
    ctx.page(status, "Sign in", body, headers);
  }
  const signInPage: Step = {
    async GET(ctx) {
      showSignIn(ctx, 200);
    },
  };

  const signUpPage: Step = {
    async GET(ctx) {
      const entries = ctx.issuer.methods
        .filter((method) => ctx.signUpAllowed(method))
        .flatMap((method) => byType.get(method.method)?.signUpEntry?.(ctx, method) ?? []);
      if (entries.length === 0) {
        ctx.fail(404, "access_denied", "Sign-up is not available here.");
        return;
      }
      ctx.page(
        200,
        "Create an account",
        `<h1>Create an account</h1>${entries.join('\n<p class="or">or</p>\n')}
<p class="alt">Already have an account? <a href="${ctx.base}">Sign in</a></p>`,
      );
    },
  };

  return async function interaction(
    req: IncomingMessage,
    res: ServerResponse,
    pooled: PooledProvider,
    uid: string,
    stepName: string | undefined,
    arg: string | undefined,
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
    const state = await deps.states.load(issuer.id, uid);
    const run = async (ctx: StepContext, fn: (ctx: StepContext) => Promise<void>) => {
      try {
        await fn(ctx);
      } catch (error) {
        if (!(error instanceof SignInMovedOn) || res.headersSent) throw error;
        // Another request of this sign-in (a second tab, a double submit, parallel guesses) saved first.
        ctx.page(
          409,
          "Sign in",
          `<h1>Sign in</h1>\n<p class="error" role="alert">This sign-in moved on in another window or request.</p>\n<p class="alt"><a href="${ctx.base}">Continue</a></p>`,
        );
      }
    };

    // An existing session only needs the grant (the provider asks consent for a new client).
    if (details.prompt.name === "consent" && details.session?.accountId) {
      const user = await deps.users.findById(issuer.id, details.session.accountId);
      const ctx = context(req, res, pooled, uid, arg, new URLSearchParams(), state);
      if (user?.status === "active") {
        await finishLogin(ctx, user);
        return;
      }
    }

    const step = stepName === undefined ? signInPage : stepName === "signup" ? signUpPage : steps.get(stepName);
    const handler = req.method === "GET" ? step?.GET : req.method === "POST" ? step?.POST : undefined;
    if (!handler) {
      sendHtml(res, 404, errorPage(issuer, "invalid_request", "No such page."));
      return;
    }
    let form = new URLSearchParams();
    if (req.method === "POST") {
      form = await readForm(req);
      if (!deps.pool.csrfValid(issuer.id, uid, form.get("csrf"))) {
        sendHtml(res, 403, errorPage(issuer, "invalid_request", "The form expired. Reload the page and try again."));
        return;
      }
    }
    await run(context(req, res, pooled, uid, arg, form, state), handler);
  };
}
