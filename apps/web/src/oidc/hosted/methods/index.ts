import type { HostedMethod } from "../context.ts";
import { backupCodesMethod } from "./backup-codes.ts";
import { emailVerificationStep } from "./email-verification.ts";
import { mfaSteps } from "./mfa.ts";
import { passkeyMethod } from "./passkey.ts";
import { passwordMethod } from "./password.ts";
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
];
