import { z } from "zod";

/** The settings of a one-time code sent to the user (email_otp, sms_otp). */
export function oneTimeCodeSettings() {
  return z.strictObject({
    code_length: z.number().int().min(4).max(10).default(6).describe("Digits per code (4-10)."),
    ttl_seconds: z.number().int().min(60).max(3600).default(600).describe("Code validity (60-3600 s)."),
    max_attempts: z.number().int().min(1).max(10).default(5).describe("Wrong codes allowed before a new one (1-10)."),
  });
}
