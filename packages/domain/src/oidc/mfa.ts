import type { FactorType } from "../user/schema.ts";

export type MfaPolicy = "off" | "optional" | "required";

/** What the sign-in asks after the first factor (api-contract §8 "MFA policy"). */
export type MfaStep =
  /** Nothing more: tokens may be issued. */
  | "none"
  /** The user proves one of their enrolled factors. */
  | "challenge"
  /** The user enrols a factor first (policy `required`, none enrolled). */
  | "enrol"
  /** The user may enrol one, or skip (policy `optional`, none enrolled, the issuer offers some). */
  | "offer"
  /** Policy `required` but the issuer offers no second factor to enrol: the sign-in cannot finish. */
  | "unavailable";

export function mfaStep(input: {
  policy: MfaPolicy;
  /** The second-factor types the issuer offers (its enabled `totp`, `backup_codes`, second-factor `passkey`). */
  offered: readonly FactorType[];
  /** The types of the factors the user enrolled. */
  enrolled: readonly FactorType[];
  /** A second factor was already passed in this sign-in, or this device is remembered. */
  satisfied: boolean;
}): MfaStep {
  if (input.policy === "off" || input.satisfied) return "none";
  if (input.enrolled.some((type) => input.offered.includes(type))) return "challenge";
  if (input.policy === "optional") return input.offered.length > 0 ? "offer" : "none";
  return input.offered.length > 0 ? "enrol" : "unavailable";
}
