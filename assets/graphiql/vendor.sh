#!/usr/bin/env bash
# Copies the production builds the GraphiQL page at `/` loads from the
# packages pinned in package-lock.json into dist/, laid out like unpkg.com.
# The server embeds dist/ at build time (src/http/graphiql/assets.rs), so
# the page needs no network. `--check` fails when dist/ differs from the
# pinned packages (CI runs it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
npm ci --no-audit --no-fund --loglevel=error

out="dist"
if [ "${1:-}" = "--check" ]; then
    out="$(mktemp -d)"
    trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out/graphiql@4" "$out/react@18/umd" "$out/react-dom@18/umd"
cp node_modules/graphiql/graphiql.min.js node_modules/graphiql/graphiql.min.css "$out/graphiql@4/"
cp node_modules/react/umd/react.production.min.js "$out/react@18/umd/"
cp node_modules/react-dom/umd/react-dom.production.min.js "$out/react-dom@18/umd/"
cp node_modules/graphiql/LICENSE "$out/graphiql@4/LICENSE"
cp node_modules/react/LICENSE "$out/react@18/LICENSE"
cp node_modules/react-dom/LICENSE "$out/react-dom@18/LICENSE"

if [ "${1:-}" = "--check" ]; then
    diff -r "$out" dist && echo "assets/graphiql/dist matches the pinned packages"
fi
