// fiable's address search vs addok (the engine behind the French national
// address API), same BAN data, same queries, same load. Driven by
// bench/service/run.sh, which starts both services; this script only talks
// HTTP to 127.0.0.1 and reads /proc for the servers' CPU and memory.
//
// env: FIABLE_URL, ADDOK_URL (base URLs), FIABLE_PIDS, ADDOK_PIDS (comma
// lists: process roots whose CPU/RSS are counted, children included),
// `--render` rewrites service.md from service.json.
// CORPUS (TSV), LOAD_SECONDS (15), LOAD_MAX (40000 requests per run),
// LOAD_CONC ("8,32"), LOAD_ROUNDS (3), OUT_DIR (bench/results), META (JSON).
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const env = process.env;
const FIABLE = env.FIABLE_URL ?? 'http://127.0.0.1:18787';
const ADDOK = env.ADDOK_URL ?? 'http://127.0.0.1:17878';
const CORPUS = env.CORPUS ?? 'lookup/tests/corpus/addresses-paris.tsv';
const LOAD_SECONDS = Number(env.LOAD_SECONDS ?? 15);
const LOAD_MAX = Number(env.LOAD_MAX ?? 40000);
const LOAD_CONC = (env.LOAD_CONC ?? '8,32').split(',').map(Number);
const LOAD_ROUNDS = Number(env.LOAD_ROUNDS ?? 3);
const OUT_DIR = env.OUT_DIR ?? 'bench/results';
const META = env.META ? JSON.parse(env.META) : {};

const cases = fs.readFileSync(CORPUS, 'utf8').split('\n')
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => { const [kind, query, id, label] = l.split('\t'); return { kind, query, id, label }; });
const KINDS = [...new Set(cases.map((c) => c.kind))];

const engines = {
  fiable: {
    url: (q, pc, limit = 5) => `${FIABLE}/v1/address/search?q=${encodeURIComponent(q)}&limit=${limit}${pc ? `&postcode=${pc}` : ''}`,
    hits: (body) => body.results.map((h) => ({ id: h.id, hn: h.housenumber, street: h.street, postcode: h.postcode })),
    pids: (env.FIABLE_PIDS ?? '').split(',').filter(Boolean).map(Number),
  },
  addok: {
    url: (q, pc, limit = 5) => `${ADDOK}/search/?q=${encodeURIComponent(q)}&limit=${limit}${pc ? `&postcode=${pc}` : ''}`,
    hits: (body) => body.features.map((f) => f.properties)
      .map((p) => ({ id: p.id, hn: p.housenumber, street: p.street ?? p.name, postcode: p.postcode })),
    pids: (env.ADDOK_PIDS ?? '').split(',').filter(Boolean).map(Number),
  },
};

function get(url, agent) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const req = http.get(url, { agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks), ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
      res.on('error', (e) => resolve({ status: 0, error: String(e), ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    });
    req.setTimeout(10000, () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 0, error: String(e), ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
  });
}

const fold = (s) => (s ?? '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
  .replace(/[-'’]/g, ' ').replace(/\s+/g, ' ').trim();
// "99 Z Rue du Poteau 75018 Paris" vs hit (number, street, postcode): the
// label starts with them, the commune follows.
const sameAddress = (h, label) => !!h.hn && fold(label).startsWith(`${fold(`${h.hn} ${h.street} ${h.postcode}`)} `);
// Postcode typed in the query (kinds `full`, `typo`; the last five-digit
// group, house numbers being shorter): the filter of the "with postcode
// filter" pass.
const typedPostcode = (q) => (q.match(/\b\d{5}\b/g) ?? []).at(-1);

const pct = (xs, p) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const r1 = (x) => (x == null ? null : Math.round(x * 10) / 10);
const r2 = (x) => (x == null ? null : Math.round(x * 100) / 100);

async function quality(name, withFilter) {
  const e = engines[name];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const per = {}; const lat = []; let byLabel = 0; let errors = 0; const misses = [];
  for (const c of cases) {
    const pc = withFilter ? typedPostcode(c.query) : undefined;
    if (withFilter && !pc) continue;
    const r = await get(e.url(c.query, pc), agent);
    lat.push(r.ms);
    let hits = [];
    if (r.status === 200) hits = e.hits(JSON.parse(r.body)); else errors++;
    let rank = hits.findIndex((h) => h.id === c.id);
    if (rank < 0) { rank = hits.findIndex((h) => sameAddress(h, c.label)); if (rank >= 0) byLabel++; }
    const k = (per[c.kind] ??= { n: 0, top1: 0, top5: 0 });
    k.n++; if (rank === 0) k.top1++; if (rank >= 0) k.top5++;
    if (rank !== 0 && misses.length < 400) misses.push({ kind: c.kind, query: c.query, expected: c.label, got: hits[0] ? `${hits[0].hn ?? ''} ${hits[0].street} ${hits[0].postcode}`.trim() : null, rank });
  }
  agent.destroy();
  const all = Object.values(per).reduce((a, k) => ({ n: a.n + k.n, top1: a.top1 + k.top1, top5: a.top5 + k.top5 }), { n: 0, top1: 0, top5: 0 });
  return { per_kind: per, all, matched_by_label: byLabel, errors, sequential_ms: { p50: r2(pct(lat, 50)), p90: r2(pct(lat, 90)), p99: r2(pct(lat, 99)) }, misses };
}

// CPU ticks (user+sys) and RSS of a process tree, from /proc.
function procTree(roots) {
  const kids = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(f[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(d));
    } catch { /* gone */ }
  }
  const out = []; const stack = [...roots];
  while (stack.length) { const p = stack.pop(); out.push(p); stack.push(...(kids.get(p) ?? [])); }
  return out;
}
function usage(roots) {
  let ticks = 0; let rssKb = 0;
  for (const p of procTree(roots)) {
    try {
      const st = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
      const m = fs.readFileSync(`/proc/${p}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
      if (m) rssKb += Number(m[1]);
    } catch { /* gone */ }
  }
  return { cpuS: ticks / 100, rssMb: rssKb / 1024 };
}

async function load(name, conc, round) {
  const e = engines[name];
  const agent = new http.Agent({ keepAlive: true, maxSockets: conc });
  const lat = []; let errors = 0; let sent = 0; let statusErr = 0;
  const deadline = Date.now() + LOAD_SECONDS * 1000;
  const u0 = usage(e.pids); const c0 = process.cpuUsage(); const t0 = process.hrtime.bigint();
  let next = (round * 9973) % cases.length;
  async function worker() {
    while (sent < LOAD_MAX && Date.now() < deadline) {
      const c = cases[next]; next = (next + 1) % cases.length; sent++;
      const r = await get(e.url(c.query), agent);
      if (r.status === 200) lat.push(r.ms); else if (r.status) statusErr++; else errors++;
    }
  }
  await Promise.all(Array.from({ length: conc }, worker));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const u1 = usage(e.pids); const c1 = process.cpuUsage(c0);
  agent.destroy();
  return {
    engine: name, concurrency: conc, round, seconds: r2(secs), requests: lat.length, errors, non_200: statusErr,
    rps: Math.round(lat.length / secs),
    p50_ms: r2(pct(lat, 50)), p90_ms: r2(pct(lat, 90)), p99_ms: r2(pct(lat, 99)), max_ms: r2(Math.max(...lat)),
    server_cpu_ms_per_req: lat.length ? r2(((u1.cpuS - u0.cpuS) * 1000) / lat.length) : null,
    server_rss_mb: r1(u1.rssMb), client_cpu_s: r2((c1.user + c1.system) / 1e6), loadavg_1m: r2(os.loadavg()[0]),
  };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

async function main() {
  const started = new Date().toISOString();
  const loadStart = os.loadavg().map(r2);
  const q = {};
  for (const name of Object.keys(engines)) {
    q[name] = { text: await quality(name, false), postcode_filter: await quality(name, true) };
    console.error(`${name}: top1 ${q[name].text.all.top1}/${q[name].text.all.n}, top5 ${q[name].text.all.top5}`);
  }
  const runs = [];
  for (let round = 0; round < LOAD_ROUNDS; round++) {
    for (const conc of LOAD_CONC) {
      for (const name of round % 2 ? ['addok', 'fiable'] : ['fiable', 'addok']) {
        const r = await load(name, conc, round);
        console.error(JSON.stringify(r));
        runs.push(r);
      }
    }
  }
  const summary = [];
  for (const conc of LOAD_CONC) {
    const row = { concurrency: conc };
    for (const name of Object.keys(engines)) {
      const rs = runs.filter((r) => r.engine === name && r.concurrency === conc);
      row[name] = Object.fromEntries(['rps', 'p50_ms', 'p90_ms', 'p99_ms', 'server_cpu_ms_per_req', 'server_rss_mb']
        .map((k) => [k, r2(median(rs.map((r) => r[k])))]));
    }
    row.rps_ratio_fiable_over_addok = r2(row.fiable.rps / row.addok.rps);
    row.p50_ratio_addok_over_fiable = r2(row.addok.p50_ms / row.fiable.p50_ms);
    row.p99_ratio_addok_over_fiable = r2(row.addok.p99_ms / row.fiable.p99_ms);
    row.cpu_per_req_ratio_addok_over_fiable = r2(row.addok.server_cpu_ms_per_req / row.fiable.server_cpu_ms_per_req);
    summary.push(row);
  }
  const result = {
    started, finished: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model, loadavg_at_start: loadStart, loadavg_at_end: os.loadavg().map(r2), node: process.version },
    setup: META, corpus: CORPUS, queries: cases.length, kinds: KINDS,
    load: { seconds: LOAD_SECONDS, max_requests: LOAD_MAX, concurrency: LOAD_CONC, rounds: LOAD_ROUNDS },
    quality: q, load_runs: runs, load_summary: summary,
  };
  fs.mkdirSync(OUT_DIR, { recursive: true });
  fs.writeFileSync(path.join(OUT_DIR, 'service.json'), JSON.stringify(result, null, 1) + '\n');
  fs.writeFileSync(path.join(OUT_DIR, 'service.md'), markdown(result));
  console.error(`wrote ${OUT_DIR}/service.{json,md}`);
}

const pctS = (a, n) => (n ? `${((100 * a) / n).toFixed(1)} %` : '–');
function markdown(r) {
  const f = r.quality.fiable; const a = r.quality.addok;
  const L = [];
  const data = (r.setup.data ?? '').split(' ')[0].split('/').pop() || 'the BAN';
  L.push(`# fiable vs addok — address search on ${data}`, '');
  L.push(`Generated by \`make bench-service\` (bench/service/) on ${r.finished}. ${r.machine.cpus} CPU(s) (${r.machine.cpu_model}), load average (1/5/15 min) ${r.machine.loadavg_at_start.join(' / ')} at the start, ${r.machine.loadavg_at_end.join(' / ')} at the end${Math.max(...r.machine.loadavg_at_start, ...r.machine.loadavg_at_end) > r.machine.cpus ? ' (above the core count: the cores were oversubscribed, the load generator included)' : ''}.`);
  L.push('One run on a shared machine: the load generator, both servers and Redis share the same cores, so read the **ratios**, not the absolute figures.', '');
  L.push('## Setup', '');
  for (const [k, v] of Object.entries(r.setup)) L.push(`- **${k}**: ${v}`);
  L.push('', `## Quality: ${r.queries} queries (\`${r.corpus}\`), top-1 / top-5 hit rate of the intended BAN address`, '');
  L.push('Query text only (no filter), `limit=5`; a hit is the expected BAN id (or, failing that, the same number + street + postcode).', '');
  L.push('| kind | n | fiable top-1 | addok top-1 | fiable top-5 | addok top-5 |', '| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const k of [...r.kinds, 'all']) {
    const fk = k === 'all' ? f.text.all : f.text.per_kind[k]; const ak = k === 'all' ? a.text.all : a.text.per_kind[k];
    const b = (s) => (k === 'all' ? `**${s}**` : s);
    L.push(`| ${b(k)} | ${fk.n} | ${b(pctS(fk.top1, fk.n))} | ${b(pctS(ak.top1, ak.n))} | ${b(pctS(fk.top5, fk.n))} | ${b(pctS(ak.top5, ak.n))} |`);
  }
  L.push('', 'Same, with the typed postcode also passed as the `postcode=` filter (the kinds whose query has one):', '');
  L.push('| kind | n | fiable top-1 | addok top-1 | fiable top-5 | addok top-5 |', '| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const k of Object.keys(f.postcode_filter.per_kind)) {
    const fk = f.postcode_filter.per_kind[k]; const ak = a.postcode_filter.per_kind[k];
    L.push(`| ${k} | ${fk.n} | ${pctS(fk.top1, fk.n)} | ${pctS(ak.top1, ak.n)} | ${pctS(fk.top5, fk.n)} | ${pctS(ak.top5, ak.n)} |`);
  }
  L.push('', `Hits found by label rather than id: fiable ${f.text.matched_by_label}, addok ${a.text.matched_by_label}. HTTP errors: fiable ${f.text.errors}, addok ${a.text.errors}.`);
  L.push(`Sequential latency over the quality pass (one client, keep-alive), p50 / p90 / p99: fiable ${f.text.sequential_ms.p50} / ${f.text.sequential_ms.p90} / ${f.text.sequential_ms.p99} ms, addok ${a.text.sequential_ms.p50} / ${a.text.sequential_ms.p90} / ${a.text.sequential_ms.p99} ms.`, '');
  L.push(`## Throughput and latency under load`, '');
  L.push(`The ${r.queries} query texts in a loop, \`limit=5\`, closed loop with N concurrent clients (Node, keep-alive), each run bounded by ${r.load.seconds} s or ${r.load.max_requests} requests; ${r.load.rounds} rounds, engines interleaved; medians of the rounds. Server CPU per request counts every process of the engine (addok: gunicorn master + workers + Redis).`, '');
  L.push('| concurrency | engine | req/s | p50 ms | p90 ms | p99 ms | server CPU ms/req | server RSS MB |', '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const s of r.load_summary) {
    for (const e of ['fiable', 'addok']) {
      const x = s[e];
      L.push(`| ${s.concurrency} | ${e} | ${x.rps} | ${x.p50_ms} | ${x.p90_ms} | ${x.p99_ms} | ${x.server_cpu_ms_per_req} | ${x.server_rss_mb} |`);
    }
  }
  L.push('', '| concurrency | req/s fiable ÷ addok | p50 addok ÷ fiable | p99 addok ÷ fiable | CPU/req addok ÷ fiable |', '| ---: | ---: | ---: | ---: | ---: |');
  for (const s of r.load_summary) L.push(`| ${s.concurrency} | ${s.rps_ratio_fiable_over_addok}× | ${s.p50_ratio_addok_over_fiable}× | ${s.p99_ratio_addok_over_fiable}× | ${s.cpu_per_req_ratio_addok_over_fiable}× |`);
  L.push('', 'How to read it: req/s and latencies move with whatever else the machine runs (see the per-run table and its load average); the server CPU time per request barely does, so it is the fairest single figure. `1000 ÷ CPU ms/req` is the throughput one fully busy core would give each engine:', '');
  L.push('| concurrency | fiable req/s per core | addok req/s per core |', '| ---: | ---: | ---: |');
  for (const s of r.load_summary) L.push(`| ${s.concurrency} | ${Math.round(1000 / s.fiable.server_cpu_ms_per_req)} | ${Math.round(1000 / s.addok.server_cpu_ms_per_req)} |`);
  L.push('', 'Every run:', '', '| engine | conc. | round | s | requests | errors | req/s | p50 | p90 | p99 | max ms | client CPU s | load 1m |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const x of r.load_runs) L.push(`| ${x.engine} | ${x.concurrency} | ${x.round} | ${x.seconds} | ${x.requests} | ${x.errors + x.non_200} | ${x.rps} | ${x.p50_ms} | ${x.p90_ms} | ${x.p99_ms} | ${x.max_ms} | ${x.client_cpu_s} | ${x.loadavg_1m} |`);
  const missed = (qq) => new Map(qq.text.misses.map((m) => [m.query, m]));
  const fm = missed(f); const am = missed(a);
  L.push('', '## Head to head (query text only, top-1)', '');
  L.push(`Both find the intended address first: ${r.queries - new Set([...fm.keys(), ...am.keys()]).size}; both miss: ${[...fm.keys()].filter((q) => am.has(q)).length}; only fiable finds it: ${[...am.keys()].filter((q) => !fm.has(q)).length}; only addok finds it: ${[...fm.keys()].filter((q) => !am.has(q)).length}.`, '');
  const onlyAddok = [...fm.values()].filter((m) => !am.has(m.query));
  if (onlyAddok.length) {
    L.push('Where addok is right and fiable is not:', '', '| kind | query | expected | fiable top-1 | fiable rank |', '| --- | --- | --- | --- | ---: |');
    for (const m of onlyAddok) L.push(`| ${m.kind} | ${m.query} | ${m.expected} | ${m.got ?? '(none)'} | ${m.rank >= 0 ? m.rank + 1 : '–'} |`);
  }
  L.push('', '## Misses (first 12 per engine, query text only)', '');
  for (const [e, qq] of [['fiable', f], ['addok', a]]) {
    L.push(`${e}:`, '', '| kind | query | expected | got top-1 | rank of expected |', '| --- | --- | --- | --- | ---: |');
    for (const m of qq.text.misses.slice(0, 12)) L.push(`| ${m.kind} | ${m.query} | ${m.expected} | ${m.got ?? '(none)'} | ${m.rank >= 0 ? m.rank + 1 : '–'} |`);
    L.push('');
  }
  return L.join('\n') + '\n';
}

if (process.argv.includes('--render')) {
  // Re-render service.md from service.json (no servers needed).
  const r = JSON.parse(fs.readFileSync(path.join(OUT_DIR, 'service.json'), 'utf8'));
  fs.writeFileSync(path.join(OUT_DIR, 'service.md'), markdown(r));
} else {
  main().catch((e) => { console.error(e); process.exit(1); });
}
