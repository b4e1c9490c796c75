#!/usr/bin/env bash
# Bulk operations at 100,000 customers (issue 30's targets: a bulk tag and
# a CSV export of 100,000 each in under 30 s), on SQLite and PostgreSQL:
#
#   bench/bulk.sh                     # both backends, 100,000 customers
#   N=10000 BACKENDS=sqlite bench/bulk.sh
#   SEGMENT=1 bench/bulk.sh           # with a dynamic segment in the tenant
#
# Seeds a tenant with `crm seed-demo`, serves it with the release binary,
# starts a TAG of every customer and then an EXPORT (CSV, five columns),
# and times each from startBulkOperation until the operation reads
# COMPLETED (and, for the export, until its file is downloaded).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CRM=$(realpath "${CRM:-$ROOT/target/release/crm}")
N=${N:-100000}
SEGMENT=${SEGMENT:-0}
BACKENDS=${BACKENDS:-"sqlite postgres"}
PORT=${PORT:-18081}
SECRET=bench-secret-0123456789abcdef0123456789
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
command -v jq >/dev/null || { echo "bench/bulk.sh needs jq (apt-get install jq)"; exit 1; }

gql() { # query [variables]
  curl -sf "http://127.0.0.1:$PORT/graphql" -H "authorization: Bearer $TOKEN" \
    -H 'content-type: application/json' \
    -d "$(jq -nc --arg q "$1" --argjson v "${2:-{\}}" '{query: $q, variables: $v}')"
}

# Seconds from starting `input` until the operation has COMPLETED.
timed() {
  local started id status
  started=$(date +%s.%N)
  id=$(gql 'mutation($i: BulkOperationInput!) { startBulkOperation(input: $i) { id } }' "{\"i\": $1}" | jq -r .data.startBulkOperation.id)
  while :; do
    status=$(gql 'query($id: ID!) { bulkOperation(id: $id) { status processed resultUrl } }' "{\"id\": \"$id\"}")
    case $(jq -r .data.bulkOperation.status <<<"$status") in
      COMPLETED) break ;;
      FAILED|CANCELLED) echo "failed: $status" >&2; exit 1 ;;
    esac
    sleep 0.1
  done
  local url
  url=$(jq -r .data.bulkOperation.resultUrl <<<"$status")
  if [ "$url" != null ]; then
    curl -sf "http://127.0.0.1:$PORT$url" -o "$WORK/export.csv"
  fi
  echo "$(date +%s.%N) - $started" | bc
}

for backend in $BACKENDS; do
  case $backend in
    sqlite) DB="sqlite://$WORK/bench.db?mode=rwc" ;;
    postgres)
      psql -qh 127.0.0.1 -U postgres -c "drop database if exists crm_bulk_bench" -c "create database crm_bulk_bench"
      DB=postgres://postgres@127.0.0.1:5432/crm_bulk_bench ;;
  esac
  seed_started=$(date +%s.%N)
  DATABASE_URL=$DB "$CRM" seed-demo --tenant bench --customers "$N" --activities 0 >/dev/null
  seeded=$(echo "$(date +%s.%N) - $seed_started" | bc)
  DATABASE_URL=$DB CRM_JWT_SECRET=$SECRET CRM_LOG=warn "$CRM" serve --listen "127.0.0.1:$PORT" \
    --max-cost 100000000 --rate-bucket 1e12 --rate-restore 1e12 > "$WORK/serve.log" 2>&1 &
  SERVER=$!
  until curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; do sleep 0.1; done
  TOKEN=$(DATABASE_URL=$DB CRM_JWT_SECRET=$SECRET "$CRM" token --tenant bench --ttl 2h)
  if [ "$SEGMENT" = 1 ]; then
    # Every tagged customer is then marked for a membership recheck.
    gql 'mutation { createSegment(input: { name: "Tagged", query: "tag:bulk-bench" }) { id } }' >/dev/null
  fi
  tag=$(timed '{"action": "TAG", "selection": {"filter": {}}, "tags": ["bulk-bench"]}')
  export=$(timed '{"action": "EXPORT", "selection": {"filter": {}}, "format": "CSV", "columns": ["ID", "EMAIL", "NAME", "TAGS", "TOTAL_SPENT"]}')
  rows=$(($(wc -l < "$WORK/export.csv") - 1))
  printf '%s%s: %d customers (seeded in %.1f s): bulk tag %.1f s, CSV export %.1f s (%d rows, %s bytes)\n' \
    "$backend" "$([ "$SEGMENT" = 1 ] && echo ', with a dynamic segment')" "$N" "$seeded" "$tag" "$export" "$rows" "$(wc -c < "$WORK/export.csv")"
  kill $SERVER; wait $SERVER 2>/dev/null || true
done
