import type { Redis } from "ioredis";
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterStoreAbstract,
} from "rate-limiter-flexible";
import { connectCounterStore, whenConnected } from "./redis.ts";

export interface RateLimitConfig {
  /** Tokens added per second (the sustained rate). */
  perSecond: number;
  /** Bucket size: how many requests may arrive at once. */
  burst: number;
  /** Share the buckets between processes through Redis; in memory when unset. */
  redisUrl?: string | undefined;
  /** Redis key prefix; tests use their own so parallel runs never share a budget. */
  keyPrefix?: string;
  /** Told when Redis fails; the limiter then keeps counting in this process (fails open). */
  onStoreError?: (error: unknown) => void;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** The policy's quota `q` (the burst). */
  limit: number;
  /** The policy's window `w` in seconds. */
  window: number;
  /** `r`: requests left now. */
  remaining: number;
  /** `t`: seconds until the bucket refills (also `Retry-After` on a 429). */
  reset: number;
}

export interface RateLimiter {
  consume(key: string): Promise<RateLimitDecision>;
  /** True once the shared store (Redis) is connected, false if not within `timeoutMs`; true in memory. */
  ready(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

// The part of the burst above the sustained rate comes back over this many seconds.
const BURST_REFILL_SECONDS = 10;
const WINDOW_SECONDS = 1;

/**
 * A token bucket per key (api-contract §2), built from rate-limiter-flexible's
 * atomic counters: `perSecond` requests every second, plus a reserve of
 * `burst − perSecond` that absorbs spikes and refills over 10 s. Counters live
 * in memory, or in Redis when `redisUrl` is set so every process shares one
 * budget. When Redis is unreachable each process falls back to its own
 * in-memory counters (rate-limiter-flexible's insurance limiter) instead of
 * refusing traffic.
 */
export function createRateLimiter(config: RateLimitConfig): RateLimiter {
  const reserve = Math.max(0, config.burst - config.perSecond);
  const prefix = config.keyPrefix ?? "authpi:rl";
  let redis: Redis | undefined;

  function limiter(points: number, duration: number, name: string): RateLimiterAbstract {
    const memory = new RateLimiterMemory({ points, duration, keyPrefix: `${prefix}:${name}` });
    if (!redis) return memory;
    return new RateLimiterRedis({
      storeClient: redis,
      points,
      duration,
      keyPrefix: `${prefix}:${name}`,
      rejectIfRedisNotReady: true,
      insuranceLimiter: memory,
    }) as RateLimiterStoreAbstract;
  }

  if (config.redisUrl) redis = connectCounterStore(config.redisUrl, config.onStoreError);

  const sustained = limiter(config.perSecond, WINDOW_SECONDS, "rate");
  const spare = reserve > 0 ? limiter(reserve, BURST_REFILL_SECONDS, "burst") : undefined;

  async function reserveLeft(key: string): Promise<number> {
    if (!spare) return 0;
    const state = await spare.get(key);
    return Math.max(0, reserve - (state?.consumedPoints ?? 0));
  }

  return {
    async consume(key: string): Promise<RateLimitDecision> {
      const decision = { limit: config.burst, window: WINDOW_SECONDS };
      try {
        try {
          const res = await sustained.consume(key);
          const left = await reserveLeft(key);
          return { ...decision, allowed: true, remaining: res.remainingPoints + left, reset: seconds(res) };
        } catch (rejected) {
          if (!(rejected instanceof RateLimiterRes)) throw rejected;
          const reset = seconds(rejected);
          if (!spare) return { ...decision, allowed: false, remaining: 0, reset };
          try {
            const res = await spare.consume(key);
            return { ...decision, allowed: true, remaining: res.remainingPoints, reset };
          } catch (empty) {
            if (!(empty instanceof RateLimiterRes)) throw empty;
            return { ...decision, allowed: false, remaining: 0, reset };
          }
        }
      } catch (error) {
        // The store failed beyond what the insurance limiter covers: let the request through.
        config.onStoreError?.(error);
        return { ...decision, allowed: true, remaining: config.burst, reset: WINDOW_SECONDS };
      }
    },
    async ready(timeoutMs = 5_000) {
      return redis ? whenConnected(redis, timeoutMs) : true;
    },
    async close() {
      if (redis) await redis.quit().catch(() => redis?.disconnect());
    },
  };
}

function seconds(res: RateLimiterRes): number {
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
}
