import { defineAuthMethodType } from "../define.ts";
import { oneTimeCodeSettings } from "./one-time-code.ts";

/** sms_otp: a one-time code sent by SMS. */

export const SmsOtpSettings = oneTimeCodeSettings();

export const sms_otp = defineAuthMethodType({
  method: "sms_otp",
  title: "SMS code",
  firstFactorOnly: true,
  federated: false,
  singleton: true,
  settingsRequiredOnCreate: false,
  settings: SmsOtpSettings,
  secretKeys: [],
  schemaIds: { create: "CreateSmsOtpAuthMethod", response: "SmsOtpAuthMethod" },
});
