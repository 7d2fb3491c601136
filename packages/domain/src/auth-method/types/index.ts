import { apple } from "./apple.ts";
import { backup_codes } from "./backup-codes.ts";
import { email_link } from "./email-link.ts";
import { email_otp } from "./email-otp.ts";
import { github } from "./github.ts";
import { oauth2 } from "./oauth2.ts";
import { oauth2_manual } from "./oauth2-manual.ts";
import { oidc } from "./oidc.ts";
import { passkey } from "./passkey.ts";
import { password } from "./password.ts";
import { sms_otp } from "./sms-otp.ts";
import { temporary_password } from "./temporary-password.ts";
import { totp } from "./totp.ts";

/**
 * The one list of auth-method types, in the order the API documents them.
 * Every table (AUTH_METHOD_TYPES, AUTH_METHODS, the singletons) and both
 * discriminated unions (create body, response) are derived from it: a new type
 * is a new file in this folder, one entry here, and its row in types.test.ts.
 */
export const AUTH_METHOD_TYPE_LIST = [
  oauth2,
  oidc,
  apple,
  github,
  oauth2_manual,
  password,
  temporary_password,
  email_link,
  email_otp,
  sms_otp,
  passkey,
  totp,
  backup_codes,
] as const;

type TypeList = typeof AUTH_METHOD_TYPE_LIST;

export type AuthMethodType = TypeList[number]["method"];

/** Every declared type by its `method`, with its precise schemas. */
export type DeclaredAuthMethodTypes = { [D in TypeList[number] as D["method"]]: D };
