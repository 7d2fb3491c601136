import type { Db } from "@authpi/db";

/**
 * Holds `FOR UPDATE` on one issuer row in a transaction of its own, so a
 * request that writes that issuer is provably still running while a test looks
 * at it. Resolves once the lock is held; `release()` commits and waits.
 */
export async function holdIssuerRowLock(db: Db, id: string, timeoutMs: number): Promise<{ release(): Promise<void> }> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => {
    locked = resolve;
  });
  const holder = db.$transaction(
    async (tx) => {
      await tx.$queryRaw`SELECT 1 FROM "issuers" WHERE "id" = ${id} FOR UPDATE`;
      locked();
      await released;
    },
    { timeout: timeoutMs },
  );
  await Promise.race([isLocked, holder]);
  return {
    async release() {
      release();
      await holder;
    },
  };
}
