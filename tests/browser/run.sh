#!/usr/bin/env bash
# The browser check: headless Chromium opens GraphiQL at `/`, starts a
# subscription, and an activity recorded over HTTP appears on the page.
# Leaves a screenshot in target/browser/. Needs a built `crm`
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

work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# GraphiQL's page loads React and GraphiQL from a base laid out like
# unpkg.com; here it is served from the npm packages.
mkdir -p "$work/assets"
ln -s "$here/node_modules/graphiql" "$work/assets/graphiql@4"
ln -s "$here/node_modules/react" "$work/assets/react@18"
ln -s "$here/node_modules/react-dom" "$work/assets/react-dom@18"
assets_port="$(free_port)"
# The page loads React with `crossorigin`: the files need a CORS header.
python3 - "$assets_port" "$work/assets" >/dev/null 2>&1 <<'PY' &
import functools, http.server, sys
class Handler(http.server.SimpleHTTPRequestHandler):
    def end_headers(self):
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()
handler = functools.partial(Handler, directory=sys.argv[2])
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), handler).serve_forever()
PY
pids+=($!)

# The server on its development secret: the page carries a token for
# tenant `demo`, in its headers and its WebSocket connection parameters.
port="$(free_port)"
database="sqlite://$work/crm.db?mode=rwc"
"$crm" serve --database-url "$database" --listen "127.0.0.1:$port" \
    --graphiql-assets "http://127.0.0.1:$assets_port/" --log warn &
pids+=($!)
for _ in $(seq 1 50); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
    sleep 0.2
done
token="$("$crm" token --database-url "$database" --tenant demo --sub browser-check)"

mkdir -p "$root/target/browser"
node "$here/graphiql.mjs" "http://127.0.0.1:$port" "$token" "$root/target/browser/graphiql-subscription.png"
