import { pathToFileURL } from "node:url";
import { createDb, type Db } from "@authpi/db";
import { newId } from "@authpi/domain";
import { createServices, loadEnv, type Services } from "@authpi/server";
import { parsed } from "@authpi/server/testing/bodies";
import { provisionTestDatabase } from "@authpi/server/testing/database";

/**
 * The users list at depth (issue 14: "lists of 10,000 users page in constant
 * time"). Seeds one issuer with `count` users in one INSERT … SELECT, then
 * times the first page, a page 9,900 users deep (keyset: `cursor` = the last
 * id before it) and the email filter, each as the median of many calls to
 * `services.users.list`. Constant time means the deep page costs about what
 * the first does; a page that scanned (OFFSET) would cost ~100× more here.
 *
 * For `pnpm bench` (bench/run.ts): `USER_LIST_TARGETS` are the HTTP paths to
 * add to its TARGETS, given `seedUsers` ran on its issuer. Standalone:
 * `tsx bench/users.ts [count]` prints the medians and exits 1 when the deep
 * page costs more than 3× the first.
 */
export async function seedUsers(db: Db, issuerId: string, count: number): Promise<string[]> {
  const start = Date.now() - count;
  // Ids are made here (ULIDs carry their time), one millisecond apart, so id order is creation order.
  const ids = Array.from({ length: count }, (_, i) => newId("user", start + i));
  await db.$executeRaw`
    INSERT INTO "users" ("id", "issuer_id", "email", "email_verified", "phone_verified", "status", "metadata",
                         "created_at", "updated_at")
    SELECT id, ${issuerId}, 'user' || n || '@bench.example.com', false, false,
           CASE WHEN n % 10 = 0 THEN 'blocked' ELSE 'active' END, '{}'::jsonb, now(), now()
    FROM unnest(${ids}::text[]) WITH ORDINALITY AS t(id, n)`;
  return ids;
}

export interface UserListTarget {
  name: string;
  path: (ctx: { base: string; issuerId: string; deepCursor: string }) => string;
}

export const USER_LIST_TARGETS: UserListTarget[] = [
  { name: "GET the first 50-user page", path: (c) => `${c.base}/issuers/${c.issuerId}/users?limit=50` },
  {
    name: "GET a 50-user page 9,900 deep",
    path: (c) => `${c.base}/issuers/${c.issuerId}/users?limit=50&cursor=${c.deepCursor}`,
  },
  {
    name: "GET users by email",
    path: (c) => `${c.base}/issuers/${c.issuerId}/users?email=USER5000@bench.example.com`,
  },
];

async function median(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

export async function measureUserPages(services: Services, accountId: string, issuerId: string, ids: string[]) {
  // Newest first: the page 9,900 deep starts after the user 9,900th from the newest.
  const deepCursor = ids[ids.length - 9_900] as string;
  const list = (query: Record<string, unknown>) => services.users.list(accountId, issuerId, { limit: 50, ...query });
  await median(20, () => list({})); // warm-up
  const first = await median(100, () => list({}));
  const deep = await median(100, () => list({ cursor: deepCursor }));
  const blocked = await median(100, () => list({ cursor: deepCursor, status: "blocked" }));
  const email = await median(100, () => list({ email: "USER5000@bench.example.com" }));
  return { first, deep, blocked, email };
}

async function main(count: number): Promise<number> {
  const database = await provisionTestDatabase(loadEnv().DATABASE_URL);
  const db = createDb(database.url);
  try {
    const services = createServices(db);
    const boot = await services.accounts.bootstrap({ password: "bench password for users" });
    const issuer = await services.issuers.create(boot.account_id, parsed.issuer({ name: "Bench users" }));
    const ids = await seedUsers(db, issuer.value.id, count);
    await db.$executeRaw`ANALYZE "users"`;
    const m = await measureUserPages(services, boot.account_id, issuer.value.id, ids);
    const ratio = m.deep / m.first;
    process.stdout.write(
      `${count} users — median of 100: first page ${m.first.toFixed(2)} ms, 9,900 deep ${m.deep.toFixed(2)} ms ` +
        `(×${ratio.toFixed(2)}), deep + status=blocked ${m.blocked.toFixed(2)} ms, by email ${m.email.toFixed(2)} ms\n`,
    );
    return ratio <= 3 ? 0 : 1;
  } finally {
    await db.$disconnect();
    await database.drop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = await main(Number(process.argv[2] ?? 10_000));
}
