#!/usr/bin/env bash
# The browser checks, with no request beyond the loopback: headless
# Chromium runs a query and a subscription in GraphiQL at `/`, and walks
# through the reference console at `/console/`. Leaves screenshots in
# target/browser/. Needs a built `crm`
# (target/debug/crm, as `cargo test` leaves it), Node and Chromium
# (installed with apt-get when missing).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
crm="${CRM_BIN:-$root/target/debug/crm}"

if ! command -v npm >/dev/null 2>&1; then
    echo "Node is missing: installing it"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
if ! command -v chromium >/dev/null 2>&1; then
    echo "Chromium is missing: installing it"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
# The reference console, type-checked against schema.graphql and built.
console="$root/examples/console"
(cd "$console" && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)

work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# The server on its development secret: the page carries a token for
# tenant `demo`, in its headers and its WebSocket connection parameters.
port="$(free_port)"
database="sqlite://$work/crm.db?mode=rwc"
"$crm" serve --database-url "$database" --listen "127.0.0.1:$port" \
    --console true --console-dir "$console/dist" --log warn &
pids+=($!)
for _ in $(seq 1 50); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
    sleep 0.2
done
token="$("$crm" token --database-url "$database" --tenant demo --sub browser-check)"

out="$root/target/browser"
mkdir -p "$out"
node "$here/graphiql.mjs" "http://127.0.0.1:$port" "$token" "$out"
node "$here/console.mjs" "http://127.0.0.1:$port" "$token" "$out"
