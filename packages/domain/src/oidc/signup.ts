/** The signup policy of an issuer (api-contract §8), as pure decisions. */
export interface SignupPolicy {
  mode: "open" | "invite_only" | "closed";
  allowed_email_domains: string[];
  require_email_verification: boolean;
}

/** Whether the hosted pages offer sign-up at all. */
export function signupOffered(policy: SignupPolicy): boolean {
  return policy.mode === "open";
}

/** The domain part of an email, lower-cased. */
export function emailDomain(email: string): string {
  return email.slice(email.lastIndexOf("@") + 1).toLowerCase();
}

export type SignupRefusal = "signup_closed" | "email_domain_not_allowed";

/** Why this email may not sign up, or null when it may. */
export function signupRefusal(policy: SignupPolicy, email: string): SignupRefusal | null {
  if (!signupOffered(policy)) return "signup_closed";
  if (policy.allowed_email_domains.length > 0) {
    const domain = emailDomain(email);
    if (!policy.allowed_email_domains.some((allowed) => allowed.toLowerCase() === domain)) {
      return "email_domain_not_allowed";
    }
  }
  return null;
}

/** A signed-in user whose email is not verified gets no token while the issuer requires verification. */
export function verificationRequired(policy: SignupPolicy, user: { email: string | null; email_verified: boolean }) {
  return policy.require_email_verification && user.email !== null && !user.email_verified;
}
