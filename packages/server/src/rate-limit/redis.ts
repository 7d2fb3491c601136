import { Redis } from "ioredis";

/**
 * A Redis connection for counters that must fail fast: a command never waits
 * for a reconnect (no offline queue, one retry, 500 ms), so a Redis outage
 * costs a request at most that long before the caller falls back to memory.
 * Errors are reported at most once every 10 s.
 */
export function connectCounterStore(url: string, onError?: (error: unknown) => void): Redis {
  let lastReport = 0;
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1_000,
    commandTimeout: 500,
  });
  redis.on("error", (error: unknown) => {
    const now = Date.now();
    if (now - lastReport < 10_000) return;
    lastReport = now;
    onError?.(error);
  });
  return redis;
}

/** True once `redis` is connected, false if not within `timeoutMs`. */
export function whenConnected(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === "ready") return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      redis.off("ready", onReady);
      resolve(false);
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    redis.once("ready", onReady);
  });
}
