"""bench/service/consent.sh's runs -> OUT.json (everything) and OUT.md (a table).

usage: consent_report.py RUN_DIR OUT_PREFIX
"""
import json
import pathlib
import sys

run, out = pathlib.Path(sys.argv[1]), sys.argv[2]
meta = json.loads((run / "meta.json").read_text())
loads = {p.stem: json.loads(p.read_text()) for p in sorted(run.glob("*-c*.json"))}
json.dump({"meta": meta, "loads": loads}, open(out + ".json", "w"), indent=1)

WHAT = {
    "sqlite": "SQLite, the fixture record (advisor key)",
    "sqlite_people": "SQLite, a new person each (widget path: vault)",
    "postgres": "PostgreSQL, the fixture record (advisor key)",
    "postgres_people": "PostgreSQL, a new person each (widget path: vault)",
}
o = ["# Consent throughput", "",
     "`bench/service/consent.sh` (`make bench-consent`, and part of `make bench`): `POST /v1/consents` "
     "against the release `fiable-lookup serve` on 127.0.0.1, closed loop (`lookup/examples/loadgen.rs`, "
     "one keep-alive connection per client), each request a valid record with its own `Idempotency-Key`, "
     "per-client rate limits off. A 201 is a record whose transaction is committed and flushed (group "
     "commit: the appends that arrive while one commits share the next flush). SQLite: WAL, "
     f"`synchronous=FULL`. PostgreSQL: {meta.get('postgres_version') or 'not run'}, fresh cluster, default "
     f"settings. Record: {meta.get('record_bytes')} bytes. Machine: {meta.get('nproc')} cores, shared; "
     "the load average is the one after each run.", "",
     "| run | clients | records/s (201) | p50 ms | p90 ms | p99 ms | max ms | other statuses | server CPU ms/record | load avg |",
     "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |"]
for name, d in loads.items():
    store, c = name.rsplit("-c", 1)
    lat = d["latency_ms"]
    other = {k: v for k, v in d["statuses"].items() if k != "201"} or "none"
    o.append(f"| {WHAT.get(store, store)} | {c} | {d['ok_rps']:,.0f} | {lat['p50']:.2f} | {lat['p90']:.2f} | "
             f"{lat['p99']:.2f} | {lat['max']:.1f} | {other} | {d['server_cpu_ms_per_req']:.3f} | {d['loadavg']} |")
o += ["", "Acknowledged (201) vs. what `fiable-lookup verify` finds afterwards (every acknowledged record "
      "must be there):", "",
      f"- SQLite: {meta.get('sqlite_acked')} acknowledged, {meta.get('sqlite_verified')} verified "
      f"(`{meta.get('sqlite_verify')}`); group commit: {meta.get('sqlite_group_commit') or '?'}",
      f"- PostgreSQL: {meta.get('postgres_acked')} acknowledged, {meta.get('postgres_verified')} verified "
      f"(`{meta.get('postgres_verify')}`); group commit: {meta.get('postgres_group_commit') or '?'}"]
if meta.get("fdatasync_per_s"):
    o.append(f"- The disk under /tmp: `pg_test_fsync -s 1` measured {meta['fdatasync_per_s']:,.0f} fdatasync/s.")
best = max((d for n, d in loads.items() if n.startswith("sqlite-c8")), key=lambda d: d["ok_rps"], default=None)
if best:
    o += ["", f"Target (issue 12): 2,000 records/s on SQLite at 8 clients; measured {best['ok_rps']:,.0f}/s "
          f"(p99 {best['latency_ms']['p99']:.2f} ms, load average {best['loadavg']})."]
open(out + ".md", "w").write("\n".join(o) + "\n")
