#!/usr/bin/env bash
# A full Twin deployment on one machine, step by step:
#   1. the database  (DATABASE_URL: a Postgres server; unset: embedded PGlite in $TWIN_DATA_DIR)
#   2. migrations    (applied on every start; `migrate` applies them without serving)
#   3. an API key    (created by the CLI, printed once, stored hashed)
#   4. the server    (pricing from pricing.json; provider keys from the environment)
#   5. a stream      (curl -N) and the bill it left
#
# Usage: examples/server-deployment/deploy.sh            (from the repository root, after `pnpm build`)
#        DATABASE_URL=postgres://user@host:5432/db examples/server-deployment/deploy.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cli="node $root/packages/server-express/dist/cli.js"

export PORT="${PORT:-8787}"
export TWIN_DATA_DIR="${TWIN_DATA_DIR:-$here/.twin-data}"     # only used without DATABASE_URL
export TWIN_PRICING_FILE="$here/pricing.json"
export TWIN_INSTANCE_ID="${TWIN_INSTANCE_ID:-$(hostname)}"      # distinct per server sharing a database
export LOG_LEVEL="${LOG_LEVEL:-info}"
# export OPENAI_API_KEY=...   # without any provider key the simulated provider serves

if [ ! -f "$root/packages/server-express/dist/cli.js" ]; then (cd "$root" && pnpm build); fi

echo "== 1-2. database + migrations (${DATABASE_URL:+Postgres server}${DATABASE_URL:-embedded PGlite in $TWIN_DATA_DIR})"
$cli migrate

echo "== 3. API key for tenant acme"
key="$($cli keys create --tenant acme --name deploy-example | tail -n 1)"
echo "   created ${key:0:12}… (printed once by the CLI; store it in your secret manager)"

echo "== 4. server on :$PORT"
$cli serve > "$here/server.log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -fs "localhost:$PORT/health" > /dev/null && break; sleep 0.5; done
curl -fs "localhost:$PORT/health"; echo

echo "== 5. a stream, then its bill"
curl -sN -H "Authorization: Bearer $key" "localhost:$PORT/api/stream?prompt=Hello+from+the+deployment+example&purpose=demo"
echo
curl -s -H "Authorization: Bearer $key" "localhost:$PORT/api/billing/records?limit=1"; echo
curl -s -H "Authorization: Bearer $key" "localhost:$PORT/api/billing/report?groupBy=provider,purpose"; echo
curl -s "localhost:$PORT/metrics" | grep '^twin_streams' || true
echo "== done (SIGTERM: open streams are finalised before exit)"
