/**
 * Which user claims each OpenID scope releases (OpenID Connect Core §5.4; api-contract §7).
 * `sub` is always released; a scope outside this table releases no user claim.
 */
export const CLAIMS_BY_SCOPE = {
  openid: ["sub"],
  profile: ["name", "given_name", "family_name", "picture", "updated_at"],
  email: ["email", "email_verified"],
  phone: ["phone_number", "phone_verified"],
} as const satisfies Record<string, readonly string[]>;

export type ClaimName = (typeof CLAIMS_BY_SCOPE)[keyof typeof CLAIMS_BY_SCOPE][number];

/** Every claim any scope can release (discovery's `claims_supported`). */
export const SUPPORTED_CLAIMS: readonly ClaimName[] = [...new Set(Object.values(CLAIMS_BY_SCOPE).flat())];

/** The claims released for a set of granted scopes. */
export function claimsForScopes(scopes: Iterable<string>): Set<ClaimName> {
  const claims = new Set<ClaimName>(["sub"]);
  for (const scope of scopes) {
    const released: readonly ClaimName[] | undefined = CLAIMS_BY_SCOPE[scope as keyof typeof CLAIMS_BY_SCOPE];
    for (const claim of released ?? []) claims.add(claim);
  }
  return claims;
}

/** The subset of `values` (a user's claim values) that `scopes` release; undefined values are left out. */
export function releaseClaims(
  values: Partial<Record<ClaimName, unknown>>,
  scopes: Iterable<string>,
): Record<string, unknown> {
  const released: Record<string, unknown> = {};
  for (const claim of claimsForScopes(scopes)) {
    if (values[claim] !== undefined) released[claim] = values[claim];
  }
  return released;
}
