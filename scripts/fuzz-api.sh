#!/usr/bin/env bash
# Schemathesis against the API, on a stack of its own (dev launcher: embedded Postgres, Temporal dev
# server, worker, API, demo data) with an API token:
#   1. /openapi.json is a valid OpenAPI 3.0.3 document (openapi-spec-validator);
#   2. at least FUZZ_MIN_REQUESTS (2,000) generated requests, positive and negative, 0 server errors.
# Schemathesis comes from PyPI into a venv under .data/. Run: bash scripts/fuzz-api.sh
# Settings: FUZZ_MIN_REQUESTS, FUZZ_MAX_EXAMPLES (per operation), FUZZ_PORT_BASE (6 ports from it), FUZZ_SEED.
set -euo pipefail
cd "$(dirname "$0")/.."

MIN_REQUESTS="${FUZZ_MIN_REQUESTS:-2000}"
MAX_EXAMPLES="${FUZZ_MAX_EXAMPLES:-150}"
BASE="${FUZZ_PORT_BASE:-23400}"
SEED="${FUZZ_SEED:-20261202}"
VENV=.data/fuzz-venv
WORK="$(mktemp -d /tmp/forewarn-fuzz-XXXXXX)"
chmod 755 "$WORK"
API_PORT=$BASE
TOKEN="fuzz-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
LAUNCHER=""

healthy() {
  node -e "fetch('http://127.0.0.1:$API_PORT/health', { signal: AbortSignal.timeout(2000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
}

cleanup() {
  if [ -n "$LAUNCHER" ] && kill -0 "$LAUNCHER" 2>/dev/null; then
    kill -TERM "$LAUNCHER"
    wait "$LAUNCHER" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ ! -x "$VENV/bin/schemathesis" ]; then
  echo "Installing Schemathesis into $VENV ..."
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q 'schemathesis==4.32.5' 'openapi-spec-validator==0.9.0'
fi

echo "1. The OpenAPI document"
npx tsx scripts/openapi.ts > "$WORK/openapi.json"
"$VENV/bin/python" - "$WORK/openapi.json" <<'PY'
import json, sys
from openapi_spec_validator import OpenAPIV30SpecValidator
spec = json.load(open(sys.argv[1]))
assert spec["openapi"] == "3.0.3", spec["openapi"]
errors = list(OpenAPIV30SpecValidator(spec).iter_errors())
for e in errors[:20]:
    print("  invalid:", "/".join(map(str, e.absolute_path)), e.message[:300])
if errors:
    sys.exit(f"/openapi.json is not valid OpenAPI 3.0.3: {len(errors)} error(s)")
print(f"   valid OpenAPI 3.0.3: {len(spec['paths'])} paths")
PY

echo "2. A stack of its own on ports $BASE-$((BASE + 5))"
# The API token also opens the Opsgenie and support webhooks, so their bodies are fuzzed past authentication.
API_TOKENS="$TOKEN" OPSGENIE_WEBHOOK_TOKEN="$TOKEN" SUPPORT_WEBHOOK_TOKEN="$TOKEN" PORT=$API_PORT WORKER_HEALTH_PORT=$((BASE + 1)) WORKER_METRICS_PORT=$((BASE + 2)) \
  TEMPORAL_UI_URL="http://127.0.0.1:$((BASE + 3))" DATABASE_URL= TEMPORAL_ADDRESS= LOG_LEVEL=error NODE_ENV=development \
  node --import tsx scripts/dev.ts --data-dir "$WORK/data" --postgres-port $((BASE + 4)) --temporal-port $((BASE + 5)) \
  > "$WORK/stack.log" 2>&1 &
LAUNCHER=$!
for _ in $(seq 1 180); do
  if healthy; then break; fi
  if ! kill -0 "$LAUNCHER" 2>/dev/null; then cat "$WORK/stack.log"; echo "The stack did not start"; exit 1; fi
  sleep 1
done
healthy || { tail -50 "$WORK/stack.log"; echo "The API is not healthy"; exit 1; }

echo "3. Schemathesis: up to $MAX_EXAMPLES cases per operation, check not_a_server_error"
set +e
# From the work folder: Schemathesis keeps files of its own (.schemathesis/) where it runs.
VENV_ABS="$(pwd)/$VENV"
(cd "$WORK" && "$VENV_ABS/bin/schemathesis" run "http://127.0.0.1:$API_PORT/openapi.json" \
  --header "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error \
  --max-examples "$MAX_EXAMPLES" --seed "$SEED" --workers 2 --request-timeout 15 \
  --generation-database none --no-color \
  --report ndjson --report-dir "$WORK/report")
STATUS=$?
set -e

REQUESTS=$("$VENV/bin/python" - "$WORK/report" <<'PY'
import json, pathlib, sys
count = 0
for f in pathlib.Path(sys.argv[1]).glob("*.ndjson"):
    for line in f.read_text().splitlines():
        event = json.loads(line)
        # Each scenario reports the interactions (request + response) it made.
        for value in event.values():
            if isinstance(value, dict) and "recorder" in value:
                count += len(value["recorder"].get("interactions", {}))
print(count)
PY
)
SERVER_ERRORS=$(grep -c '"status_code": 5[0-9][0-9]' "$WORK"/report/*.ndjson || true)
echo "   requests: $REQUESTS, responses 5xx: $SERVER_ERRORS, schemathesis exit: $STATUS"
if grep -q '"msg":"request failed"' "$WORK/stack.log"; then echo "   requests that failed inside the API:"; grep -m 20 '"msg":"request failed"' "$WORK/stack.log"; fi
[ "$STATUS" -eq 0 ] || { echo "Schemathesis found failures"; exit 1; }
[ "$REQUESTS" -ge "$MIN_REQUESTS" ] || { echo "Only $REQUESTS requests (at least $MIN_REQUESTS wanted): raise FUZZ_MAX_EXAMPLES"; exit 1; }
echo "OK: $REQUESTS generated requests, 0 server errors, OpenAPI document valid"
