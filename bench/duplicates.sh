#!/usr/bin/env bash
# The duplicate finder at N (100,000) customers, on SQLite and PostgreSQL
# (issue 31: found from scratch in under 60 s; kept current at import
# rates, slowing them by at most a tenth):
#
#   bench/duplicates.sh                          # both backends
#   N=10000 BACKENDS=sqlite bench/duplicates.sh
#   CRM=/tmp/before/crm bench/duplicates.sh      # a build without the finder
#
# For each backend: a fresh database, `crm import` of the CSV that
# bench/duplicates_csv.py writes (N rows, one in ten a duplicate), timed,
# then `crm find-duplicates` from scratch, timed, with the pairs it found.
# A binary without `find-duplicates` only imports.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CRM=$(realpath "${CRM:-$ROOT/target/release/crm}")
N=${N:-100000}
BACKENDS=${BACKENDS:-"sqlite postgres"}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 "$ROOT/bench/duplicates_csv.py" "$N" > "$WORK/customers.csv"

for backend in $BACKENDS; do
  case $backend in
    sqlite) url="sqlite://$WORK/dups.db?mode=rwc" ;;
    postgres)
      psql -q "$PG/postgres" -c 'DROP DATABASE IF EXISTS crm_dups' -c 'CREATE DATABASE crm_dups'
      url="$PG/crm_dups" ;;
  esac
  DATABASE_URL=$url "$CRM" migrate >/dev/null 2>&1
  started=$(date +%s.%N)
  DATABASE_URL=$url "$CRM" import "$WORK/customers.csv" --tenant dups \
    --rejected "$WORK/rejected.csv" >/dev/null 2>&1
  ended=$(date +%s.%N)
  echo "$backend: crm import of $N rows: $(echo "$N / ($ended - $started)" | bc) rows/s"
  if "$CRM" find-duplicates --help >/dev/null 2>&1; then
    started=$(date +%s.%N)
    found=$(DATABASE_URL=$url "$CRM" find-duplicates --tenant dups 2>/dev/null)
    ended=$(date +%s.%N)
    echo "$backend: $found; $(echo "$ended - $started" | bc) s with the binary's start"
  fi
done
