#!/usr/bin/env python3
"""bench/results/scale.{json,md} from the parts bench/service/scale.sh wrote.

usage: scale_report.py RUN_DIR          (RUN_DIR: bench/build/scale/run)
       scale_report.py --render         (scale.md again from scale.json)

Every figure comes from the one run in RUN_DIR. The capacity section does
the arithmetic of bench/SCALING.md with the figures of this run.
"""
import glob
import json
import math
import os
import re
import sys

RESULTS = os.path.join(os.path.dirname(__file__), "..", "results")
PEAK_SIGNUPS = 2000  # signups/s at a national e-commerce peak
QUERIES_PER_SIGNUP = 10  # autocomplete requests per signup
P99_TARGET_MS = 100  # what an autocomplete may take, server side, at p99
CPU_TARGET = 0.7  # busy fraction of an instance's cores at peak (headroom for bursts)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def collect(run):
    out = {"machine": load(os.path.join(run, "machine.json"))}
    end = os.path.join(run, "end.json")
    if os.path.exists(end):
        out["machine"].update(load(end))
    out["address"] = []
    for meta in sorted(glob.glob(os.path.join(run, "address", "*", "meta.json"))):
        d = os.path.dirname(meta)
        m = load(meta)
        q = re.search(r"overall: (\d+) queries, top-1 ([\d.]+)%, top-5 ([\d.]+)%", m.get("quality", ""))
        m["top1"], m["top5"] = (float(q.group(2)), float(q.group(3))) if q else (None, None)
        m["loads"] = {}
        for f in sorted(glob.glob(os.path.join(d, "load-*.json"))):
            m["loads"][os.path.basename(f)[5:-5]] = load(f)
        out["address"].append(m)
    order = {"paris": 0, "1m": 1, "26m": 2}
    out["address"].sort(key=lambda m: order.get(m["set"], 9))
    for part in ("mail", "consent"):
        d = os.path.join(run, part)
        if not os.path.isdir(d):
            continue
        p = load(os.path.join(d, "meta.json")) if os.path.exists(os.path.join(d, "meta.json")) else {}
        p["loads"] = {os.path.basename(f)[:-5]: load(f) for f in sorted(glob.glob(os.path.join(d, "*.json")))
                      if re.search(r"-c\d+\.json$", f)}
        out[part] = p
    out["capacity"] = capacity(out)
    return out


def capacity(r):
    """Instances and databases for the peak, from this run's figures."""
    c = {"signups_per_s": PEAK_SIGNUPS, "autocomplete_per_s": PEAK_SIGNUPS * QUERIES_PER_SIGNUP,
         "p99_target_ms": P99_TARGET_MS}
    if r["address"]:
        big = r["address"][-1]
        mix = big["loads"].get("mix-c8") or big["loads"].get("mix-c1")
        if mix:
            c["address_set"] = big["set"]
            c["address_rps_per_instance"] = mix["rps"]
            c["address_p99_ms"] = mix["latency_ms"]["p99"]
            c["address_meets_p99"] = mix["latency_ms"]["p99"] <= P99_TARGET_MS
            c["address_instances"] = math.ceil(c["autocomplete_per_s"] / mix["rps"]) if mix["rps"] else None
            c["address_cores"] = c["address_instances"] * int(r["machine"].get("cpus", 1)) if c["address_instances"] else None
            c["address_rss_mib"] = round(big.get("hwm_kib", 0) / 1024)
            cpu = mix.get("server_cpu_ms_per_req")
            if cpu:
                cores = int(r["machine"].get("cpus", 1))
                c["address_cpu_ms_per_req"] = cpu
                c["address_cores_busy"] = round(c["autocomplete_per_s"] * cpu / 1000, 1)
                c["address_instances_by_cpu"] = math.ceil(c["address_cores_busy"] / (cores * CPU_TARGET))
    mail = r.get("mail", {}).get("loads", {})
    for k in ("cached", "uncached"):
        if f"{k}-c8" in mail:
            c[f"mail_{k}_rps_per_instance"] = mail[f"{k}-c8"]["rps"]
    cons = r.get("consent", {}).get("loads", {})
    for k in ("sqlite", "postgres"):
        best = max((v for n, v in cons.items() if n.startswith(k + "-")), key=lambda v: v["ok_rps"], default=None)
        if best:
            c[f"{k}_writes_per_s"] = best["ok_rps"]
            c[f"{k}_p99_ms"] = best["latency_ms"]["p99"]
            c[f"{k}_headroom"] = round(best["ok_rps"] / PEAK_SIGNUPS, 2)
    return c


def verdict(v):
    """`OK, N entries` (or the failure) out of a `fiable-lookup verify` line."""
    if not v:
        return "not run"
    m = re.search(r"(OK, \d+ entries|BROKEN.*)", v)
    return f"`{m.group(1)}`" if m else f"`{v}`"


def ms(x):
    return f"{x:.2f}" if x < 10 else f"{x:.0f}" if x >= 100 else f"{x:.1f}"


def mib(kib):
    return f"{kib / 1024:,.0f} MiB"


def load_row(name, d):
    l = d["latency_ms"]
    errs = {k: v for k, v in d["statuses"].items() if not k.startswith("2")}
    cpu = d.get("server_cpu_ms_per_req")
    return (f"| {name} | {d['clients']} | {d['requests']:,} | {d['rps']:,.0f} | {ms(l['p50'])} | {ms(l['p90'])} | "
            f"{ms(l['p99'])} | {ms(l['max'])} | {sum(errs.values()) if errs else 0} | "
            f"{'' if cpu is None else f'{cpu:.3f}'} | {d.get('loadavg', '')} |")


LOAD_HEAD = ("| run | clients | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | errors | server CPU ms/req | load avg after |\n"
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")


def render(r):
    m = r["machine"]
    o = ["# The lookup service at scale (`bench/service/scale.sh`)", "",
         f"One run, {m.get('started', '?')} → {m.get('finished', '?')}, commit `{m.get('commit', '?')}` "
         f"({m.get('fiable', '')}), on {m.get('cpus')} × {m.get('cpu')}, {mib(m.get('mem_kib', 0))} RAM, "
         f"Linux {m.get('kernel')}, `/tmp` on {m.get('tmp_fs')}. "
         f"**Machine load average** (1/5/15 min) at the start: {m.get('loadavg_start')}; at the end: "
         f"{m.get('loadavg_end', '?')}; after each run in the tables. The machine is shared with other builds; "
         "the load generator runs on the same cores as the server (closed loop, keep-alive, "
         "`lookup/examples/loadgen.rs`), so requests/s are what the server does with the cores it gets.", ""]
    if r["address"]:
        o += ["## Address search", "",
              "Index: `fiable-lookup index` under `/usr/bin/time -v` (wall time, peak RSS). Quality: "
              "`fiable-lookup bench --rounds 4` (hit rates from the first round) on 600 queries drawn from the same file by `fiable-lookup corpus` "
              "(expected BAN id at rank 1 / in the top 5). Server memory: `VmRSS` once ready, after the "
              "runs, and the peak `VmHWM` (the index is memory-mapped: its pages count once touched).", "",
              "| set | rows | CSV (gz) | index build | build peak RSS | index on disk | ready | RSS ready | RSS after | peak RSS | top-1 | top-5 |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for a in r["address"]:
            o.append(f"| {a['set']} | {a['rows']:,} | {a['file_bytes'] / 1048576:,.0f} MiB | {a['index_seconds']:.1f} s | "
                     f"{mib(a['index_max_rss_kib'])} | {a['index_bytes'] / 1048576:,.0f} MiB | {a['ready_ms']} ms | "
                     f"{mib(a['rss_idle_kib'])} | {mib(a['rss_after_kib'])} | {mib(a['hwm_kib'])} | "
                     f"{a['top1'] if a['top1'] is not None else '?'}% | {a['top5'] if a['top5'] is not None else '?'}% |")
        o += ["", "Load: `GET /v1/address/search?q=…&limit=5`. `mix` cycles through every class below, "
              "shuffled; each class then alone at 1 and 8 clients. Classes: the corpus kinds (`full` address with "
              "postcode and city, `no_postcode`, `prefix` cut mid-word, `abbrev` (bd, av, st…), `typo`, `folded` "
              "(no accents, lower case)), `typed` = each `full` query as typed (every 3rd keystroke, then whole), "
              "`postcode` = `full` and `typo` with `&postcode=`. Class sizes:", ""]
        for a in r["address"]:
            sizes = ", ".join(f"{k} {v}" for k, v in (l.split("\t") for l in a.get("classes", "").splitlines()))
            o.append(f"- {a['set']}: {sizes}")
        for a in r["address"]:
            o += ["", f"### {a['set']} ({a['rows']:,} rows)", "", LOAD_HEAD]
            names = sorted(a["loads"], key=lambda n: (not n.startswith("mix"), n))
            for n in names:
                o.append(load_row(n.rsplit("-c", 1)[0], a["loads"][n]))
            # `fiable-lookup bench`: one thread in-process, no HTTP; the
            # rounds after the first (which faults the index in).
            lat = [l.strip() for l in a.get("quality", "").splitlines()
                   if l.startswith("latency:") or re.match(r"\s+\w+\s+p50 ", l)]
            if lat:
                o += ["", "In-process, one thread, warm (`fiable-lookup bench --rounds 4`: the last three rounds), "
                      "per query kind:", "", "```", *lat, "```"]
    mail = r.get("mail")
    if mail:
        o += ["", "## Mail domain checks", ""]
        if mail.get("skipped"):
            o.append(f"Skipped: {mail['skipped']}.")
        else:
            o += [f"`GET /v1/email/domain?d=…` with `--dns-upstream` at {mail.get('dnsmasq', 'dnsmasq')} on "
                  "127.0.0.1. **cached**: five domains with MX records, cycled (every request after the first "
                  "five is a cache hit). **uncached**: a new name per request (`u<run>-<n>.fiable-bench.com`, "
                  "a wildcard A record, no MX: the service asks MX, then the address records, and answers "
                  "`valid` with the implicit MX), so every request misses the cache and waits for dnsmasq. "
                  f"Server peak RSS {mib(mail.get('hwm_kib', 0))}.", "", LOAD_HEAD]
            for n in sorted(mail["loads"]):
                o.append(load_row(n.rsplit("-c", 1)[0], mail["loads"][n]))
            dns = [l for l in mail.get("metrics", "").splitlines() if l.startswith("fiable_dns")]
            if dns:
                o += ["", "The service's own counters (`/metrics`) after the four runs:", "", "```"] + dns + ["```"]
    cons = r.get("consent")
    if cons:
        o += ["", "## Consent submissions", "",
              "`POST /v1/consents` under an advisor key (`bench/service/consent.sh`), a valid record (the "
              f"consent crate's fixture, {cons.get('record_bytes', '?')} bytes; `*_people` rows: a new person "
              "each, sealed into the vault), a distinct `Idempotency-Key` per request: each "
              "acknowledged request (201) is a new record appended to the hash chain and signed. SQLite: "
              "the default store, WAL with `synchronous=FULL` (an acknowledged append survives power loss). "
              f"PostgreSQL: {cons.get('postgres_version') or 'not run'}, a fresh cluster on 127.0.0.1, default "
              "settings (`fsync`, `synchronous_commit=on`), pool of 8 connections.", "", LOAD_HEAD]
        for n in sorted(cons["loads"]):
            o.append(load_row(n.rsplit("-c", 1)[0], cons["loads"][n]))
        o += ["", "Acknowledged (201) vs. what `fiable-lookup verify` finds in the ledger afterwards:", "",
              f"- SQLite: {cons.get('sqlite_acked')} acknowledged; verify: {verdict(cons.get('sqlite_verify'))}; "
              f"ledger on disk {cons.get('sqlite_bytes', 0) / 1048576:.1f} MiB (WAL included)",
              f"- PostgreSQL: {cons.get('postgres_acked')} acknowledged; verify: {verdict(cons.get('postgres_verify'))}"]
        if cons.get("fdatasync_per_s"):
            o += ["", f"The disk under `/tmp` during this part: `pg_test_fsync -s 1` measured "
                  f"{cons['fdatasync_per_s']:,.0f} fdatasync/s (one 8 kB write each). Every acknowledged "
                  "append waits for a flush of the WAL, taken under the ledger's single writer lock; "
                  "appends that arrive while one commits share the next (group commit, up to 64)."]
    c = r.get("capacity", {})
    if c.get("address_rps_per_instance"):
        o += ["", "## Capacity arithmetic (this run's figures; discussed in `bench/SCALING.md`)", "",
              f"- Peak: {c['signups_per_s']:,} signups/s × {QUERIES_PER_SIGNUP} autocomplete requests = "
              f"**{c['autocomplete_per_s']:,} address req/s** + {c['signups_per_s']:,} consent writes/s "
              f"(+ up to {c['signups_per_s']:,} mail-domain checks/s).",
              f"- One instance ({m.get('cpus')} cores, set `{c['address_set']}`, 8 clients, mixed queries): "
              f"{c['address_rps_per_instance']:,.0f} req/s at p99 {ms(c['address_p99_ms'])} ms "
              f"({'within' if c['address_meets_p99'] else 'over'} a {P99_TARGET_MS} ms p99 target) → "
              f"⌈{c['autocomplete_per_s']:,} / {c['address_rps_per_instance']:,.0f}⌉ = "
              f"**{c['address_instances']} instances** ({c['address_cores']} cores), "
              f"each with {c['address_rss_mib']:,} MiB peak RSS."]
        if c.get("address_cpu_ms_per_req"):
            o.append(f"- The same from server CPU (steadier on a shared machine): {c['address_cpu_ms_per_req']:.3f} ms "
                     f"per request × {c['autocomplete_per_s']:,} req/s = {c['address_cores_busy']} cores busy → at "
                     f"{CPU_TARGET:.0%} busy, ⌈{c['address_cores_busy']} / ({m.get('cpus')} × {CPU_TARGET})⌉ = "
                     f"**{c['address_instances_by_cpu']} instances** of {m.get('cpus')} cores.")
        for k, name in (("cached", "cached"), ("uncached", "uncached")):
            if c.get(f"mail_{k}_rps_per_instance") and c[f"mail_{k}_rps_per_instance"] > 0:
                rps = c[f"mail_{k}_rps_per_instance"]
                o.append(f"- Mail domain checks, {name}: {rps:,.0f} req/s per instance → "
                         f"⌈{c['signups_per_s']:,} / {rps:,.0f}⌉ = {math.ceil(c['signups_per_s'] / rps)} instance(s).")
        for k, name in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
            if c.get(f"{k}_writes_per_s"):
                o.append(f"- Consent on {name}: best {c[f'{k}_writes_per_s']:,.0f} acknowledged writes/s "
                         f"(p99 {ms(c[f'{k}_p99_ms'])} ms) = {c[f'{k}_headroom']} × the {c['signups_per_s']:,}/s peak.")
    return "\n".join(o) + "\n"


def main():
    os.makedirs(RESULTS, exist_ok=True)
    jpath, mpath = os.path.join(RESULTS, "scale.json"), os.path.join(RESULTS, "scale.md")
    if sys.argv[1:] == ["--render"]:
        r = load(jpath)
    else:
        r = collect(sys.argv[1])
        with open(jpath, "w", encoding="utf-8") as f:
            json.dump(r, f, indent=1, ensure_ascii=False)
            f.write("\n")
    with open(mpath, "w", encoding="utf-8") as f:
        f.write(render(r))
    print("wrote " + ("" if sys.argv[1:] == ["--render"] else os.path.normpath(jpath) + " and ") + os.path.normpath(mpath))


if __name__ == "__main__":
    main()
