import type { HostedMethod } from "../context.ts";
import { emailVerificationStep } from "./email-verification.ts";
import { federatedMethod } from "./federated.ts";
import { mfaSteps } from "./mfa.ts";
import { passwordMethod } from "./password.ts";

/**
 * Every method the hosted pages know, in one list: a new auth-method type on the sign-in side is a
 * file in this folder and a line here.
 */
export const HOSTED_METHODS: readonly HostedMethod[] = [
  passwordMethod,
  emailVerificationStep,
  mfaSteps,
  federatedMethod,
];
