#!/usr/bin/env bash
# A longer run of the crash test: the server killed with SIGKILL under four
# concurrent writers, ROUNDS times in a row, on SQLite and (with
# CRM_TEST_DATABASE_URL) PostgreSQL; then every acknowledged write is looked
# for and every customer checked for half-written state. Prints one line per
# backend: kills, writes acknowledged, writes found.
#
#   ROUNDS=100 CRM_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test bench/crash.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CRM_CRASH_ROUNDS=${ROUNDS:-100} cargo test --test api \
  acknowledged_writes_survive_sigkill -- --nocapture 2>&1 | grep -E "kills,|test result"
