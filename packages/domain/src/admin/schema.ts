import { z } from "zod";
import { Timestamp } from "../common.ts";

/** The admin UI's sign-in form; lengths are bounded so argon2 never sees a huge input. */
export const SignInInput = z.strictObject({
  email: z
    .string()
    .trim()
    .toLowerCase()
    .min(3, "Enter your email address")
    .max(254, "Must be at most 254 characters")
    .regex(/^[^\s@]+@[^\s@]+$/, "Must be an email address"),
  password: z.string().min(1, "Enter your password").max(1024, "Must be at most 1024 characters"),
});
export type SignInInput = z.infer<typeof SignInInput>;

/** The signed-in operator as the admin UI sees it (never the password hash). */
export const Operator = z.object({
  object: z.literal("operator"),
  id: z.string().describe("`op_` + ULID."),
  account_id: z.string(),
  email: z.string(),
  role: z.string(),
  session_expires_at: Timestamp,
});
export type Operator = z.infer<typeof Operator>;
