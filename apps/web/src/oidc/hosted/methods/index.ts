import type { HostedMethod } from "../context.ts";
import { emailLinkMethod } from "./email-link.ts";
import { emailVerificationStep } from "./email-verification.ts";
import { mfaSteps } from "./mfa.ts";
import { emailOtpMethod, smsOtpMethod } from "./one-time-code.ts";
import { passwordMethod } from "./password.ts";
import { temporaryPasswordMethod } from "./temporary-password.ts";

/**
 * Every method the hosted pages know, in one list: a new auth-method type on the sign-in side is a
 * file in this folder and a line here.
 */
export const HOSTED_METHODS: readonly HostedMethod[] = [
  passwordMethod,
  emailVerificationStep,
  mfaSteps,
  emailOtpMethod,
  smsOtpMethod,
  emailLinkMethod,
  temporaryPasswordMethod,
];
