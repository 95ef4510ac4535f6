# Shell helpers of the service benchmarks, sourced by scale.sh and
# consent.sh. Expects PY (python3) and log() to be defined; what they start
# goes into PIDS (see bench_tmp).

# build_release: the release fiable-lookup and the load generator, in
# $CARGO_TARGET_DIR (default target/); sets TARGET, BIN, LOADGEN.
build_release() {
  TARGET=${CARGO_TARGET_DIR:-target}
  case $TARGET in /*) ;; *) TARGET=$PWD/$TARGET ;; esac
  log "building fiable-lookup and the load generator (release)"
  CARGO_TARGET_DIR=$TARGET cargo build --release -q -p fiable-lookup --bin fiable-lookup --example loadgen
  BIN=$TARGET/release/fiable-lookup
  LOADGEN=$TARGET/release/examples/loadgen
}

# free_port [udp]: a free port on 127.0.0.1.
free_port() { "$PY" -c 'import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1:]==["udp"] else socket.SOCK_STREAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' "$@"; }
wait_http() { # url seconds
  for _ in $(seq 1 $(( $2 * 10 ))); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
  log "timeout waiting for $1"; return 1
}
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
# utime + stime of a process, in clock ticks (its threads included).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# "VmRSS VmHWM" of a process, KiB.
rss() { awk '/^VmRSS:/{r=$2} /^VmHWM:/{h=$2} END{print r+0, h+0}' "/proc/$1/status" 2>/dev/null || echo "0 0"; }
# json KEY VALUE ... -> one JSON object (values that parse as numbers stay numbers).
json() { "$PY" -c 'import json,sys
a=sys.argv[1:]; d={}
for k,v in zip(a[::2],a[1::2]):
    try: d[k]=json.loads(v) if v[:1] in "[{" else (int(v) if v.lstrip("-").isdigit() else float(v))
    except ValueError: d[k]=v
print(json.dumps(d))' "$@"; }
# load OUT.json REQUESTS CLIENTS SECONDS [loadgen args...]
# (SERVE_PID: the server whose CPU time is counted.)
load() {
  local out=$1 req=$2 c=$3 s=$4; shift 4
  local cpu0; cpu0=$(cpu_ticks "$SERVE_PID")
  "$LOADGEN" --url "$SERVE_URL" --requests "$req" --clients "$c" --seconds "$s" --max "$LOAD_MAX" "$@" >"$out.tmp"
  "$PY" - "$out.tmp" "$(loadavg)" "$(( $(cpu_ticks "$SERVE_PID") - cpu0 ))" "$(getconf CLK_TCK)" >"$out" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1])); d["loadavg"] = sys.argv[2]
# CPU the server process used during the run (user + system), per request.
ms = int(sys.argv[3]) * 1000 / int(sys.argv[4])
d["server_cpu_ms"] = round(ms); d["server_cpu_ms_per_req"] = round(ms / max(d["requests"], 1), 4)
print(json.dumps(d))
EOF
  rm -f "$out.tmp"
  "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); l=d["latency_ms"]; print("  %-28s %2d clients: %8.0f req/s  p50 %.2f  p99 %.2f ms  %s" % (sys.argv[2], d["clients"], d["rps"], l["p50"], l["p99"], d["statuses"]))' "$out" "$(basename "$out" .json)" >&2
}
stop() { kill -INT "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# start_pg DIR: Debian's PostgreSQL (newest /usr/lib/postgresql/*/bin, or
# $PG_BIN), a fresh cluster in DIR on 127.0.0.1 with default settings, and
# a database `bench`. Sets PG_URL, PG_PID (in PIDS), PG_VERSION, PG_BIN_DIR;
# returns 1 when the server binaries are missing.
start_pg() {
  PG_BIN_DIR=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
  [ -n "$PG_BIN_DIR" ] && [ -x "$PG_BIN_DIR/initdb" ] || return 1
  local dir=$1 pw=bench-password port; port=$(free_port)
  mkdir -p "$dir"; echo "$pw" >"$dir/pwfile"
  local as=()
  # The server refuses to run as root.
  if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$dir"; as=(setpriv --reuid=postgres --regid=postgres --init-groups --); fi
  "${as[@]}" "$PG_BIN_DIR/initdb" -D "$dir/data" -U fiable --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C --no-sync --pwfile="$dir/pwfile" >"$dir/initdb.log" 2>&1
  "${as[@]}" "$PG_BIN_DIR/postgres" -D "$dir/data" -c listen_addresses=127.0.0.1 -p "$port" \
    -c "unix_socket_directories=$dir" >"$dir/server.log" 2>&1 &
  PG_PID=$!; PIDS+=("$PG_PID")
  for _ in $(seq 100); do "$PG_BIN_DIR/pg_isready" -q -h 127.0.0.1 -p "$port" && break; sleep 0.2; done
  PGPASSWORD=$pw "$PG_BIN_DIR/createdb" -h 127.0.0.1 -p "$port" -U fiable bench
  PG_VERSION=$("$PG_BIN_DIR/postgres" --version)
  PG_URL=postgres://fiable:$pw@127.0.0.1:$port/bench
}

# bench_tmp NAME: a temporary directory $TMP (readable by the postgres
# user), PIDS=(), and a trap that stops those and removes $TMP at exit.
bench_tmp() {
  TMP=$(mktemp -d "/tmp/$1.XXXXXX")
  chmod 755 "$TMP"
  PIDS=()
  trap bench_cleanup EXIT INT TERM
}
bench_cleanup() {
  for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
