import type { Redis } from "ioredis";
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterStoreAbstract,
} from "rate-limiter-flexible";

/**
 * Sign-in attempts per key (an email, an IP) in a fixed window.
 *
 * An attempt takes its slot *before* the password is checked, with one atomic
 * increment, and gives it back when the sign-in succeeds: N attempts at the
 * same moment (parallel requests, a batch) get exactly `max` password checks,
 * never `max` plus however many were in flight. Counts live in memory, or in
 * Redis when the service gets a client, so every process shares them; while
 * Redis is unreachable each process counts in its own memory (fails open to
 * memory, as the API rate limits do), never without a limit.
 */
export interface AttemptLimiter {
  /** Takes one attempt of `key`: 0 when taken, else the seconds until the window frees a slot. */
  reserve(key: string): Promise<number>;
  /** Gives one taken attempt back: the sign-in succeeded, or another limit refused it. */
  release(key: string): Promise<void>;
  /** Forgets every attempt of `key`. */
  reset(key: string): Promise<void>;
}

export interface AttemptLimiterOptions {
  max: number;
  windowSeconds: number;
  /** Key namespace, e.g. `authpi:rl:signin:email`. */
  keyPrefix: string;
  /** Shared counters; in memory when absent. */
  redis?: Redis | undefined;
  /** Told when the store fails beyond what the in-memory fallback covers. */
  onStoreError?: ((error: unknown) => void) | undefined;
}

export function createAttemptLimiter(options: AttemptLimiterOptions): AttemptLimiter {
  const base = { points: options.max, duration: options.windowSeconds, keyPrefix: options.keyPrefix };
  const memory = new RateLimiterMemory(base);
  const store: RateLimiterAbstract = options.redis
    ? (new RateLimiterRedis({
        ...base,
        storeClient: options.redis,
        rejectIfRedisNotReady: true,
        insuranceLimiter: memory,
      }) as RateLimiterStoreAbstract)
    : memory;

  async function quietly(operation: () => Promise<unknown>): Promise<void> {
    try {
      await operation();
    } catch (error) {
      options.onStoreError?.(error);
    }
  }

  return {
    async reserve(key) {
      try {
        await store.consume(key, 1);
        return 0;
      } catch (rejected) {
        if (rejected instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejected.msBeforeNext / 1000));
        // Neither Redis nor the memory fallback answered: let this attempt through, as the API limits do.
        options.onStoreError?.(rejected);
        return 0;
      }
    },
    release: (key) => quietly(() => store.reward(key, 1)),
    reset: (key) => quietly(() => store.delete(key)),
  };
}
