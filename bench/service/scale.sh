#!/usr/bin/env bash
# The service at scale (issue 7): address search on the Paris BAN, a
# synthetic 1M-row file and a synthetic national-size (26M-row) file (index
# build time and peak memory, index size, quality, requests/s and latency at
# 1 and 8 clients, server memory); mail-domain checks against dnsmasq on
# loopback, cached and uncached; consent appends on SQLite (synchronous FULL)
# and PostgreSQL, acknowledged records counted back from the ledger.
# Everything on 127.0.0.1, bounded in time and count; stops only what it
# started. Writes bench/results/scale.{json,md} (bench/service/scale_report.py).
# Measures; asserts nothing.
#
# env: SKIP_SCALE=1 (no 26M set), SCALE_SETS (default "paris 1m 26m"),
# SCALE_PARTS (default "address mail consent"), LOAD_SECONDS (10, mixed
# query runs), CLASS_SECONDS (4, one run per query class), LOAD_MAX (200000),
# SYNTH_DIR (/tmp/synth: ban-1m.csv.gz / ban-26m.csv.gz reused from there,
# else generated into bench/build/synth/), CARGO_TARGET_DIR (target).
set -euo pipefail
cd "$(dirname "$0")/../.."
SETS=${SCALE_SETS:-paris 1m 26m}
[ "${SKIP_SCALE:-0}" = 1 ] && SETS=${SETS//26m/}
PARTS=${SCALE_PARTS:-address mail consent}
LOAD_SECONDS=${LOAD_SECONDS:-10}
CLASS_SECONDS=${CLASS_SECONDS:-4}
LOAD_MAX=${LOAD_MAX:-200000}
SYNTH_DIR=${SYNTH_DIR:-/tmp/synth}
PY=${PYTHON:-python3}
BUILD=bench/build/scale
OUT=$BUILD/run
log() { printf '[bench-scale %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
. bench/service/lib.sh

build_release
rm -rf "$OUT"
mkdir -p "$OUT" "$BUILD"
bench_tmp bench-scale

# serve NAME ARGS...: fiable-lookup serve on a free port; sets SERVE_PID,
# SERVE_URL, SERVE_READY_MS. Its consent ledger and key live in $TMP.
serve() {
  local name=$1; shift
  local port; port=$(free_port)
  local t0; t0=$(date +%s%N)
  # --rate-limit 0: one load generator is one client, and a benchmark
  # measures the search, not the per-client limit (default 50/s).
  FIABLE_WWW=/nonexistent FIABLE_PKG=/nonexistent "$BIN" serve --bind "127.0.0.1:$port" --rate-limit 0 \
    --consent-db "$TMP/$name.sqlite" --consent-key "$TMP/$name.key" "$@" >"$TMP/$name.log" 2>&1 &
  SERVE_PID=$!; PIDS+=("$SERVE_PID")
  SERVE_URL=http://127.0.0.1:$port
  wait_http "$SERVE_URL/healthz" 900 || { tail -20 "$TMP/$name.log" >&2; return 1; }
  SERVE_READY_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
}
# "seconds max_rss_kib" from /usr/bin/time -v output.
time_v() { "$PY" - "$1" <<'EOF'
import re, sys
t = open(sys.argv[1]).read()
m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t)
parts = [float(x) for x in m.group(1).split(":")] if m else [0]
s = 0.0
for p in parts: s = s * 60 + p
r = re.search(r"Maximum resident set size \(kbytes\): (\d+)", t)
print(round(s, 2), r.group(1) if r else 0)
EOF
}

cat > "$OUT/machine.json" <<EOF
$(json cpus "$(nproc)" cpu "$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)" \
  mem_kib "$(awk '/MemTotal/{print $2}' /proc/meminfo)" kernel "$(uname -r)" \
  tmp_fs "$(df -T /tmp | awk 'NR==2{print $2}')" loadavg_start "$(loadavg)" \
  started "$(date -u +%Y-%m-%dT%H:%M:%SZ)" commit "$(git rev-parse --short HEAD 2>/dev/null || echo '?')" \
  fiable "$("$BIN" --version)")
EOF

# The synthetic file of NAME (1m, 26m): reused when current (see
# synth.sh: a stamp of the generator's inputs), else generated into
# bench/build/synth/.
synth_file() {
  SYNTH_DIR=$SYNTH_DIR bench/service/synth.sh "$BIN" "$1" "$2"
}

address_set() {
  local set=$1 csv D idx
  case $set in
    paris) csv=data/raw/ban/adresses-75.csv.gz ;;
    1m) csv=$(synth_file 1m 1000000) ;;
    26m) csv=$(synth_file 26m 26000000) ;;
    *) log "unknown set $set"; return 1 ;;
  esac
  D=$OUT/address/$set; mkdir -p "$D"
  idx=$BUILD/$set.idx
  log "[$set] index $csv"
  local la0; la0=$(loadavg)
  /usr/bin/time -v "$BIN" index "$csv" --out "$idx" 2>"$D/index.log"
  read -r build_s build_rss < <(time_v "$D/index.log")
  local rows; rows=$(sed -n 's/.*: \([0-9]*\) rows (.*/\1/p' "$D/index.log" | head -1)
  log "[$set] $(grep -m1 ' rows (' "$D/index.log")"
  log "[$set] corpus + quality"
  "$BIN" corpus --from "$csv" -n 600 --out "$D/corpus.tsv" 2>>"$D/corpus.log"
  "$BIN" bench --index "$idx" --corpus "$D/corpus.tsv" --rounds 4 >"$D/quality.txt" 2>&1
  "$PY" bench/service/queries.py "$D/corpus.tsv" "$D/q" >"$D/classes.tsv"
  serve "addr-$set" --index "$idx"
  local pid=$SERVE_PID ready=$SERVE_READY_MS
  read -r rss_idle _ < <(rss "$pid")
  "$LOADGEN" --url "$SERVE_URL" --requests "$D/q/mix.txt" --clients 1 --seconds 2 --max "$LOAD_MAX" >/dev/null # warm-up
  for c in 1 8; do load "$D/load-mix-c$c.json" "$D/q/mix.txt" "$c" "$LOAD_SECONDS"; done
  # Each class alone, one client (its own latency) then eight (under load).
  local k
  for k in full typed prefix abbrev typo folded no_postcode postcode; do
    [ -s "$D/q/$k.txt" ] || continue
    for c in 1 8; do load "$D/load-$k-c$c.json" "$D/q/$k.txt" "$c" "$CLASS_SECONDS"; done
  done
  read -r rss_after hwm < <(rss "$pid")
  stop "$pid"
  json set "$set" file "$csv" file_bytes "$(stat -c %s "$csv")" rows "${rows:-0}" \
    index_seconds "$build_s" index_max_rss_kib "$build_rss" index_bytes "$(stat -c %s "$idx")" \
    index_log "$(grep -m1 ' rows (' "$D/index.log")" ready_ms "$ready" \
    rss_idle_kib "$rss_idle" rss_after_kib "$rss_after" hwm_kib "$hwm" \
    quality "$(cat "$D/quality.txt")" classes "$(cat "$D/classes.tsv")" \
    loadavg_before "$la0" loadavg_after "$(loadavg)" >"$D/meta.json"
}

mail_part() {
  local D=$OUT/mail; mkdir -p "$D"
  local dnsmasq; dnsmasq=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
  if ! [ -x "$dnsmasq" ]; then
    log "dnsmasq missing (apt-get install dnsmasq): mail part skipped"
    json skipped "dnsmasq not installed" >"$D/meta.json"; return 0
  fi
  local port; port=$(free_port udp)
  local z=fiable-bench.com
  # Every name under $z has an A record (wildcard); the five "known"
  # domains have MX records. Nothing is forwarded (no upstream).
  "$dnsmasq" --no-daemon --conf-file=/dev/null --port="$port" --listen-address=127.0.0.1 \
    --bind-interfaces --no-resolv --no-hosts --log-facility="$TMP/dnsmasq.log" --pid-file \
    --local-ttl=300 --local="/$z/" --address="/$z/127.0.0.1" \
    --local=/gmail.com/ --mx-host=gmail.com,gmail-smtp-in.l.google.com,5 \
    --local=/orange.fr/ --mx-host=orange.fr,smtp-in.orange.fr,10 \
    --local=/free.fr/ --mx-host=free.fr,mx1.free.fr,10 \
    --local=/laposte.net/ --mx-host=laposte.net,mx.laposte.net,10 \
    --mx-host="shop.$z,mx.shop.$z,10" 2>"$TMP/dnsmasq.err" &
  local dpid=$!; PIDS+=("$dpid")
  sleep 0.5
  printf 'GET\t/v1/email/domain?d=%s\n' gmail.com orange.fr free.fr laposte.net "shop.$z" >"$D/cached.txt"
  printf 'GET\t/v1/email/domain?d=u{run}-{n}.%s\n' "$z" >"$D/uncached.txt"
  serve mail --dns-upstream "127.0.0.1:$port"
  local pid=$SERVE_PID
  curl -fsS "$SERVE_URL/v1/email/domain?d=gmail.com" >"$D/sample-cached.json"
  curl -fsS "$SERVE_URL/v1/email/domain?d=probe.$z" >"$D/sample-uncached.json"
  log "mail: $(cat "$D/sample-cached.json") / $(cat "$D/sample-uncached.json")"
  local c
  for c in 1 8; do
    load "$D/cached-c$c.json" "$D/cached.txt" "$c" "$LOAD_SECONDS"
    load "$D/uncached-c$c.json" "$D/uncached.txt" "$c" "$LOAD_SECONDS"
  done
  read -r rss_after hwm < <(rss "$pid")
  curl -fsS "$SERVE_URL/metrics" | grep -i 'dns\|mail' | grep -v '^#' >"$D/metrics.txt" || true
  stop "$pid"; stop "$dpid"
  json dnsmasq "$("$dnsmasq" --version | head -1 | awk '{print $1, $3}')" rss_after_kib "$rss_after" hwm_kib "$hwm" \
    sample_cached "$(cat "$D/sample-cached.json")" sample_uncached "$(cat "$D/sample-uncached.json")" \
    metrics "$(cat "$D/metrics.txt")" >"$D/meta.json"
}

# Consent appends: bench/service/consent.sh, into this run's directory (the
# report below reads its files; it writes bench/results/consent.* too).
consent_part() {
  CONSENT_DIR=$OUT/consent LOAD_SECONDS=$LOAD_SECONDS LOAD_MAX=$LOAD_MAX bench/service/consent.sh
}

for part in $PARTS; do
  case $part in
    address) for s in $SETS; do address_set "$s"; done ;;
    mail) mail_part ;;
    consent) consent_part ;;
  esac
done
json loadavg_end "$(loadavg)" finished "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$OUT/end.json"
"$PY" bench/service/scale_report.py "$OUT"
