import { createDb, type Db } from "@authpi/db";
import { createServices, loadEnv } from "@authpi/server";
import { provisionTestDatabase } from "@authpi/server/testing/database";

/**
 * The events list pages in constant time over 1,000,000 events (issue 13).
 *
 * Standalone: `tsx bench/events.ts [events=1000000]` seeds one account with that
 * many events on a fresh database (DATABASE_URL's server, or an embedded one), then
 * times `services.events.list` — the query every door runs — at the newest page,
 * at a cursor near the oldest event, and under each filter. Exits 1 when a page deep
 * in the list costs more than `MAX_DEPTH_RATIO` times the first page, or any page
 * more than `MAX_PAGE_MS`.
 *
 * For `pnpm bench` (bench/run.ts): call `seedEvents(db, accountId)` before starting
 * the server, then add the `eventTargets(ctx)` requests to TARGETS (they need the
 * `deepCursor`, `resourceId` and `actorId` that `seedEvents` returns).
 */

const MAX_DEPTH_RATIO = 3;
const MAX_PAGE_MS = 25;
const ROUNDS = 200;

export interface SeededEvents {
  count: number;
  /** An event id near the oldest: the cursor of a page a million rows deep. */
  deepCursor: string;
  /** One of the 1,000 resources the events are spread over. */
  resourceId: string;
  /** One of the 10 API keys the events are spread over. */
  actorId: string;
  /** One of the 100 issuers the events are spread over (the events of 10 of the resources each). */
  issuerId: string;
}

/** Inserts `count` events for `accountId` in one statement (ids sort as creation order, like real ULIDs). */
export async function seedEvents(db: Db, accountId: string, count = 1_000_000): Promise<SeededEvents> {
  const id = (i: number) => `evt_01JD${String(i).padStart(22, "0")}`;
  await db.pool.query(
    `INSERT INTO audit_events (id, account_id, issuer_id, type, actor_type, actor_id, resource_type, resource_id,
       request_id, changes, created_at)
     SELECT 'evt_01JD' || lpad(i::text, 22, '0'), $1, 'iss_bench' || (i % 100),
       (ARRAY['issuer.created', 'issuer.updated', 'issuer.deleted', 'auth_method.updated', 'api_key.created'])[1 + i % 5],
       'api_key', 'key_bench' || (i % 10), 'issuer', 'iss_bench' || (i % 1000), 'req_bench' || i,
       jsonb_build_object('settings.session.lifetime_seconds', jsonb_build_object('from', i, 'to', i + 1)),
       now() - interval '1 millisecond' * ($2::int - i)
     FROM generate_series(1, $2::int) AS i`,
    [accountId, count],
  );
  await db.pool.query("ANALYZE audit_events");
  return { count, deepCursor: id(101), resourceId: "iss_bench7", actorId: "key_bench3", issuerId: "iss_bench7" };
}

/** Requests for bench/run.ts's TARGETS (autocannon request objects). */
export function eventTargets(ctx: { base: string } & SeededEvents) {
  return [
    { name: "GET the newest 50 events", path: `${ctx.base}/events?limit=50` },
    { name: "GET 50 events a million deep", path: `${ctx.base}/events?limit=50&cursor=${ctx.deepCursor}` },
    { name: "GET 50 events of one resource", path: `${ctx.base}/events?limit=50&resource_id=${ctx.resourceId}` },
    { name: "GET 50 events of one issuer", path: `${ctx.base}/events?limit=50&issuer_id=${ctx.issuerId}` },
    { name: "GET 50 events of one type", path: `${ctx.base}/events?limit=50&type=issuer.updated` },
    { name: "GET 50 events of one actor", path: `${ctx.base}/events?limit=50&actor_id=${ctx.actorId}` },
  ].map((t) => ({ name: t.name, request: { method: "GET" as const, path: t.path } }));
}

async function main(): Promise<number> {
  const count = Number(process.argv[2] ?? 1_000_000);
  const database = await provisionTestDatabase(loadEnv().DATABASE_URL);
  const db = createDb(database.url);
  const services = createServices(db, { apiKeyCache: false });
  try {
    const account = await services.accounts.bootstrap({ password: "bench-events-123" });
    const started = performance.now();
    const seeded = await seedEvents(db, account.account_id, count);
    console.log(
      `seeded ${count.toLocaleString("en")} events in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );

    const cases: { name: string; query: Parameters<typeof services.events.list>[1] }[] = [
      { name: "newest page", query: { limit: 50 } },
      { name: "page a million deep (cursor)", query: { limit: 50, cursor: seeded.deepCursor } },
      { name: "one resource", query: { limit: 50, resource_id: seeded.resourceId } },
      { name: "one resource, deep", query: { limit: 50, resource_id: seeded.resourceId, cursor: seeded.deepCursor } },
      { name: "one issuer", query: { limit: 50, issuer_id: seeded.issuerId } },
      { name: "one issuer, deep", query: { limit: 50, issuer_id: seeded.issuerId, cursor: seeded.deepCursor } },
      { name: "one type", query: { limit: 50, type: "issuer.updated" } },
      { name: "one actor", query: { limit: 50, actor_id: seeded.actorId } },
      { name: "one actor, deep", query: { limit: 50, actor_id: seeded.actorId, cursor: seeded.deepCursor } },
    ];
    console.log("| page of 50 | mean ms | p99 ms |\n|---|---|---|");
    const means: Record<string, number> = {};
    let failed = false;
    for (const { name, query } of cases) {
      for (let i = 0; i < 20; i++) await services.events.list(account.account_id, query); // warm (plans, cache)
      const times: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const t = performance.now();
        await services.events.list(account.account_id, query);
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      const mean = times.reduce((a, b) => a + b, 0) / times.length;
      const p99 = times[Math.floor(times.length * 0.99)] ?? mean;
      means[name] = mean;
      const ok = mean <= MAX_PAGE_MS;
      failed ||= !ok;
      console.log(`| ${name} | ${mean.toFixed(2)} | ${p99.toFixed(2)} | ${ok ? "ok" : "MISSED"}`);
    }
    const ratio = (means["page a million deep (cursor)"] ?? 0) / (means["newest page"] ?? 1);
    const ratioOk = ratio <= MAX_DEPTH_RATIO;
    failed ||= !ratioOk;
    console.log(
      `\ndeep / newest page: ${ratio.toFixed(2)}× (target ≤ ${MAX_DEPTH_RATIO}×) ${ratioOk ? "ok" : "MISSED"}`,
    );
    return failed ? 1 : 0;
  } finally {
    await services.close();
    await db.$disconnect();
    await database.drop();
  }
}

if (import.meta.filename === process.argv[1]) process.exit(await main());
