import {
  type CodeChallenge,
  type CodeSettings,
  type ConfiguredMethod,
  checkCode,
  issueCode,
  resendWait,
} from "@authpi/server";
import { escapeHtml } from "../../pages.ts";
import type { HostedMethod, StepContext } from "../context.ts";
import { alert, codeField, csrfField } from "../fields.ts";
import {
  type Channel,
  methodUnavailable,
  normalizeEmail,
  normalizePhone,
  provenUser,
  resendStep,
  sendChallenge,
} from "../one-time.ts";

/**
 * `email_otp` and `sms_otp`: the user types an email or a phone number, gets a code of
 * `code_length` digits valid `ttl_seconds`, and types it on the next page; `max_attempts` wrong
 * codes kill it. An unknown email or number gets the same page, and a code only where sign-up by
 * this method is allowed (the user is created once the code is verified). RFC 8176: a code by
 * mail is `otp`; one by text message `sms`.
 */

interface ChannelSpec {
  method: "email_otp" | "sms_otp";
  channel: Channel;
  /** The path segment of its steps: `{step}`, `{step}-verify`, `{step}-resend`. */
  step: string;
  amr: string;
  field: { name: string; label: string; type: string; autocomplete: string; placeholder: string };
  button: string;
  normalize(input: string): string | null;
  invalid: string;
  send(ctx: StepContext, to: string, code: string, minutes: number): Promise<void>;
}

const minutesOf = (settings: CodeSettings) => Math.round(settings.ttl_seconds / 60);

const EMAIL: ChannelSpec = {
  method: "email_otp",
  channel: "email",
  step: "email-code",
  amr: "otp",
  field: { name: "email", label: "Email", type: "email", autocomplete: "email", placeholder: "" },
  button: "Email me a code",
  normalize: normalizeEmail,
  invalid: "Enter a valid email address.",
  send: (ctx, to, code, minutes) =>
    ctx.deps.mailer.send({
      to,
      subject: `Your ${ctx.displayName} sign-in code`,
      text: `Your sign-in code is ${code}\n\nIt expires in ${minutes} minutes. If you did not ask for it, ignore this mail.`,
    }),
};

const SMS: ChannelSpec = {
  method: "sms_otp",
  channel: "phone",
  step: "sms-code",
  amr: "sms",
  field: { name: "phone_number", label: "Phone number", type: "tel", autocomplete: "tel", placeholder: "+14155550123" },
  button: "Text me a code",
  normalize: normalizePhone,
  invalid: "Enter the phone number with its country code, like +14155550123.",
  send: (ctx, to, code, minutes) =>
    ctx.deps.sms.send({
      to,
      body: `${code} is your ${ctx.displayName} sign-in code. It expires in ${minutes} minutes.`,
    }),
};

function oneTimeCodeMethod(spec: ChannelSpec): HostedMethod {
  const { step } = spec;
  const inputId = `${step}-target`;
  const settingsOf = (method: ConfiguredMethod) => method.settings as unknown as CodeSettings;
  const challengeOf = (ctx: StepContext) => ctx.state.scratch[spec.method] as CodeChallenge | undefined;

  function entry(ctx: StepContext, value = ""): string {
    const { field } = spec;
    return `<form method="post" action="${ctx.base}/${step}" novalidate>
${csrfField(ctx)}
<label for="${inputId}">${field.label}</label>
<input id="${inputId}" name="${field.name}" type="${field.type}" autocomplete="${field.autocomplete}" required value="${escapeHtml(value)}"${
      field.placeholder ? ` placeholder="${field.placeholder}"` : ""
    }>
<button type="submit">${spec.button}</button>
</form>`;
  }

  function codePage(
    ctx: StepContext,
    method: ConfiguredMethod,
    challenge: CodeChallenge,
    status: number,
    message: { error?: string; notice?: string } = {},
    headers: Record<string, string> = {},
  ): void {
    const settings = settingsOf(method);
    ctx.page(
      status,
      "Enter your code",
      `<h1>Enter your code</h1>
${alert(message)}<p>If <strong>${escapeHtml(challenge.target)}</strong> can sign in here, we sent it a code of ${
        settings.code_length
      } digits. It expires in ${minutesOf(settings)} minutes.</p>
<form method="post" action="${ctx.base}/${step}-verify" novalidate>
${csrfField(ctx)}
${codeField({ length: settings.code_length })}
<button type="submit">Sign in</button>
</form>
<form method="post" action="${ctx.base}/${step}-resend" class="alt">
${csrfField(ctx)}
<button type="submit">Send a new code</button>
</form>
<p class="alt"><a href="${ctx.base}">Use another ${spec.channel === "email" ? "email" : "phone number"}</a></p>`,
      headers,
    );
  }

  /** Sends a code to `target` (or, to an unknown one, nothing) unless a limit says to wait. */
  function send(ctx: StepContext, method: ConfiguredMethod, target: string): Promise<number> {
    const settings = settingsOf(method);
    return sendChallenge(
      ctx,
      method,
      spec.channel,
      target,
      (previous: CodeChallenge | undefined, recipient, now) => {
        const { code, challenge } = issueCode(ctx.uid, previous, recipient, settings, now);
        return { secret: code, challenge };
      },
      (code) => spec.send(ctx, target, code, minutesOf(settings)),
    );
  }

  return {
    methods: [spec.method],
    signInEntry: (ctx) => entry(ctx),
    steps: {
      [step]: {
        async POST(ctx) {
          const method = ctx.enabled(spec.method);
          if (!method) return methodUnavailable(ctx);
          const typed = ctx.form.get(spec.field.name) ?? "";
          const target = spec.normalize(typed);
          if (!target) return ctx.showSignIn(400, spec.invalid);
          const wait = await send(ctx, method, target);
          if (wait > 0) {
            return ctx.showSignIn(429, "Too many codes were sent. Try again later.", { "retry-after": String(wait) });
          }
          ctx.redirect(`${ctx.base}/${step}-verify`);
        },
      },
      [`${step}-verify`]: {
        async GET(ctx) {
          const method = ctx.enabled(spec.method);
          const challenge = challengeOf(ctx);
          if (!method || !challenge) return ctx.redirect(ctx.base);
          codePage(ctx, method, challenge, 200);
        },
        async POST(ctx) {
          const method = ctx.enabled(spec.method);
          if (!method) return methodUnavailable(ctx);
          const settings = settingsOf(method);
          const current = challengeOf(ctx);
          const result = checkCode(ctx.uid, current, ctx.form.get("code") ?? "", settings, ctx.deps.clock());
          const challenge = result.challenge;
          if (!challenge) return ctx.redirect(ctx.base);
          // Only a judged guess (or the right code) changes the challenge, and only a change is saved: a
          // refusal that decided nothing (malformed, expired, already spent) must not win the race
          // against the request that spent the code and is finishing the sign-in.
          if (challenge !== current) {
            ctx.state = { ...ctx.state, scratch: { ...ctx.state.scratch, [spec.method]: challenge } };
            await ctx.save();
          }
          const { check } = result;
          if (!check.ok) {
            if (check.reason === "too_many_attempts") {
              const wait = Math.max(1, resendWait(challenge, challenge.target, ctx.deps.clock()));
              return codePage(
                ctx,
                method,
                challenge,
                429,
                { error: "Too many wrong codes: this one no longer works. Send a new code." },
                { "retry-after": String(wait) },
              );
            }
            const error =
              check.reason === "malformed"
                ? `The code has ${settings.code_length} digits.`
                : check.reason === "expired"
                  ? "That code has expired. Send a new code."
                  : "That code is wrong.";
            return codePage(ctx, method, challenge, 400, { error });
          }
          const user = await provenUser(ctx, method, spec.channel, { ...challenge, value: challenge.target });
          if (!user) return codePage(ctx, method, challenge, 400, { error: "That code is wrong." });
          await ctx.firstFactorPassed(user, { method, amr: [spec.amr] });
        },
      },
      [`${step}-resend`]: resendStep({
        method: spec.method,
        noun: "code",
        challenge: challengeOf,
        send,
        page: codePage,
      }),
    },
  };
}

export const emailOtpMethod = oneTimeCodeMethod(EMAIL);
export const smsOtpMethod = oneTimeCodeMethod(SMS);
