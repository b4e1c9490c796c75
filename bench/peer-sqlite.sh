#!/usr/bin/env bash
# The peer benchmark's three reads against this server on SQLite: the same
# data shape as ../shared/peer/load-crm.sh gives PostgreSQL (10 tenants of
# 10,000 customers from `crm seed-demo`, topped up to about 3 notes and 5
# orders each), the same load driver and queries.
#
#   CRM=target/release/crm bench/peer-sqlite.sh load   # once (~1 min)
#   CRM=target/release/crm bench/peer-sqlite.sh run    # a, b, c (search) and c (prefix)
#
# Env: CRM, DIR (/tmp/crm-sqlite), PEER (../shared/peer), OUT.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CRM=$(realpath "${CRM:-$ROOT/target/release/crm}")
PEER=$(cd "${PEER:-$ROOT/../shared/peer}" && pwd)
DIR=${DIR:-/tmp/crm-sqlite}
OUT=${OUT:-/tmp/crm-bench/sqlite-$(date +%Y%m%d-%H%M%S)}
URL="sqlite://$DIR/crm.db?mode=rwc"
PREFIXES=${PREFIXES:-nour.,ngozi.,meera.,fang.,layla.,sophia.,oluwaseun.,diego.,jonas.,sakura.,sofia.,haruto.,felix.,jose.,fatima.,aoi.,lei.,adaeze.,mei.,ethan.}
export CRM_JWT_SECRET=${CRM_JWT_SECRET:-bench-secret-0123456789abcdef0123456789} CRM_LOG=warn

case "${1:-}" in
  load)
    rm -rf "$DIR" && mkdir -p "$DIR"
    for i in 01 02 03 04 05 06 07 08 09 10; do
      DATABASE_URL=$URL "$CRM" seed-demo --tenant "tenant-$i" --customers 10000 --seed "$i" | tail -1
    done
    python3 - "$DIR/crm.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("""insert into notes (tenant_id, id, customer_id, body, author, created_at, updated_at)
  select c.tenant_id, c.id || 'n' || g.value, c.id,
         'Bench note ' || g.value || ' about follow-up and preferences for this customer.', 'bench',
         strftime('%Y-%m-%dT%H:%M:%S', c.created_at, '+' || g.value || ' days') || substr(c.created_at, 20),
         strftime('%Y-%m-%dT%H:%M:%S', c.created_at, '+' || g.value || ' days') || substr(c.created_at, 20)
  from customers c, (select 1 as value union all select 2 union all select 3) g""")
db.execute("""insert into orders (tenant_id, id, customer_id, external_id, amount_cents, currency, status, placed_at, created_at, updated_at)
  select c.tenant_id, c.id || 'o' || g.value, c.id, 'bench-' || c.id || '-' || g.value, 1000 + g.value * 137, 'USD', 'PAID',
         strftime('%Y-%m-%dT%H:%M:%S', c.created_at, '+' || (2 * g.value) || ' days') || substr(c.created_at, 20),
         strftime('%Y-%m-%dT%H:%M:%S', c.created_at, '+' || (2 * g.value) || ' days') || substr(c.created_at, 20),
         strftime('%Y-%m-%dT%H:%M:%S', c.created_at, '+' || (2 * g.value) || ' days') || substr(c.created_at, 20)
  from customers c, (select 1 as value union all select 2 union all select 3) g""")
db.commit()
with open(sys.argv[1].rsplit('/', 1)[0] + '/ids.txt', 'w') as ids:
    for key, tenant in db.execute("select id, tenant_id from customers"):
        ids.write(f"cus_{key} {tenant}\n")
PY
    for i in 01 02 03 04 05 06 07 08 09 10; do
      echo "tenant-$i $(DATABASE_URL=$URL "$CRM" token --tenant "tenant-$i" --sub bench --ttl 24h)"
    done > "$DIR/tokens.txt"
    echo "loaded $DIR: $(wc -l < "$DIR/ids.txt") customers"
    ;;
  run)
    mkdir -p "$OUT"
    DATABASE_URL=$URL CRM_LISTEN=127.0.0.1:18081 CRM_RATE_BUCKET=1000000000 \
      CRM_RATE_RESTORE=1000000000 "$CRM" serve > "$OUT/server.log" 2>&1 &
    pid=$!
    trap 'kill $pid 2>/dev/null || true' EXIT
    for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18081/readyz >/dev/null && break; sleep 0.2; done
    for queries in "$PEER/queries-crm" "$ROOT/bench/peer-prefix"; do
      kinds="a b c"
      [ "$queries" = "$ROOT/bench/peer-prefix" ] && kinds=c
      (cd "$PEER" && URL=http://127.0.0.1:18081/graphql QUERIES=$queries KINDS="$kinds" \
        TOKENS_FILE=$DIR/tokens.txt IDS_FILE=$DIR/ids.txt PREFIXES=$PREFIXES \
        DATABASE_URL=postgres://unused OUT="$OUT/$(basename "$queries")" SERVER_PID=$pid \
        ./load/bench-graphql.sh) | grep '^RESULT' | sed "s/^RESULT/RESULT server=ours-sqlite queries=$(basename "$queries")/" \
        | tee -a "$OUT/summary.txt"
    done
    ;;
  *)
    echo "usage: $0 load|run" >&2
    exit 2
    ;;
esac
