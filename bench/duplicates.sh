#!/usr/bin/env bash
# The duplicate finder at N (100,000) customers, on SQLite and PostgreSQL
# (issue 31: found from scratch in under 60 s; kept current at import
# rates, slowing them by at most a tenth):
#
#   bench/duplicates.sh                          # both backends
#   N=10000 BACKENDS=sqlite bench/duplicates.sh
#   CRM=/tmp/before/crm bench/duplicates.sh      # a build without the finder
#   BEFORE=/tmp/before/crm ROUNDS=3 bench/duplicates.sh
#
# With BEFORE (a build from before the finder), only the import is timed,
# in ROUNDS interleaved rounds of three: BEFORE alone, this build alone,
# this build beside a running server (whose worker files once the import
# has ended).
#
# For each backend, with the CSV that bench/duplicates_csv.py writes (N
# rows, one in ten a duplicate):
# 1. a fresh database, `crm import` with no server running, timed (the
#    import marks the customers it wrote);
# 2. `crm serve` started on it: the time its worker takes to file the
#    marked customers (until none wait), as customers a second;
# 3. `crm find-duplicates` from scratch, timed, with the pairs it found;
# 4. a fresh database with `crm serve` running: `crm import` timed again,
#    and how long after its end the last customer is filed.
# A binary without the finder only imports.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CRM=$(realpath "${CRM:-$ROOT/target/release/crm}")
N=${N:-100000}
BACKENDS=${BACKENDS:-"sqlite postgres"}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
PORT=${PORT:-18931}
WORK=$(mktemp -d)
SERVER=
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$WORK"' EXIT
python3 "$ROOT/bench/duplicates_csv.py" "$N" > "$WORK/customers.csv"
finder=0
"$CRM" find-duplicates --help >/dev/null 2>&1 && finder=1

fresh() {
  case $backend in
    sqlite) rm -f "$WORK"/dups.db*; url="sqlite://$WORK/dups.db?mode=rwc" ;;
    postgres)
      psql -q "$PG/postgres" -c 'DROP DATABASE IF EXISTS crm_dups' -c 'CREATE DATABASE crm_dups'
      url="$PG/crm_dups" ;;
  esac
  DATABASE_URL=$url "${1:-$CRM}" migrate >/dev/null 2>&1
}

# Customers waiting to be filed (none when the table does not exist).
pending() {
  case $backend in
    sqlite) sqlite3 "$WORK/dups.db" 'SELECT count(*) FROM duplicate_refreshes' 2>/dev/null || echo 0 ;;
    postgres) psql -tAq "$PG/crm_dups" -c 'SELECT count(*) FROM duplicate_refreshes' 2>/dev/null || echo 0 ;;
  esac
}

serve() {
  DATABASE_URL=$url CRM_JWT_SECRET=bench-secret-bench-secret-bench-secret-0 CRM_LOG=warn \
    "$CRM" serve --listen "127.0.0.1:$PORT" --worker-poll 100ms > "$WORK/serve.log" 2>&1 &
  SERVER=$!
  until curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; do sleep 0.05; done
}

stop() {
  kill "$SERVER"
  wait "$SERVER" 2>/dev/null || true
  SERVER=
}

import() {
  local started ended
  started=$(date +%s.%N)
  DATABASE_URL=$url "${CRM}" import "$WORK/customers.csv" --tenant dups \
    --rejected "$WORK/rejected.csv" >/dev/null 2>&1
  ended=$(date +%s.%N)
  echo "$N / ($ended - $started)" | bc
}

# Seconds until no customer waits to be filed.
drained() {
  local started ended
  started=$(date +%s.%N)
  while [ "$(pending)" != 0 ]; do sleep 0.05; done
  ended=$(date +%s.%N)
  echo "$ended - $started" | bc
}

if [ -n "${BEFORE:-}" ]; then
  BEFORE=$(realpath "$BEFORE")
  for backend in $BACKENDS; do
    for round in $(seq "${ROUNDS:-3}"); do
      fresh "$BEFORE"; before=$(CRM=$BEFORE import)
      fresh; alone=$(import)
      fresh; serve; beside=$(import); stop
      echo "$backend round $round: crm import of $N rows: before $before, alone $alone, beside a running server $beside rows/s"
    done
  done
  exit 0
fi

for backend in $BACKENDS; do
  fresh
  echo "$backend: crm import of $N rows, no server running: $(import) rows/s"
  [ "$finder" = 1 ] || continue
  marked=$(pending)
  serve
  took=$(drained)
  stop
  echo "$backend: $marked customers filed by the worker in $took s: $(echo "$marked / $took" | bc) customers/s"
  started=$(date +%s.%N)
  found=$(DATABASE_URL=$url "$CRM" find-duplicates --tenant dups 2>/dev/null)
  ended=$(date +%s.%N)
  echo "$backend: $found; $(echo "$ended - $started" | bc) s with the binary's start"
  fresh
  serve
  rate=$(import)
  lag=$(drained)
  stop
  echo "$backend: crm import of $N rows beside a running server: $rate rows/s; the last customer filed $lag s after the import ended"
done
