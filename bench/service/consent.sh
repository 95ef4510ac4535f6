#!/usr/bin/env bash
# Consent throughput (issue 12's target: 2,000 records/s on SQLite at 8
# clients): `POST /v1/consents` against the release `fiable-lookup serve`,
# closed loop (lookup/examples/loadgen.rs), 1 and 8 clients, each request a
# valid record under the advisor key (as an in-store tablet sends it) with
# a distinct Idempotency-Key; then 8 clients of new people through the
# widget's path (contact data sealed into the vault, a pseudonym per new
# email). SQLite (WAL, synchronous=FULL), then PostgreSQL when Debian's
# server binaries are there. A 201 is a record that is durable (the group
# commit answers after its flush); the acknowledged records are counted
# back with `fiable-lookup verify`. Everything on 127.0.0.1; stops only
# what it started. Measures; asserts nothing.
#
# Writes $CONSENT_DIR (default bench/build/consent): one JSON per load
# (`<store>-c<clients>.json`) and meta.json, the files scale.sh's report
# reads; standalone (CONSENT_REPORT=1, the default) also
# bench/results/consent.{json,md}.
#
# env: LOAD_SECONDS (10), LOAD_MAX (200000), CONSENT_DIR, CONSENT_REPORT,
# CARGO_TARGET_DIR (target), PG_BIN.
set -euo pipefail
cd "$(dirname "$0")/../.."
LOAD_SECONDS=${LOAD_SECONDS:-10}
LOAD_MAX=${LOAD_MAX:-200000}
D=${CONSENT_DIR:-bench/build/consent}
PY=${PYTHON:-python3}
log() { printf '[bench-consent %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
. bench/service/lib.sh

build_release
rm -rf "$D"
mkdir -p "$D"
bench_tmp bench-consent

# A throwaway advisor key of this run (16 random bytes, hex), handed to
# the service through the environment (`ps` shows a command line).
ADVISOR=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
# A 40-line BAN: the address index is not what is measured.
"$PY" - data/raw/ban/adresses-75.csv.gz "$TMP/mini.csv" <<'EOF'
import gzip, sys
with gzip.open(sys.argv[1], "rt") as f, open(sys.argv[2], "w") as o:
    for i, line in enumerate(f):
        if i >= 40: break
        o.write(line)
EOF

# serve NAME ARGS...: sets SERVE_PID, SERVE_URL. Ledger, keys in $TMP.
serve() {
  local name=$1; shift
  local port; port=$(free_port)
  # --rate-limit 0 lifts the per-client limits, the consent one (2/s by
  # default) too: one load generator is one client address.
  FIABLE_API_KEYS="advisor:$ADVISOR" FIABLE_WWW=/nonexistent FIABLE_PKG=/nonexistent \
    "$BIN" serve --bind "127.0.0.1:$port" --ban "$TMP/mini.csv" --rate-limit 0 \
    --consent-db "$TMP/$name.sqlite" --consent-key "$TMP/$name.key" "$@" >"$TMP/$name.log" 2>&1 &
  SERVE_PID=$!; PIDS+=("$SERVE_PID")
  SERVE_URL=http://127.0.0.1:$port
  wait_http "$SERVE_URL/healthz" 120 || { tail -20 "$TMP/$name.log" >&2; return 1; }
}
# cload NAME REQUESTS CLIENTS: one closed-loop run into $D/NAME-cCLIENTS.json.
cload() {
  load "$D/$1-c$3.json" "$2" "$3" "$LOAD_SECONDS" --header "Authorization: Bearer $ADVISOR" --header "Idempotency-Key: bench-{run}-{n}"
}
acked() { "$PY" -c 'import json,sys; print(sum(json.load(open(f))["statuses"].get("201",0) for f in sys.argv[1:]))' "$@"; }

# The records: the fixture under the advisor key (it names its subject),
# and a new person per request as the widget sends one (no subject, the
# text hash computed by the service, an email to seal and index).
"$PY" - consent/tests/fixtures/consent_record.json "$D" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
for k in ("withdraws", "record_id"): r.pop(k, None)
open(sys.argv[2] + "/record.json", "w").write(json.dumps(r, ensure_ascii=False))
p = dict(r, subject="", channel="web", subject_data={"email": "bench.{run}.{n}@example.fr"})
p["purposes"] = [dict(x, text_sha256="") for x in r["purposes"]]
p["collector"] = {"site": r["collector"]["site"]}
open(sys.argv[2] + "/person.json", "w").write(json.dumps(p, ensure_ascii=False))
EOF
printf 'POST\t/v1/consents\t@record.json\n' >"$D/requests.txt"
printf 'POST\t/v1/consents\t@person.json\n' >"$D/people.txt"

runs() { # STORE: the fixture at 1 and 8 clients, new people at 8
  cload "$1" "$D/requests.txt" 1
  cload "$1" "$D/requests.txt" 8
  cload "$1_people" "$D/people.txt" 8
}
public_key() { curl -fsS "$SERVE_URL/v1/consents/public-key" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["public_key"])'; }
stats() { curl -fsS "$SERVE_URL/metrics" | awk '/^fiable_consent_(commits|appends)_total /{printf "%s %s ", $1, $2}'; }
verified() { "$PY" -c 'import re,sys; m=re.search(r"OK, (\d+) entries", sys.stdin.read()); print(m.group(1) if m else 0)'; }

# measure STORE [--database URL]: the runs on a fresh service; sets
# ACKED, VERIFY (verify's first line), COMMITS, RSS, HWM.
measure() {
  local store=$1; shift
  serve "consent-$store" "$@"
  local pid=$SERVE_PID pk; pk=$(public_key)
  runs "$store"
  COMMITS=$(stats)
  read -r RSS HWM < <(rss "$pid")
  stop "$pid"
  # The same database as the service: its SQLite file, or `--database URL`.
  local db=("$@"); [ $# -gt 0 ] || db=(--ledger "$TMP/consent-$store.sqlite")
  VERIFY=$("$BIN" verify "${db[@]}" --public-key "$pk" 2>&1 | head -1)
  ACKED=$(acked "$D/$store"-c*.json "$D/$store"_people-c*.json)
  log "$store: acknowledged $ACKED; verify: $VERIFY; $COMMITS"
}

# SQLite (WAL, synchronous=FULL), the default store.
measure sqlite
s_acked=$ACKED s_verify=$VERIFY s_commits=$COMMITS s_rss=$RSS s_hwm=$HWM
s_bytes=$(du -cb "$TMP"/consent-sqlite.sqlite* | tail -1 | cut -f1)

# PostgreSQL: Debian's server, a fresh cluster in a temp dir, 127.0.0.1.
p_verify="skipped: no PostgreSQL server binaries" p_rss=0 p_hwm=0 p_acked=0 p_commits="" PG_VERSION="" PG_BIN_DIR=""
if start_pg "$TMP/pg"; then
  measure postgres --database "$PG_URL"
  p_acked=$ACKED p_verify=$VERIFY p_commits=$COMMITS p_rss=$RSS p_hwm=$HWM
  stop "$PG_PID"
fi
# How many flushes/s the disk under /tmp does: durable commits are bound by it.
fsync=""
if [ -x "$PG_BIN_DIR/pg_test_fsync" ]; then
  fsync=$("$PG_BIN_DIR/pg_test_fsync" -s 1 -f "$TMP/fsync.test" 2>&1 | sed -n 's/^ *fdatasync *\([0-9.]*\) ops\/sec.*/\1/p' | head -1)
fi
json sqlite_acked "$s_acked" sqlite_verified "$(verified <<<"$s_verify")" sqlite_verify "$s_verify" sqlite_bytes "$s_bytes" \
  sqlite_rss_kib "$s_rss" sqlite_hwm_kib "$s_hwm" sqlite_group_commit "$s_commits" \
  postgres_acked "$p_acked" postgres_verified "$(verified <<<"$p_verify")" postgres_verify "$p_verify" \
  postgres_version "$PG_VERSION" postgres_rss_kib "$p_rss" postgres_hwm_kib "$p_hwm" postgres_group_commit "$p_commits" \
  record_bytes "$(stat -c %s "$D/record.json")" fdatasync_per_s "${fsync:-0}" nproc "$(nproc)" \
  finished "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$D/meta.json"

if [ "${CONSENT_REPORT:-1}" = 1 ]; then
  mkdir -p bench/results
  "$PY" bench/service/consent_report.py "$D" bench/results/consent
  log "wrote bench/results/consent.{json,md}"
fi
