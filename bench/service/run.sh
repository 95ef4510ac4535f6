#!/usr/bin/env bash
# `make bench-service`: fiable's address search vs addok on the Paris BAN.
# Installs addok (venv under bench/build/, pinned in bench/addok/requirements.txt)
# and Debian's redis-server if missing, converts the BAN CSV to addok's
# ndjson, imports it into a throwaway Redis, serves addok with gunicorn and
# fiable-lookup on free 127.0.0.1 ports, runs bench/service/bench.mjs, and
# stops everything it started. Measures; asserts nothing.
#
# env: BAN (default data/raw/ban/adresses-75.csv.gz), ADDOK_WORKERS (nproc),
# CARGO_TARGET_DIR (target), LOAD_SECONDS, LOAD_MAX, LOAD_CONC, LOAD_ROUNDS.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BAN=${BAN:-data/raw/ban/adresses-75.csv.gz}
PY=${PYTHON:-python3}
VENV=bench/build/addok-venv
WORKERS=${ADDOK_WORKERS:-$(nproc)}
TARGET=${CARGO_TARGET_DIR:-target}
case $TARGET in /*) ;; *) TARGET=$ROOT/$TARGET ;; esac
log() { printf '[bench-service] %s\n' "$*" >&2; }

# 1. addok in a venv
if ! "$VENV/bin/addok" --help >/dev/null 2>&1 || ! cmp -s bench/addok/requirements.txt "$VENV/.requirements"; then
  log "installing addok into $VENV"
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r bench/addok/requirements.txt
  cp bench/addok/requirements.txt "$VENV/.requirements"
fi
# 2. redis-server (Debian)
if ! command -v redis-server >/dev/null; then
  log "installing redis-server (apt)"
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq redis-server >/dev/null
fi
# 3. fiable-lookup
log "building fiable-lookup (release)"
CARGO_TARGET_DIR=$TARGET cargo build --release -q -p fiable-lookup
FIABLE_BIN=$TARGET/release/fiable-lookup

TMP=$(mktemp -d /tmp/bench-service.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { # url seconds
  for _ in $(seq 1 $(( $2 * 10 ))); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
  log "timeout waiting for $1"; return 1
}

# 4. BAN CSV -> addok ndjson (cached)
NDJSON=bench/build/addok/$(basename "$BAN" .csv.gz).ndjson
if [ ! -s "$NDJSON" ] || [ "$BAN" -nt "$NDJSON" ] || [ bench/addok/ban2addok.py -nt "$NDJSON" ]; then
  log "converting $BAN -> $NDJSON"
  mkdir -p "$(dirname "$NDJSON")"
  "$PY" bench/addok/ban2addok.py "$BAN" > "$NDJSON.tmp" && mv "$NDJSON.tmp" "$NDJSON"
fi

# 5. throwaway Redis, import, ngrams
REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$TMP" --save '' --appendonly no \
  --protected-mode yes --logfile "$TMP/redis.log" &
PIDS+=($!); REDIS_PID=$!
for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
export ADDOK_CONFIG_MODULE=$ROOT/bench/addok/addok.conf ADDOK_REDIS_PORT=$REDIS_PORT ADDOK_LOG_DIR=$TMP
T0=$(date +%s)
log "addok batch + ngrams ($(wc -l < "$NDJSON") documents)"
"$VENV/bin/addok" batch "$NDJSON" >"$TMP/batch.log" 2>&1
"$VENV/bin/addok" ngrams >"$TMP/ngrams.log" 2>&1
IMPORT_S=$(( $(date +%s) - T0 ))
REDIS_MB=$(redis-cli -p "$REDIS_PORT" info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p' | awk '{printf "%.0f", $1/1048576}')

# 6. servers
ADDOK_PORT=$(free_port)
"$VENV/bin/gunicorn" --workers "$WORKERS" --bind "127.0.0.1:$ADDOK_PORT" --log-level warning addok.http.wsgi >"$TMP/gunicorn.log" 2>&1 &
PIDS+=($!); GUNICORN_PID=$!
FIABLE_PORT=$(free_port)
T0=$(date +%s%N)
FIABLE_WWW=/nonexistent FIABLE_PKG=/nonexistent "$FIABLE_BIN" serve --bind "127.0.0.1:$FIABLE_PORT" --rate-limit 0 --ban "$BAN" >"$TMP/fiable.log" 2>&1 &
PIDS+=($!); FIABLE_PID=$!
wait_http "http://127.0.0.1:$ADDOK_PORT/health" 60
wait_http "http://127.0.0.1:$FIABLE_PORT/healthz" 60
FIABLE_START_MS=$(( ($(date +%s%N) - T0) / 1000000 ))

META=$("$PY" - "$IMPORT_S" "$REDIS_MB" "$WORKERS" "$FIABLE_START_MS" "$BAN" <<'PYEOF'
import json, subprocess, sys
imp, redis_mb, workers, fstart, ban = sys.argv[1:]
venv = "bench/build/addok-venv/bin/"
freeze = subprocess.run([venv + "pip", "freeze"], capture_output=True, text=True).stdout.split()
pins = ", ".join(p for p in freeze if p.split("==")[0] in ("addok", "addok-fr", "addok-france", "gunicorn", "falcon", "redis"))
redis_v = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()[2]
print(json.dumps({
  "data": f"{ban} (converted by bench/addok/ban2addok.py to addok ndjson: one street document per street and postcode with its house numbers)",
  "addok": f"{pins}; Redis {redis_v.removeprefix('v=')} (indexes and documents, throwaway); config bench/addok/addok.conf = the BAN's (addok-docker) processors, plugins addok_fr + addok_france",
  "addok server": f"gunicorn, {workers} sync workers (= cores; the BAN's addok-docker runs `gunicorn -w $WORKERS addok.http.wsgi`)",
  "addok import": f"addok batch + addok ngrams: {imp} s; Redis used_memory {redis_mb} MB",
  "fiable": f"fiable-lookup serve --rate-limit 0 --ban {ban} (release build, index built in memory at start: ready in {fstart} ms)",
}))
PYEOF
)
log "running bench/service/bench.mjs"
FIABLE_URL=http://127.0.0.1:$FIABLE_PORT ADDOK_URL=http://127.0.0.1:$ADDOK_PORT \
FIABLE_PIDS=$FIABLE_PID ADDOK_PIDS=$GUNICORN_PID,$REDIS_PID META=$META \
  node bench/service/bench.mjs

# 7. The service at scale (synthetic 1M / 26M sets, mail domains, consent):
# addok, Redis and this fiable-lookup are stopped first so they take no
# memory or CPU from it. SCALE=0 skips it; SKIP_SCALE=1 skips its 26M set.
cleanup
trap - EXIT INT TERM
if [ "${SCALE:-1}" != 0 ]; then
  exec bench/service/scale.sh
fi
