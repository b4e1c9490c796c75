#!/usr/bin/env bash
# An API key per tenant of the peer benchmark's data (loaded by
# ../shared/peer/load-crm.sh), written as "tenant key" lines beside its
# tokens, for bench/peer.sh to send instead of them:
#
#   CRM=target/release/crm bench/api-keys.sh
#   TOKENS=/tmp/crm-ours/api-keys.txt SERVERS=ours KINDS=b bench/peer.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CRM=$(realpath "${CRM:-$ROOT/target/release/crm}")
URL=${URL:-postgres://postgres@127.0.0.1:55432/crm_ours}
OUT=${OUT:-/tmp/crm-ours/api-keys.txt}
for i in $(seq -w 1 10); do
  echo "tenant-$i $(DATABASE_URL=$URL "$CRM" api-key create --tenant "tenant-$i" --name bench --scopes read:customers)"
done > "$OUT"
echo "API keys for 10 tenants in $OUT"
