import type { HostedMethod } from "../context.ts";
import { backupCodesMethod } from "./backup-codes.ts";
import { emailLinkMethod } from "./email-link.ts";
import { emailVerificationStep } from "./email-verification.ts";
import { federatedMethod } from "./federated.ts";
import { mfaSteps } from "./mfa.ts";
import { emailOtpMethod, smsOtpMethod } from "./one-time-code.ts";
import { passkeyMethod } from "./passkey.ts";
import { passwordMethod } from "./password.ts";
import { temporaryPasswordMethod } from "./temporary-password.ts";
import { totpMethod } from "./totp.ts";

/**
 * Every method the hosted pages know, in one list: a new auth-method type on the sign-in side is a
 * file in this folder and a line here.
 */
export const HOSTED_METHODS: readonly HostedMethod[] = [
  passwordMethod,
  emailVerificationStep,
  mfaSteps,
  totpMethod,
  backupCodesMethod,
  passkeyMethod,
  emailOtpMethod,
  smsOtpMethod,
  emailLinkMethod,
  temporaryPasswordMethod,
  federatedMethod,
];
