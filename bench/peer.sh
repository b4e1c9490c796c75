#!/usr/bin/env bash
# Side-by-side rounds against PostGraphile on one private PostgreSQL cluster
# (the harness in ../shared/peer; its README sets it up: cluster.sh init,
# start, load, then load-crm.sh with this build). Each round runs this
# server's queries (a), (b), (c) and then PostGraphile's, one after the
# other, 16 connections for 20 s each; every RESULT line goes to
# $OUT/summary.txt, tagged with the round and the server.
#
#   ROUNDS=3 CRM=target/release/crm bench/peer.sh
#
# Env: CRM (target/release/crm), ROUNDS (3), PEER (../shared/peer),
# OUT (/tmp/crm-bench/peer-<timestamp>), KINDS ("a b c"), SERVERS
# ("ours pgl"), CRM_QUERIES (queries-crm under PEER), EXTRA_ENV (more
# variables for this server, e.g. "CRM_REDIS_URL=redis://127.0.0.1/"),
# TOKENS ("tenant credential" per line for this server: load-crm.sh's
# tokens, or bench/api-keys.sh's API keys).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CRM=$(realpath "${CRM:-$ROOT/target/release/crm}")
PEER=$(cd "${PEER:-$ROOT/../shared/peer}" && pwd)
ROUNDS=${ROUNDS:-3}
KINDS=${KINDS:-a b c}
SERVERS=${SERVERS:-ours pgl}
CRM_QUERIES=${CRM_QUERIES:-$PEER/queries-crm}
OUT=${OUT:-/tmp/crm-bench/peer-$(date +%Y%m%d-%H%M%S)}
TOKENS=${TOKENS:-/tmp/crm-ours/tokens.txt}
PREFIXES=${PREFIXES:-nour.,ngozi.,meera.,fang.,layla.,sophia.,oluwaseun.,diego.,jonas.,sakura.,sofia.,haruto.,felix.,jose.,fatima.,aoi.,lei.,adaeze.,mei.,ethan.}
CLUSTER=postgres://postgres@127.0.0.1:55432
export CRM_JWT_SECRET=${CRM_JWT_SECRET:-bench-secret-0123456789abcdef0123456789}
mkdir -p "$OUT"

wait_ready() {
  for _ in $(seq 1 100); do
    curl -sf "$1" >/dev/null && return
    sleep 0.2
  done
  echo "server at $1 did not become ready" >&2
  exit 1
}

ours() {
  env DATABASE_URL=$CLUSTER/crm_ours CRM_LISTEN=127.0.0.1:18080 CRM_DB_POOL=10 \
    CRM_RATE_BUCKET=1000000000 CRM_RATE_RESTORE=1000000000 CRM_LOG=warn \
    ${EXTRA_ENV:-} "$CRM" serve > "$OUT/ours-$1.log" 2>&1 &
  local pid=$!
  wait_ready http://127.0.0.1:18080/readyz
  (cd "$PEER" && URL=http://127.0.0.1:18080/graphql QUERIES=$CRM_QUERIES KINDS="$KINDS" \
    TOKENS_FILE=$TOKENS IDS_FILE=/tmp/crm-ours/ids.txt PREFIXES=$PREFIXES \
    DATABASE_URL=$CLUSTER/crm_ours OUT="$OUT/ours-$1" SERVER_PID=$pid ./load/bench-graphql.sh) \
    | sed "s/^RESULT/RESULT round=$1 server=ours/" | grep '^RESULT' | tee -a "$OUT/summary.txt"
  kill "$pid"; wait "$pid" || true
}

pgl() {
  (cd "$PEER" && DATABASE_URL=$CLUSTER/crm_bench ./run-peer.sh start >/dev/null)
  (cd "$PEER" && DATABASE_URL=$CLUSTER/crm_bench KINDS="$KINDS" OUT="$OUT/pgl-$1" \
    SERVER_PID=$(cat /tmp/pgl/server.pid) ./load/bench-graphql.sh) \
    | sed "s/^RESULT/RESULT round=$1 server=pgl/" | grep '^RESULT' | tee -a "$OUT/summary.txt"
  (cd "$PEER" && ./run-peer.sh stop >/dev/null)
}

echo "# $(date -u +%FT%TZ) commit $(git -C "$ROOT" rev-parse --short HEAD) binary $CRM" >> "$OUT/summary.txt"
for round in $(seq 1 "$ROUNDS"); do
  for server in $SERVERS; do
    "$server" "$round"
  done
done
echo "summary: $OUT/summary.txt"
