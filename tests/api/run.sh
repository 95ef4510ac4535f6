#!/usr/bin/env bash
# The OpenAPI contract, fuzzed: schemathesis (pinned, from PyPI, in a
# virtualenv under the cargo target dir) runs every check against a live
# fiable-lookup started here with a temporary SQLite ledger, API keys and a
# local dnsmasq, and fails on any finding. Usage: tests/api/run.sh [BIN]
# (default: the debug binary; `make test` passes the release one).
# ST_MAX_EXAMPLES bounds the examples per operation (default 25).
set -euo pipefail
cd "$(dirname "$0")/../.."
TARGET=${CARGO_TARGET_DIR:-target}
BIN=${1:-$TARGET/debug/fiable-lookup}
SCHEMATHESIS=4.32.5
VENV=$TARGET/st-venv
[ -x "$BIN" ] || { echo "tests/api: $BIN is missing (cargo build -p fiable-lookup)"; exit 1; }

# The virtualenv, once per schemathesis version; made again when it no
# longer runs (a target dir copied or moved keeps scripts whose first line
# names the old path).
if [ "$(cat "$VENV/.version" 2>/dev/null)" != "$SCHEMATHESIS" ] || ! "$VENV/bin/st" --version >/dev/null 2>&1; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS"
  echo "$SCHEMATHESIS" > "$VENV/.version"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
TMP=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

# A DNS server that answers at once (one domain receives mail, the rest
# does not exist), so that mail-domain checks never wait on a timeout.
DNSMASQ=${FIABLE_DNSMASQ:-$(command -v dnsmasq || echo /usr/sbin/dnsmasq)}
DNS_PORT=$(free_port)
"$DNSMASQ" --no-daemon --conf-file=/dev/null --port="$DNS_PORT" --listen-address=127.0.0.1 --bind-interfaces \
  --no-resolv --no-hosts --pid-file --log-facility=- --address=/#/ --mx-host=example.fr,mx.example.fr,10 \
  >"$TMP/dnsmasq.log" 2>&1 &
PIDS+=($!)

ADVISOR=st-advisor-key-0123456789
ADMIN=st-admin-key-0123456789
PORT=$(free_port)
# A re-permission campaign, so that its link routes answer as deployed
# (schema-valid tokens are then forged: 403).
"$BIN" repermission --create-key "$TMP/campaign.key" >/dev/null
cat >"$TMP/campaign.json" <<'JSON'
{"id": "st-campaign", "controller": {"name": "Fuzz SAS", "contact": "dpo@fuzz.example"}, "locale": "fr",
 "purposes": [{"id": "newsletter", "text": "Je confirme vouloir recevoir la newsletter."}]}
JSON
# Rate limit out of the way: the fuzzer is one client sending fast.
"$BIN" serve --bind "127.0.0.1:$PORT" --dns-upstream "127.0.0.1:$DNS_PORT" --dns-timeout-ms 500 \
  --rate-limit 100000 --rate-burst 100000 --consent-rate-limit 100000 --consent-rate-burst 100000 \
  --consent-db "$TMP/ledger.sqlite" --consent-key "$TMP/ledger.key" \
  --repermission-key "$TMP/campaign.key" --repermission-campaign "$TMP/campaign.json" \
  --api-key "advisor:$ADVISOR" --api-key "admin:$ADMIN" \
  --mailbox-probe --mailbox-probe-timeout-ms 1000 >"$TMP/service.log" 2>&1 &
PIDS+=($!)
URL=http://127.0.0.1:$PORT
for _ in $(seq 1200); do  # the debug build indexes the Paris BAN slowly
  curl -fsS "$URL/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "$URL/healthz" >/dev/null || { cat "$TMP/service.log"; echo "tests/api: the service did not start"; exit 1; }

start=$(date +%s)
status=0
# Every check, every phase; the admin key reaches every route (the checks
# for ignored auth send requests without it).
"$VENV/bin/st" --config-file tests/api/schemathesis.toml run "$URL/openapi.json" \
  --checks all \
  --max-examples "${ST_MAX_EXAMPLES:-25}" \
  --seed 1 \
  --header "Authorization: Bearer $ADMIN" \
  --request-timeout 10 \
  --no-color \
  --report-dir "$TMP/report" || status=$?
echo "tests/api: schemathesis $SCHEMATHESIS ran in $(( $(date +%s) - start )) s"
if grep -q "panicked" "$TMP/service.log"; then
  grep -n "panicked" "$TMP/service.log"; echo "tests/api: the service panicked"; status=1
fi
exit $status
