#!/usr/bin/env bash
# The fuzz pass: schemathesis generates queries and mutations from
# schema.graphql (valid and invalid arguments, then chains of mutations and
# queries) and sends them to a live server, with the check `no_internal_errors`
# of hooks.py: no 5xx, no INTERNAL_SERVER_ERROR, an extensions.code on every
# error. schemathesis.toml holds values the API accepts, mixed into the
# generated ones. Runs on a temporary SQLite database, then also on PostgreSQL
# when CRM_TEST_DATABASE_URL is set (in a schema of its own there, dropped at
# the end, as the API tests do; needs psql). JUnit reports and server logs go
# to target/fuzz/. Exits non-zero on any failure.
# Needs a built `crm` (target/debug/crm, as `cargo test` leaves it, or
# CRM_BIN) and Python 3; schemathesis goes into a venv in target/fuzz-venv.
# FUZZ_EXAMPLES (default 100: about 4,000 test cases a database, a minute or
# two) and FUZZ_SEED (default 1) tune the run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
crm="${CRM_BIN:-$root/target/debug/crm}"
examples="${FUZZ_EXAMPLES:-100}"
seed="${FUZZ_SEED:-1}"
out="$root/target/fuzz"
mkdir -p "$out"

venv="$root/target/fuzz-venv"
if ! cmp -s "$here/requirements.txt" "$venv/requirements.txt"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"
    cp "$here/requirements.txt" "$venv/requirements.txt"
fi

work="$(mktemp -d)"
pid=""
pg_schema=""
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
    if [ -n "$pg_schema" ]; then
        psql -q "$CRM_TEST_DATABASE_URL" -c "DROP SCHEMA IF EXISTS $pg_schema CASCADE" >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# A fixed secret; a limiter too roomy to refuse anything (the fuzz tests the
# API, not the limiter); webhook URLs on loopback allowed, so one can be seeded.
export CRM_JWT_SECRET="0123456789abcdef0123456789abcdef-fuzz"
export CRM_RATE_BUCKET=1000000000 CRM_RATE_RESTORE=1000000000
export CRM_WEBHOOK_ALLOW_PRIVATE=true
export SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$here" PYTHONDONTWRITEBYTECODE=1
scopes="read:customers write:customers read:segments write:segments read:data_requests write:data_requests read:webhooks write:webhooks"
failed=0

# fuzz NAME DATABASE_URL: a server on that database, a few seeded objects
# (seed.py) whose IDs hooks.py mixes into the generated IDs, then `st run`.
fuzz() {
    local name="$1" database="$2" port url token
    port="$(free_port)"
    url="http://127.0.0.1:$port/graphql"
    "$crm" serve --database-url "$database" --listen "127.0.0.1:$port" --log warn >"$out/server-$name.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 50); do
        curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
        sleep 0.2
    done
    token="$("$crm" token --database-url "$database" --tenant fuzz --sub schemathesis --scopes "$scopes")"
    FUZZ_IDS="$(python3 "$here/seed.py" "$url" "$token")"
    export FUZZ_IDS
    echo "fuzz on $name: seeded $FUZZ_IDS"

    # Left out: the built-in checks that count every intentional error
    # (BAD_USER_INPUT, NOT_FOUND, a refused invalid argument) as a failure;
    # response_schema_conformance stays (a null in a non-null field, a body
    # that is no GraphQL response). Health checks off: the hooks' rewrites
    # would trip them. The request timeout is over the server's own 10 s.
    # Run from target/fuzz, where anything schemathesis leaves belongs.
    (cd "$out" && "$venv/bin/st" --config-file "$here/schemathesis.toml" run "$root/schema.graphql" --url "$url" \
        -H "Authorization: Bearer $token" \
        --exclude-checks not_a_server_error,positive_data_acceptance,negative_data_rejection \
        --mode all --max-examples "$examples" --seed "$seed" --workers 2 \
        --generation-database none --suppress-health-check all --request-timeout 15 \
        --report junit --report-junit-path "$out/junit-$name.xml") || failed=1
    kill "$pid"
    wait "$pid" || true
    pid=""
}

fuzz sqlite "sqlite://$work/crm.db?mode=rwc"
if [ -n "${CRM_TEST_DATABASE_URL:-}" ]; then
    pg_schema="fuzz_$(date +%s)_$$"
    psql -q "$CRM_TEST_DATABASE_URL" -c "CREATE SCHEMA $pg_schema" >/dev/null
    sep='?'; case "$CRM_TEST_DATABASE_URL" in *\?*) sep='&' ;; esac
    fuzz postgres "${CRM_TEST_DATABASE_URL}${sep}options=-c%20search_path%3D$pg_schema"
fi
exit "$failed"
