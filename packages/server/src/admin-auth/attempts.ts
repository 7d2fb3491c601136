/**
 * Counts failed sign-ins per key (an email, an IP) in a fixed window.
 *
 * Kept in memory on purpose: a failure costs no database write (so a password
 * spray cannot turn into write load), and the server is one process. With
 * several instances each keeps its own count, so the real limit is N times the
 * configured one; move this behind Redis (as the API rate limits do) before
 * running more than one instance. A restart forgets the counts.
 */
export interface AttemptLimiter {
  /** Seconds until `key` may try again, or 0 when it may try now. */
  blockedFor(key: string, now: number): number;
  fail(key: string, now: number): void;
  reset(key: string): void;
}

export function createAttemptLimiter(options: { max: number; windowMs: number; maxKeys?: number }): AttemptLimiter {
  const counts = new Map<string, { failures: number; windowStart: number }>();
  const maxKeys = options.maxKeys ?? 100_000;

  function current(key: string, now: number) {
    const entry = counts.get(key);
    if (entry && now - entry.windowStart >= options.windowMs) {
      counts.delete(key);
      return undefined;
    }
    return entry;
  }

  return {
    blockedFor(key, now) {
      const entry = current(key, now);
      if (!entry || entry.failures < options.max) return 0;
      return Math.ceil((entry.windowStart + options.windowMs - now) / 1000);
    },
    fail(key, now) {
      const entry = current(key, now);
      if (entry) entry.failures += 1;
      else {
        // Bounded memory: drop the oldest windows first (Map keeps insertion order).
        if (counts.size >= maxKeys) {
          const oldest = counts.keys().next().value;
          if (oldest !== undefined) counts.delete(oldest);
        }
        counts.set(key, { failures: 1, windowStart: now });
      }
    },
    reset(key) {
      counts.delete(key);
    },
  };
}
