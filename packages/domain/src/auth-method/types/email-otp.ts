import { defineAuthMethodType } from "../define.ts";
import { oneTimeCodeSettings } from "./one-time-code.ts";

/** email_otp: a one-time code sent by email. */

export const EmailOtpSettings = oneTimeCodeSettings();

export const email_otp = defineAuthMethodType({
  method: "email_otp",
  title: "Email code",
  firstFactorOnly: true,
  federated: false,
  singleton: true,
  settingsRequiredOnCreate: false,
  settings: EmailOtpSettings,
  secretKeys: [],
  schemaIds: { create: "CreateEmailOtpAuthMethod", response: "EmailOtpAuthMethod" },
});
