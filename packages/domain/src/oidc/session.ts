/** How an issuer's `settings.session` bounds refresh tokens (api-contract §7 "Session settings take effect"). */
export interface SessionPolicy {
  lifetime_seconds: number;
  idle_timeout_seconds: number | null;
}

/**
 * Seconds a refresh token issued now may live: never past the end of the whole chain (the sign-in's
 * lifetime, counted from `chainStartedAt`), and never longer than the idle timeout (a token unused
 * that long expires). 0 when the chain is over.
 */
export function refreshTokenTtl(policy: SessionPolicy, chainStartedAt: number, now: number): number {
  const remaining = chainStartedAt + policy.lifetime_seconds - now;
  const ttl = policy.idle_timeout_seconds === null ? remaining : Math.min(remaining, policy.idle_timeout_seconds);
  return Math.max(0, Math.floor(ttl));
}
