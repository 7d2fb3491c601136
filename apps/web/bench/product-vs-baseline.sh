#!/usr/bin/env bash
# `pnpm bench`'s copy of the yardstick's runner (../shared/bench/product-vs-baseline.sh, as its README
# says to do when the product's entry moves). Three lines differ: the rest of the yardstick (the
# baseline server, the load generators, the seed) is read from YARDSTICK_DIR, the shared folder,
# not copied; and the product starts as `pnpm start` starts it, `node <flags> server.mjs` (the
# production entry, plain JavaScript: no tsx loader in the process; <flags> are the Node flags of
# apps/web/package.json's start script, the heap budget and growing factor, which pnpm bench
# passes as PRODUCT_START_FLAGS) instead of `node --import tsx server.ts`, its CPU counted by that
# name. It adds one step
# (RAW_ROUNDS): page 1 and the deep page again through raw-pages.mjs, a client that decodes no
# body, taking turns under one load, so that the cost of depth can be told from autocannon's own
# and from the machine's drift (README, Performance); pnpm bench judges depth by it.
#
# The product (AuthPI, apps/web/server.mjs in production mode) against the framework-free yardstick
# adapted to its schema (baseline-product.mjs), on the same seeded database, in one sitting,
# INTERLEAVED: for each round, for each case, product then baseline (A B), ROUNDS times (A B A B).
# Optionally the product's API-only entry (src/serve-api.ts, no Next.js) as a third target on
# API_ONLY_CASES. Prints a table and a last line `ratios: a=… b=… …` (product req/s ÷ baseline req/s,
# from the mean req/s over the rounds). Leaves PostgreSQL running (./pg.sh stop stops it).
#
# Setup (idempotent, also run on its own with SETUP_ONLY=1): npm install here if needed, pg.sh
# init/start, database `product`, the product's own migrations (its CLI `migrate`), product-seed.sql
# (≈1 min) unless already seeded (RESEED=1 forces it). Before measuring: delete rows made by
# earlier POST runs, VACUUM (ANALYZE), CHECKPOINT.
#
# Env: PRODUCT_DIR (the current folder: the project's root, installed and built), ROUNDS (2), CASES ("a b c d e"),
#      CONNS (50), WARMUP (3), DURATION (10), PREWARM (3: before round 1, every target runs every case
#      for PREWARM s, discarded, so that no target's first measured case pays for its JIT; 0 = none),
#      API_ONLY_CASES ("a c"; "" = skip serve-api.ts),
#      PRODUCT_LOG_LEVEL (info: the production default, access lines to a file), FIXED (0; 1 = also
#      fixed-rate latency: GET one at 500 req/s and list (a) at 150 req/s, FIXED_DURATION 20 s each,
#      product and baseline), RAW_ROUNDS (3; 0 = none: with cases a and b, that many interleaved
#      rounds of raw-pages.mjs on each target, a client that decodes no body, a and b taking turns
#      in 0.5 s slices for RAW_DURATION (10) s),
#      PRODUCT_PORT (3201), API_PORT (3202), BASE_PORT (3110), PRODUCT_NODE_FLAGS (more Node flags for
#      the product, after the start script's: for experiments).
# Raw results: /tmp/bench/pvb-<stamp>.jsonl; server logs /tmp/bench/pvb-<stamp>-<target>.log.
set -euo pipefail
# Run it from the project's root (PRODUCT_DIR defaults to the current folder, installed and built).
PRODUCT_DIR=${PRODUCT_DIR:-$PWD}
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
# Work in a copy under /tmp/bench (this folder may be read-only; npm installs its two packages there).
SRC=${YARDSTICK_DIR:?the shared yardstick folder (pnpm bench sets it)}; WORK=/tmp/bench/yardstick
mkdir -p "$WORK"; cp "$SRC"/*.mjs "$SRC"/*.sh "$SRC"/*.sql "$SRC"/package*.json "$WORK"/; cd "$WORK"
ROUNDS=${ROUNDS:-2}; CASES=${CASES-a b c d e}; CONNS=${CONNS:-50}
API_ONLY_CASES=${API_ONLY_CASES-a c}
PRODUCT_LOG_LEVEL=${PRODUCT_LOG_LEVEL:-info}
FIXED=${FIXED:-0}; FIXED_DURATION=${FIXED_DURATION:-20}
PRODUCT_PORT=${PRODUCT_PORT:-3201}; API_PORT=${API_PORT:-3202}; BASE_PORT=${BASE_PORT:-3110}
export DURATION=${DURATION:-10} WARMUP=${WARMUP:-3}
DB=product
DBURL=postgresql://postgres@127.0.0.1:54331/$DB
export BIG_ACCT=acct_01KDVDNA000000000000000B1G SMALL_ACCT=acct_01KDVDNA0000000000005MA110
export BIG_KEY=sk_ipDjtB0MJrP0nP0llVyk93TSs8aX60DYkhbmDp0vHs6 SMALL_KEY=sk_JUVtL5fiN1CPAlVRwdZu9JhQxQErx7kP7s8EDKfWO7O
export IDS_FILE=/tmp/bench/product-ids.txt
ENC_KEYS="bench:BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc="   # fixed: 32 bytes of 0x07 (as pnpm bench)
STAMP=$(date +%Y%m%d-%H%M%S)
RES=/tmp/bench/pvb-$STAMP.jsonl
PSQL() { ./pg.sh psql -d "$DB" "$@"; }

# ---------------------------------------------------------------- setup
[ -d node_modules/autocannon ] && [ -d node_modules/pg ] || npm ci --no-audit --no-fund --silent
[ -f "$PRODUCT_DIR/apps/web/.next/BUILD_ID" ] || { echo "pvb: $PRODUCT_DIR is not built (pnpm install && pnpm build)" >&2; exit 1; }
./pg.sh init >/dev/null
./pg.sh start >/dev/null
./pg.sh psql -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1 \
  || ./pg.sh psql -d postgres -qc "CREATE DATABASE $DB"
(cd "$PRODUCT_DIR" && DATABASE_URL=$DBURL node --import tsx packages/server/src/cli.ts migrate) >/dev/null
seeded=$(PSQL -Atc "SELECT to_regclass('bench.meta') IS NOT NULL AND EXISTS (SELECT 1 FROM bench.meta WHERE k = 'seeded_at')" 2>/dev/null || echo f)
if [ "${RESEED:-0}" = 1 ] || [ "$seeded" != t ]; then
  echo "pvb: seeding database $DB (about a minute)"
  PSQL -q -f product-seed.sql >/dev/null
fi
[ "${SETUP_ONLY:-0}" = 1 ] && { echo "pvb: setup done"; exit 0; }

# ---------------------------------------------------------------- reset
PSQL -qAtc "DELETE FROM issuers WHERE created_at > (SELECT v::timestamptz FROM bench.meta WHERE k = 'seeded_at')"
PSQL -qc "VACUUM (ANALYZE) issuers" -c "CHECKPOINT"
CURSOR=$(PSQL -Atc "SELECT id FROM issuers WHERE account_id = '$BIG_ACCT' ORDER BY id DESC OFFSET 899999 LIMIT 1")
export CURSOR
PSQL -Atc "SELECT id FROM issuers WHERE account_id = '$BIG_ACCT' ORDER BY md5(id) LIMIT 10000" > "$IDS_FILE"

# ---------------------------------------------------------------- servers
declare -A PID URLS MATCH
cleanup() {
  for t in "${!PID[@]}"; do
    p=${PID[$t]}
    if kill -0 "$p" 2>/dev/null; then kill "$p"; fi
  done
  for t in "${!PID[@]}"; do wait "${PID[$t]}" 2>/dev/null || true; done
}
trap cleanup EXIT
for port in $PRODUCT_PORT $API_PORT $BASE_PORT; do
  if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then echo "pvb: port $port is already taken" >&2; exit 1; fi
done
product_env=(DATABASE_URL=$DBURL HOST=127.0.0.1 NODE_ENV=production LOG_LEVEL=$PRODUCT_LOG_LEVEL REDIS_URL=
  AUTHPI_RATE_LIMIT_PER_SECOND=1000000 AUTHPI_RATE_LIMIT_BURST=1000000 AUTHPI_ENCRYPTION_KEYS=$ENC_KEYS)
# `exec` so that $! is the node process itself (kill by that PID only; RSS and CPU are that process's)
( cd "$PRODUCT_DIR/apps/web" && exec env "${product_env[@]}" PORT=$PRODUCT_PORT node ${PRODUCT_START_FLAGS:?the Node flags of the start script, set by pnpm bench} ${PRODUCT_NODE_FLAGS:-} server.mjs ) \
  > /tmp/bench/pvb-$STAMP-product.log 2>&1 &
PID[product]=$!; URLS[product]=http://127.0.0.1:$PRODUCT_PORT; MATCH[product]="server.mjs"
if [ -n "$API_ONLY_CASES" ]; then
  ( cd "$PRODUCT_DIR/apps/web" && exec env "${product_env[@]}" PORT=$API_PORT node --import tsx src/serve-api.ts ) \
    > /tmp/bench/pvb-$STAMP-apionly.log 2>&1 &
  PID[apionly]=$!; URLS[apionly]=http://127.0.0.1:$API_PORT; MATCH[apionly]="tsx src/serve-api.ts"
fi
PORT=$BASE_PORT DATABASE_URL=$DBURL node baseline-product.mjs > /tmp/bench/pvb-$STAMP-baseline.log 2>&1 &
PID[baseline]=$!; URLS[baseline]=http://127.0.0.1:$BASE_PORT; MATCH[baseline]="baseline-product.mjs"

for t in "${!PID[@]}"; do
  u=${URLS[$t]}
  for _ in $(seq 300); do
    curl -fsS -o /dev/null -H "Authorization: Bearer $SMALL_KEY" "$u/v1/accounts/$SMALL_ACCT/issuers?limit=1" 2>/dev/null && break
    kill -0 "${PID[$t]}" 2>/dev/null || { echo "pvb: $t exited; see /tmp/bench/pvb-$STAMP-$t.log" >&2; exit 1; }
    sleep 0.2
  done
  # sanity: each route answers 2xx with the expected shape
  n=$(curl -fsS -H "Authorization: Bearer $SMALL_KEY" "$u/v1/accounts/$SMALL_ACCT/issuers?limit=50" | jq '.data | length')
  m=$(curl -fsS -H "Authorization: Bearer $BIG_KEY" "$u/v1/accounts/$BIG_ACCT/issuers?limit=50&cursor=$CURSOR" | jq '.data | length')
  g=$(curl -fsS -D - -o /dev/null -H "Authorization: Bearer $BIG_KEY" "$u/v1/accounts/$BIG_ACCT/issuers/$(head -1 "$IDS_FILE")" | grep -ci '^etag:')
  [ "$n" = 50 ] && [ "$m" = 50 ] && [ "$g" = 1 ] || { echo "pvb: $t answers wrongly (list $n, deep $m, etag $g)" >&2; exit 1; }
done
echo "== pvb $STAMP: product ${PRODUCT_DIR} ($(git -C "$PRODUCT_DIR" rev-parse --short HEAD 2>/dev/null || echo '?')) LOG_LEVEL=$PRODUCT_LOG_LEVEL pid ${PID[product]}, api-only pid ${PID[apionly]:--}, baseline pid ${PID[baseline]}; ${ROUNDS} rounds, ${CONNS} conns, ${WARMUP}s + ${DURATION}s; node $(node -v), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"

run_case() { # target case round [extra env...]
  local t=$1 k=$2 r=$3 rj; shift 3
  if [[ $r =~ ^[0-9]+$ ]]; then rj=$r; else rj="\"$r\""; fi
  env "$@" URL="${URLS[$t]}" SERVER_MATCH="${MATCH[$t]}" node load.mjs "$k" "$CONNS" \
    | sed "s/^{/{\"target\":\"$t\",\"round\":$rj,/" | tee -a "$RES" \
    | jq -r '"  \(.target|.[0:8]) r\(.round) \(.case) \(.rps) req/s p50 \(.p50_ms) p99 \(.p99_ms) max \(.max_ms) non2xx \(.non2xx) err \(.errors) to \(.timeouts) | cores srv \(.cpu_server) pg \(.cpu_pg) gen \(.cpu_loadgen) other \(.cpu_other) idle \(.cpu_idle) steal \(.cpu_steal)"'
}
PREWARM=${PREWARM:-3}
if [ "$PREWARM" != 0 ]; then
  for k in $CASES; do for t in "${!PID[@]}"; do
    if [ "$t" = apionly ] && [[ " $API_ONLY_CASES " != *" $k "* ]]; then continue; fi
    WARMUP=0 DURATION=$PREWARM URL="${URLS[$t]}" node load.mjs "$k" "$CONNS" >/dev/null
  done; done
  echo "  (pre-warmed every target on every case for ${PREWARM}s)"
fi
for r in $(seq "$ROUNDS"); do
  for k in $CASES; do
    run_case product "$k" "$r"
    run_case baseline "$k" "$r"
    if [ -n "${PID[apionly]:-}" ] && [[ " $API_ONLY_CASES " == *" $k "* ]]; then run_case apionly "$k" "$r"; fi
  done
done
if [ "$FIXED" = 1 ]; then
  # open-loop, uniformly spaced requests (fixed-rate.mjs), after 5 s full-speed + 3 s at-rate warm-up
  for spec in c:500 a:150; do
    k=${spec%%:*}; rate=${spec##*:}
    for t in product baseline; do
      env URL="${URLS[$t]}" SERVER_MATCH="${MATCH[$t]}" DURATION="$FIXED_DURATION" WARMUP=3 CONNS="$CONNS" node fixed-rate.mjs "$k" "$rate" \
        | sed "s/^{/{\"target\":\"$t\",\"round\":\"fixed$rate\",/" | tee -a "$RES" \
        | jq -r '"  \(.target|.[0:8]) fixed \(.case) \(.rate) req/s (done \(.rps)/s) p50 \(.p50_ms) p90 \(.p90_ms) p99 \(.p99_ms) max \(.max_ms) non2xx \(.non2xx) err \(.errors) | cores srv \(.cpu_server) pg \(.cpu_pg) gen \(.cpu_loadgen) idle \(.cpu_idle)"'
    done
  done
fi
if [ "${RAW_ROUNDS:-3}" != 0 ] && [[ " $CASES " == *" a "* ]] && [[ " $CASES " == *" b "* ]]; then
  # Page 1 and the deep page again, taking turns in half-second slices under one load, with a
  # client that decodes no body (raw-pages.mjs: why); the targets interleaved.
  for r in $(seq "${RAW_ROUNDS:-3}"); do for t in product baseline; do
    env URL="${URLS[$t]}" CONNS="$CONNS" DURATION="${RAW_DURATION:-10}" node "$BENCH_DIR/raw-pages.mjs" \
      | sed "s/^{/{\"target\":\"$t\",\"round\":\"raw$r\",/" | tee -a "$RES" \
      | jq -r '"  \(.target|.[0:8]) raw \(.case) \(.rps) req/s over \(.duration_s) s (\(.kB_per_req) kB) non2xx \(.non2xx) err \(.errors)"'
  done; done
fi
for t in "${!PID[@]}"; do
  echo "memory $t pid ${PID[$t]}: $(grep -E '^(VmHWM|VmRSS)' /proc/${PID[$t]}/status | tr -s ' \t\n' ' ')"
done | tee -a /tmp/bench/pvb-$STAMP-memory.txt
cleanup; PID=()

node -e '
const all = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").filter(Boolean).map(JSON.parse);
const rows = all.filter((r) => !r.mode), fixed = all.filter((r) => r.mode === "open-loop");
const name = { a: "list p1 small", b: "list 900k deep", c: "get one", d: "post create", e: "patch" };
const pad = (s, n) => String(s).padStart(n);
console.log("\ncase              target    round   req/s  p50 ms  p99 ms  max ms  non2xx/err+to  cores: server pg gen other idle steal");
for (const r of rows) console.log(`${(r.case + " " + name[r.case]).padEnd(17)} ${r.target.padEnd(9)} ${String(r.round).padEnd(7)} ${pad(r.rps, 6)} ${pad(r.p50_ms, 7)} ${pad(r.p99_ms, 7)} ${pad(r.max_ms, 7)}  ${pad(r.non2xx, 6)}/${r.errors + r.timeouts}       ${[r.cpu_server, r.cpu_pg, r.cpu_loadgen, r.cpu_other, r.cpu_idle, r.cpu_steal].map((x) => pad(x, 4)).join(" ")}`);
const inter = rows.filter((r) => typeof r.round === "number");
const mean = (t, k) => { const xs = inter.filter((r) => r.target === t && r.case === k).map((r) => r.rps); return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN; };
const per = (t, k) => inter.filter((r) => r.target === t && r.case === k).map((r) => r.rps);
const cases = [...new Set(inter.map((r) => r.case))];
console.log("\ncase              product req/s (rounds)   baseline req/s (rounds)   ratio   per-round ratios   api-only req/s (rounds)  api-only/baseline  api-only/product");
const ratios = [];
for (const k of cases) {
  const p = per("product", k), b = per("baseline", k), a = per("apionly", k);
  const ratio = mean("product", k) / mean("baseline", k);
  ratios.push(`${k}=${ratio.toFixed(2)}`);
  const pr = p.map((x, i) => (x / b[i]).toFixed(2)).join(", ");
  console.log(`${(k + " " + name[k]).padEnd(17)} ${pad(mean("product", k).toFixed(0), 6)} (${p.join(", ")})`.padEnd(42) + ` ${pad(mean("baseline", k).toFixed(0), 6)} (${b.join(", ")})`.padEnd(27) + ` ${ratio.toFixed(2)}    ${pr.padEnd(17)}  ` + (a.length ? `${mean("apionly", k).toFixed(0)} (${a.join(", ")})`.padEnd(24) + ` ${(mean("apionly", k) / mean("baseline", k)).toFixed(2)}              ${(mean("apionly", k) / mean("product", k)).toFixed(2)}` : "-"));
}
if (fixed.length) {
  console.log("\nfixed rate (open loop)  target    rate  done/s  p50 ms  p90 ms  p99 ms  max ms  non2xx/err  cores: server pg");
  for (const r of fixed) console.log(`${(r.case + " " + name[r.case]).padEnd(23)} ${r.target.padEnd(9)} ${pad(r.rate, 4)} ${pad(r.rps, 7)} ${pad(r.p50_ms, 7)} ${pad(r.p90_ms, 7)} ${pad(r.p99_ms, 7)} ${pad(r.max_ms, 7)}  ${pad(r.non2xx, 6)}/${r.errors}     ${pad(r.cpu_server, 4)} ${pad(r.cpu_pg, 4)}`);
}
console.log("\nratios: " + ratios.join(" "));
' "$RES"
echo "results: $RES"
