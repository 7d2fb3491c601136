import { Redis } from "ioredis";
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  type RateLimiterStoreAbstract,
} from "rate-limiter-flexible";

/** Failed password sign-ins allowed per (issuer, email) and per (issuer, client IP) in the window. */
export const SIGN_IN_LIMITS = { perUser: 5, perIp: 30, windowSeconds: 15 * 60 };

/**
 * Counts failed sign-ins of the hosted pages per user and per client IP. In memory, or in the same
 * Redis as the API's rate limits when `redisUrl` is set (every process then shares one count);
 * when Redis fails each process keeps counting in memory (rate-limiter-flexible's insurance).
 */
export interface SignInAttempts {
  /** Seconds until one of these keys may try again; 0 when both may try now. */
  blockedFor(userKey: string, ipKey: string): Promise<number>;
  fail(userKey: string, ipKey: string): Promise<void>;
  succeed(userKey: string): Promise<void>;
  close(): Promise<void>;
}

const noop = () => undefined;

export function createSignInAttempts(
  options: { redisUrl?: string | undefined; keyPrefix?: string } = {},
): SignInAttempts {
  const prefix = `${options.keyPrefix ?? "authpi:rl"}:signin`;
  const redis = options.redisUrl
    ? new Redis(options.redisUrl, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: 1_000,
        commandTimeout: 500,
      })
    : undefined;
  redis?.on("error", () => {});

  function limiter(points: number, name: string): RateLimiterAbstract {
    const memory = new RateLimiterMemory({
      points,
      duration: SIGN_IN_LIMITS.windowSeconds,
      keyPrefix: `${prefix}:${name}`,
    });
    if (!redis) return memory;
    return new RateLimiterRedis({
      storeClient: redis,
      points,
      duration: SIGN_IN_LIMITS.windowSeconds,
      keyPrefix: `${prefix}:${name}`,
      rejectIfRedisNotReady: true,
      insuranceLimiter: memory,
    }) as RateLimiterStoreAbstract;
  }

  const perUser = limiter(SIGN_IN_LIMITS.perUser, "user");
  const perIp = limiter(SIGN_IN_LIMITS.perIp, "ip");

  async function wait(target: RateLimiterAbstract, key: string, max: number): Promise<number> {
    const state = await target.get(key).catch(() => null);
    return state && state.consumedPoints >= max ? Math.max(1, Math.ceil(state.msBeforeNext / 1000)) : 0;
  }

  // A rejection only says the key is already over its limit: the failure is counted either way.
  const consume = (target: RateLimiterAbstract, key: string) => target.consume(key).then(noop, noop);

  return {
    async blockedFor(userKey, ipKey) {
      const [user, ip] = await Promise.all([
        wait(perUser, userKey, SIGN_IN_LIMITS.perUser),
        wait(perIp, ipKey, SIGN_IN_LIMITS.perIp),
      ]);
      return Math.max(user, ip);
    },
    async fail(userKey, ipKey) {
      await Promise.all([consume(perUser, userKey), consume(perIp, ipKey)]);
    },
    async succeed(userKey) {
      await perUser.delete(userKey).catch(() => false);
    },
    async close() {
      redis?.disconnect();
    },
  };
}
