#!/usr/bin/env bash
# The GraphQL-over-HTTP conformance check: the graphql-http npm package's
# server audits (version pinned in package.json) against a live server on a
# temporary SQLite database. Fails on any failing MUST or SHOULD audit; a
# failing MAY is printed only. Needs a built `crm` (target/debug/crm, as
# `cargo test` leaves it, or CRM_BIN) and Node (installed with apt-get when
# missing).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
crm="${CRM_BIN:-$root/target/debug/crm}"

if ! command -v npm >/dev/null 2>&1; then
    echo "Node is missing: installing it"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)

work="$(mktemp -d)"
pid=""
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# A fixed secret (not the development one written beside the database), and
# a limiter roomy enough that the audits' burst of requests is never refused.
export CRM_JWT_SECRET="0123456789abcdef0123456789abcdef-http-audit"
export CRM_RATE_BUCKET=1000000000 CRM_RATE_RESTORE=1000000000
port="$(free_port)"
database="sqlite://$work/crm.db?mode=rwc"
"$crm" serve --database-url "$database" --listen "127.0.0.1:$port" --log warn &
pid=$!
for _ in $(seq 1 50); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
    sleep 0.2
done
# The audits query `{ __typename }` and `mutation { __typename }`: any scope does.
token="$("$crm" token --database-url "$database" --tenant http-audit --sub http-audit --scopes "read:customers write:customers")"

node "$here/audit.mjs" "http://127.0.0.1:$port/graphql" "$token"
