import { randomBytes } from "node:crypto";
import { mfaStep, type PoolUser } from "@authpi/domain";
import {
  type ConfiguredMethod,
  type PasskeyChallenge,
  type PasskeySettings,
  type RelyingParty,
  relyingParty,
} from "@authpi/server";
import { escapeHtml } from "../../pages.ts";
import type { HostedMethod, StepContext } from "../context.ts";
import { alert, csrfField } from "../fields.ts";
import { PAGE_CSP } from "../http.ts";
import { mfaOfferAnswered } from "./mfa.ts";

/**
 * `passkey` (WebAuthn). A passkey enabled for sign-in always signs in by itself ("Sign in with a
 * passkey", a discoverable credential); with `first_factor_only: false` it is also a second factor
 * (`passkey-mfa`, enrolled at `passkey-enrol`). A user without one is offered to add one before the
 * tokens (skippable). A passkey verified with user verification (PIN, biometrics) is two factors in
 * one: amr `hwk user mfa`, and no second factor is asked; without it, amr `hwk user`.
 * The ceremonies run in the page's one inline script (its nonce in the page's CSP), which posts the
 * browser's answer back in a plain form.
 */

const SCRATCH = "passkey";

interface PasskeyScratch {
  challenge?: PasskeyChallenge | null;
  /** The factor the first factor used: it cannot serve as the second one too. */
  firstFactorId?: string;
  /** The "add a passkey" offer was answered (added or skipped) in this sign-in. */
  offerDone?: boolean;
}

const scratchOf = (ctx: StepContext): PasskeyScratch => (ctx.state.scratch[SCRATCH] ?? {}) as PasskeyScratch;

async function saveScratch(ctx: StepContext, change: Partial<PasskeyScratch>): Promise<void> {
  ctx.state = { ...ctx.state, scratch: { ...ctx.state.scratch, [SCRATCH]: { ...scratchOf(ctx), ...change } } };
  await ctx.save();
}

/** The challenge of this sign-in, taken out of the state before it is checked: each is used once. */
async function takeChallenge(ctx: StepContext): Promise<PasskeyChallenge | null> {
  const challenge = scratchOf(ctx).challenge ?? null;
  await saveScratch(ctx, { challenge: null });
  return challenge;
}

const AMR = ["hwk", "user"];

/** The enabled passkey method and its relying party, or the answer already sent (disabled, misconfigured). */
function enabledPasskey(
  ctx: StepContext,
  need: { secondFactor?: boolean; user?: boolean } = {},
): { method: ConfiguredMethod; rp: RelyingParty } | null {
  const method = ctx.enabled("passkey");
  if (!method || (need.secondFactor && method.firstFactorOnly)) {
    ctx.fail(404, "invalid_request", "Passkeys are not available here.");
    return null;
  }
  if (need.user && !ctx.state.userId) {
    ctx.redirect(ctx.base);
    return null;
  }
  const party = relyingParty(method.settings as unknown as PasskeySettings, ctx.issuer.name, ctx.pooled.issuerUrl);
  if (!party.ok) {
    ctx.deps.logger.warn(
      { issuerId: ctx.issuer.id, authMethodId: method.id },
      "passkey rp_id does not match the public URL",
    );
    ctx.fail(400, "invalid_request", party.message);
    return null;
  }
  return { method, rp: party.rp };
}

/** The sign-in limits' keys (`deps.attempts`): failed passkey attempts per sign-in or user, and per client IP. */
const limitKeys = (ctx: StepContext, key: string) =>
  [`${ctx.issuer.id}:passkey:${key}`, `${ctx.issuer.id}:${ctx.ip}`] as const;
const retryAfter = (seconds: number) => ({ "retry-after": String(seconds) });

// The ceremony in the browser: base64url fields of the options become bytes, the credential's
// bytes become base64url fields of the JSON posted back (the shapes @simplewebauthn/server reads).
const SCRIPT = `(() => {
  const form = document.getElementById("passkey-form");
  const status = document.getElementById("passkey-status");
  const options = JSON.parse(form.dataset.options);
  const bytes = (text) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  const text = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  const ids = (list) => (list || []).map((item) => ({ ...item, id: bytes(item.id) }));
  async function ceremony() {
    const publicKey = { ...options, challenge: bytes(options.challenge) };
    const credential = form.dataset.ceremony === "create"
      ? await navigator.credentials.create({ publicKey: { ...publicKey, user: { ...options.user, id: bytes(options.user.id) }, excludeCredentials: ids(options.excludeCredentials) } })
      : await navigator.credentials.get({ publicKey: { ...publicKey, allowCredentials: ids(options.allowCredentials) } });
    const r = credential.response;
    const response = form.dataset.ceremony === "create"
      ? { clientDataJSON: text(r.clientDataJSON), attestationObject: text(r.attestationObject), transports: r.getTransports ? r.getTransports() : [] }
      : { clientDataJSON: text(r.clientDataJSON), authenticatorData: text(r.authenticatorData), signature: text(r.signature), userHandle: r.userHandle ? text(r.userHandle) : undefined };
    return { id: credential.id, rawId: text(credential.rawId), type: credential.type, authenticatorAttachment: credential.authenticatorAttachment || undefined, clientExtensionResults: credential.getClientExtensionResults(), response };
  }
  async function run() {
    status.textContent = "Follow your browser's passkey prompt.";
    try {
      form.elements.credential.value = JSON.stringify(await ceremony());
      form.submit();
    } catch {
      status.textContent = "The passkey prompt was closed or did not work. Try again, or choose another way.";
    }
  }
  form.addEventListener("submit", (event) => {
    if (form.elements.credential.value) return;
    event.preventDefault();
    run();
  });
  if (form.dataset.auto === "true") run();
})();`;

/** A page that runs one ceremony: the options for the browser, the form the answer is posted in. */
async function ceremonyPage(
  ctx: StepContext,
  page: {
    status?: number;
    title: string;
    intro: string;
    step: string;
    ceremony: "create" | "get";
    options: object;
    challenge: PasskeyChallenge;
    button: string;
    error?: string;
    after?: string;
    headers?: Record<string, string>;
  },
): Promise<void> {
  const nonce = randomBytes(16).toString("base64");
  await saveScratch(ctx, { challenge: page.challenge });
  ctx.page(
    page.status ?? 200,
    page.title,
    `<h1>${escapeHtml(page.title)}</h1>
${alert({ error: page.error })}<p id="passkey-status" role="status">${escapeHtml(page.intro)}</p>
<noscript><p class="error">Passkeys need JavaScript in this browser.</p></noscript>
<form method="post" action="${ctx.base}/${page.step}" id="passkey-form" data-ceremony="${page.ceremony}" data-auto="${page.ceremony === "get"}" data-options="${escapeHtml(JSON.stringify(page.options))}">
${csrfField(ctx)}
<input type="hidden" name="credential" value="">
<button type="submit">${escapeHtml(page.button)}</button>
</form>
${page.after ?? `<p class="alt"><a href="${ctx.base}">Other ways to sign in</a></p>`}
<script nonce="${nonce}">${SCRIPT}</script>`,
    { ...page.headers, "content-security-policy": `${PAGE_CSP}; script-src 'nonce-${nonce}'` },
  );
}

// --- first factor -------------------------------------------------------------------------------

async function showSignIn(ctx: StepContext, rp: RelyingParty, error?: string, status = 200, headers = {}) {
  const { options, challenge } = await ctx.deps.webauthn.authenticationOptions(rp, null);
  await ceremonyPage(ctx, {
    status,
    title: "Sign in with a passkey",
    intro: "Use the passkey you saved for this account.",
    step: "passkey",
    ceremony: "get",
    options,
    challenge,
    button: "Use a passkey",
    ...(error ? { error } : {}),
    headers,
  });
}

async function signInWithPasskey(ctx: StepContext, method: ConfiguredMethod, rp: RelyingParty): Promise<void> {
  const keys = limitKeys(ctx, `uid:${ctx.uid}`);
  const wait = await ctx.deps.attempts.blockedFor(...keys);
  if (wait > 0) {
    ctx.showSignIn(429, "Too many attempts. Try again later.", retryAfter(wait));
    return;
  }
  const outcome = await ctx.deps.webauthn.authenticate(rp, await takeChallenge(ctx), {
    issuerId: ctx.issuer.id,
    responseText: ctx.form.get("credential") ?? "",
  });
  const user = outcome.ok ? await ctx.deps.users.findById(ctx.issuer.id, outcome.factor.userId) : null;
  if (!outcome.ok || user?.status !== "active") {
    await ctx.deps.attempts.fail(...keys);
    await showSignIn(ctx, rp, "That passkey could not sign you in. Try again, or choose another way.", 401);
    return;
  }
  await ctx.deps.attempts.succeed(keys[0]);
  await ctx.deps.users.markSignedIn(ctx.issuer.id, user.id, ctx.deps.clock());
  await saveScratch(ctx, { firstFactorId: outcome.factor.id });
  await ctx.firstFactorPassed(user, {
    method,
    amr: outcome.userVerified ? [...AMR, "mfa"] : AMR,
    multiFactor: outcome.userVerified,
  });
}

// --- second factor ------------------------------------------------------------------------------

async function showChallenge(
  ctx: StepContext,
  rp: RelyingParty,
  userId: string,
  error?: string,
  status = 200,
  headers = {},
) {
  const { firstFactorId } = scratchOf(ctx);
  const allow = (await ctx.deps.factors.list(userId, "passkey")).filter((factor) => factor.id !== firstFactorId);
  if (allow.length === 0) {
    ctx.page(
      200,
      "Verify it's you",
      `<h1>Verify it's you</h1>
<p>Your passkey already signed you in; confirm with another factor, or <a href="${ctx.base}">sign in another way</a>.</p>`,
    );
    return;
  }
  const { options, challenge } = await ctx.deps.webauthn.authenticationOptions(rp, allow);
  await ceremonyPage(ctx, {
    status,
    title: "Verify it's you",
    intro: "Confirm your sign-in with your passkey.",
    step: "passkey-mfa",
    ceremony: "get",
    options,
    challenge,
    button: "Use a passkey",
    ...(error ? { error } : {}),
    after: `<p class="alt"><a href="${ctx.base}/mfa">Use another factor</a></p>`,
    headers,
  });
}

// --- registration -------------------------------------------------------------------------------

/**
 * Whether this user may register a passkey now: `mfa` when the MFA policy makes them enrol a
 * second factor, `offer` when nothing depends on it, `refused` when they must first prove a
 * factor they already have (a new passkey must not stand in for it).
 */
async function enrolment(
  ctx: StepContext,
  method: ConfiguredMethod,
  userId: string,
): Promise<"mfa" | "offer" | "refused"> {
  if (ctx.state.secondFactorPassed) return "offer";
  const step = mfaStep({
    policy: ctx.issuer.settings.mfa.policy,
    offered: ctx.secondFactors().map(({ entry }) => entry.factorType),
    enrolled: (await ctx.deps.factors.list(userId)).map((factor) => factor.type),
    satisfied: false,
  });
  if (step === "challenge") return "refused";
  return (step === "enrol" || step === "offer") && !method.firstFactorOnly ? "mfa" : "offer";
}

async function showEnrol(
  ctx: StepContext,
  method: ConfiguredMethod,
  rp: RelyingParty,
  user: PoolUser,
  mode: "mfa" | "offer",
  error?: string,
) {
  const { options, challenge } = await ctx.deps.webauthn.registrationOptions(
    rp,
    { id: user.id, name: user.email ?? user.phoneNumber ?? user.id, displayName: user.name ?? user.email ?? "" },
    { discoverable: method.firstFactorOnly },
  );
  await ceremonyPage(ctx, {
    status: error ? 400 : 200,
    title: mode === "mfa" ? "Add a passkey" : "Sign in faster with a passkey",
    intro:
      mode === "mfa"
        ? "This account needs a second factor: save a passkey on this device or a security key."
        : "Save a passkey for this account: next time, sign in with your device instead of a password.",
    step: "passkey-enrol",
    ceremony: "create",
    options,
    challenge,
    button: "Add a passkey",
    ...(error ? { error } : {}),
    after:
      mode === "mfa"
        ? `<p class="alt"><a href="${ctx.base}/mfa-enrol">Choose another factor</a></p>`
        : `<form method="post" action="${ctx.base}/passkey-skip" class="alt">
${csrfField(ctx)}
<button type="submit">Not now</button>
</form>`,
  });
}

/** The user of this sign-in and whether they may register now, or null when the answer was sent. */
async function enrollingUser(
  ctx: StepContext,
  method: ConfiguredMethod,
): Promise<{ user: PoolUser; mode: "mfa" | "offer" } | null> {
  const user = ctx.state.userId ? await ctx.deps.users.findById(ctx.issuer.id, ctx.state.userId) : null;
  if (!user) {
    ctx.redirect(ctx.base);
    return null;
  }
  const mode = await enrolment(ctx, method, user.id);
  if (mode === "refused") {
    ctx.redirect(`${ctx.base}/mfa`);
    return null;
  }
  return { user, mode };
}

export const passkeyMethod: HostedMethod = {
  methods: ["passkey"],
  signInEntry: (ctx) => `<form method="get" action="${ctx.base}/passkey" class="passkey">
<button type="submit">Sign in with a passkey</button>
</form>`,
  secondFactor: { factorType: "passkey", label: "Passkey", challengeStep: "passkey-mfa", enrolStep: "passkey-enrol" },
  steps: {
    passkey: {
      async GET(ctx) {
        const found = enabledPasskey(ctx);
        if (found) await showSignIn(ctx, found.rp);
      },
      async POST(ctx) {
        const found = enabledPasskey(ctx);
        if (found) await signInWithPasskey(ctx, found.method, found.rp);
      },
    },
    "passkey-mfa": {
      async GET(ctx) {
        const found = enabledPasskey(ctx, { secondFactor: true, user: true });
        if (found && ctx.state.userId) await showChallenge(ctx, found.rp, ctx.state.userId);
      },
      async POST(ctx) {
        const found = enabledPasskey(ctx, { secondFactor: true, user: true });
        const userId = ctx.state.userId;
        if (!found || !userId) return;
        const again = (error: string, status: number, headers = {}) =>
          showChallenge(ctx, found.rp, userId, error, status, headers);
        const keys = limitKeys(ctx, userId);
        const wait = await ctx.deps.attempts.blockedFor(...keys);
        if (wait > 0) {
          await again("Too many attempts. Try again later.", 429, retryAfter(wait));
          return;
        }
        const outcome = await ctx.deps.webauthn.authenticate(found.rp, await takeChallenge(ctx), {
          issuerId: ctx.issuer.id,
          expectedUserId: userId,
          responseText: ctx.form.get("credential") ?? "",
        });
        if (!outcome.ok || outcome.factor.id === scratchOf(ctx).firstFactorId) {
          await ctx.deps.attempts.fail(...keys);
          await again("That passkey could not confirm your sign-in. Try again.", 401);
          return;
        }
        await ctx.deps.attempts.succeed(keys[0]);
        await ctx.secondFactorPassed({ method: found.method, amr: AMR });
      },
    },
    "passkey-enrol": {
      async GET(ctx) {
        const found = enabledPasskey(ctx, { user: true });
        const enrolling = found && (await enrollingUser(ctx, found.method));
        if (found && enrolling) await showEnrol(ctx, found.method, found.rp, enrolling.user, enrolling.mode);
      },
      async POST(ctx) {
        const found = enabledPasskey(ctx, { user: true });
        const enrolling = found && (await enrollingUser(ctx, found.method));
        if (!found || !enrolling) return;
        const { user, mode } = enrolling;
        const outcome = await ctx.deps.webauthn.register(
          found.rp,
          await takeChallenge(ctx),
          user.id,
          ctx.form.get("credential") ?? "",
        );
        if (!outcome.ok) {
          await showEnrol(ctx, found.method, found.rp, user, mode, "That passkey could not be saved. Try again.");
          return;
        }
        await saveScratch(ctx, { offerDone: true });
        // A new passkey proves possession of an authenticator: it passes MFA where the policy asks
        // it and the user had no factor to prove instead (enrolment() refused the other cases).
        if (
          !found.method.firstFactorOnly &&
          ctx.issuer.settings.mfa.policy !== "off" &&
          !ctx.state.secondFactorPassed
        ) {
          await ctx.secondFactorPassed({ method: found.method, amr: AMR });
          return;
        }
        await ctx.proceed();
      },
    },
    "passkey-skip": {
      async POST(ctx) {
        if (!enabledPasskey(ctx, { user: true })) return;
        await saveScratch(ctx, { offerDone: true });
        await ctx.proceed();
      },
    },
  },
  async beforeTokens(ctx, user) {
    const method = ctx.enabled("passkey");
    if (!method || scratchOf(ctx).offerDone || ctx.state.firstFactor?.method === "passkey") return undefined;
    // A passkey that is a second factor was among the factors just offered (and declined).
    if (!method.firstFactorOnly && mfaOfferAnswered(ctx)) return undefined;
    const party = relyingParty(method.settings as unknown as PasskeySettings, ctx.issuer.name, ctx.pooled.issuerUrl);
    if (!party.ok) return undefined;
    const passkeys = await ctx.deps.factors.list(user.id, "passkey");
    return passkeys.length === 0 ? "passkey-enrol" : undefined;
  },
};
