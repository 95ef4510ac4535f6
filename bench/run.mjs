// `make bench`: builds the pages, runs fiable and its peers in one Chromium
// run, writes bench/results/latest.{json,md,svg}. Every figure comes from this
// one run; compare the ratios, not the absolute numbers. Nothing here asserts.
//   BENCH_ROUNDS (default 21), BENCH_LOADS (default 15), BENCH_NEW_LOADS (page
//   loads in a new process, default 25: noisier) to trade time for noise;
//   BENCH_ONLY=load: the page loads alone, printed, no results written.
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import { cpus } from 'node:os';
import { launch } from './browser.mjs';
import { serve } from './serve.mjs';
import { loadReady } from './ready.mjs';
import { pageUrl } from './pages.mjs';
import { markdown, svg } from './report.mjs';

const bench = new URL('./', import.meta.url);
const rounds = Number(process.env.BENCH_ROUNDS ?? 21);
const loads = Number(process.env.BENCH_LOADS ?? 15);
const newLoads = Number(process.env.BENCH_NEW_LOADS ?? 25);
const onlyLoads = process.env.BENCH_ONLY === 'load';

if (!existsSync(new URL('../pkg/dist/fiable_wasm_bg.wasm', bench))) {
  console.error('bench: pkg/dist/fiable_wasm_bg.wasm is missing: run `make pkg` first');
  process.exit(1);
}
await import('./build.mjs');

// ── sizes: what a page downloads up front for the same job ──
function size(files) {
  const b = Buffer.concat(files.map((f) => readFileSync(new URL(f, bench))));
  return {
    files, raw: b.length,
    gzip: gzipSync(b, { level: 9 }).length,
    brotli: brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}
const sizes = {
  'fiable .wasm': size(['../pkg/dist/fiable_wasm_bg.wasm']),
  'fiable JS (glue + wrapper, as shipped)': size(['../pkg/dist/fiable_wasm.js', '../pkg/api.js', '../pkg/index.js']),
  'fiable JS (glue + wrapper, esbuild --minify)': size(['build/fiable-glue.min.js']),
  'fiable total (.wasm + minified JS)': size(['../pkg/dist/fiable_wasm_bg.wasm', 'build/fiable-glue.min.js']),
  'peers, libphonenumber-js max (isEmail + mailcheck + parse + AsYouType, minified)': size(['build/peers-max.js']),
  'peers, libphonenumber-js min (same, minified)': size(['build/peers-min.js']),
};

// ── the browser ──
const server = await serve();
const browser = await launch();
let result;
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('bench page error:', e.message));

  // Page load: navigation start → ready, no HTTP cache (no-store), the pages
  // taking turns (in reverse order every other round: the second of two
  // identical pages measured 2-4 ms slower). These loads share one renderer
  // process: V8 keeps compiled scripts and, by its bytes, the compiled Wasm
  // module from one load to the next (a visitor's next page on the site).
  console.log(`bench: page load, ${loads} times each`);
  // fiable: init() from the npm entry; the script tag: the widget ready on
  // the French signup form (what a shop adds), against an empty page.
  const pages = { fiable: 'load-fiable', 'peers (libphonenumber-js max)': 'load-peers-max', 'peers (libphonenumber-js min)': 'load-peers-min',
    'fiable script tag (signup form)': 'load-tag', 'empty page': 'load-empty',
    // The floor of any script tag: one empty deferred script on the same form;
    // of a script of the tag's size: its bytes parsed, never run; and of any
    // tag that runs Wasm: a deferred script that instantiates an empty module.
    'empty deferred script (signup form)': 'load-noop', 'deferred script of the tag\'s size, never run (signup form)': 'load-noop-sized',
    'deferred script instantiating an empty Wasm module (signup form)': 'load-noop-wasm' };
  const turns = (i) => (i % 2 ? Object.entries(pages).reverse() : Object.entries(pages));
  const load = Object.fromEntries(Object.keys(pages).map((k) => [k, []]));
  for (let i = 0; i < loads + 2; i++) {
    for (const [k, p] of turns(i)) {
      const ms = await loadReady(page, `${server.url}${pageUrl(p)}`);
      if (i >= 2) load[k].push(ms); // the first two are warm-up (browser start-up)
    }
  }
  // The same pages, each load in a browser context of its own: a new renderer
  // process, nothing compiled yet (a visitor's first page on the site).
  console.log(`bench: page load in a new process, ${newLoads} times each`);
  const loadNew = Object.fromEntries(Object.keys(pages).map((k) => [k, []]));
  for (let i = 0; i < newLoads + 1; i++) {
    for (const [k, p] of turns(i)) {
      const own = await browser.newContext();
      const pg = await own.newPage();
      pg.on('pageerror', (e) => console.error('bench page error:', e.message));
      const ms = await loadReady(pg, `${server.url}${pageUrl(p)}`);
      await own.close();
      if (i >= 1) loadNew[k].push(ms);
    }
  }

  if (!onlyLoads) {
    console.log(`bench: call timings, ${rounds} rounds over the corpus (about a minute)`);
    await page.goto(`${server.url}/page/bench.html`);
    await page.waitForFunction(() => typeof window.runBench === 'function');
    const cfg = { rounds, warmupMs: 300, maxMs: 25000 };
    const page_ = await page.evaluate((c) => window.runBench(c), cfg);
    result = { page: page_, load, loadNew, cfg, chromium: browser.version() };
  } else result = { load, loadNew };
} finally {
  await browser.close();
  server.close();
}

if (onlyLoads) {
  for (const [what, L] of [['same process', result.load], ['new process', result.loadNew]]) {
    for (const [k, xs] of Object.entries(L)) {
      const s = [...xs].sort((a, b) => a - b);
      console.log(`${what}: ${k.padEnd(60)} min ${s[0].toFixed(1)}  median ${s[s.length >> 1].toFixed(1)}  max ${s[s.length - 1].toFixed(1)} ms`);
    }
  }
  process.exit(0);
}

// ── summary and outputs ──
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return { min: s[0], median: s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2, max: s[s.length - 1], n: s.length };
};
const lock = JSON.parse(readFileSync(new URL('package-lock.json', bench), 'utf8'));
const ver = (n) => lock.packages[`node_modules/${n}`]?.version;
const timings = {};
for (const [bm, sides] of Object.entries(result.page.timings)) {
  timings[bm] = Object.fromEntries(Object.entries(sides).map(([k, xs]) => [k, { ...stats(xs), nsPerCall: xs }]));
}
const out = {
  date: new Date().toISOString(),
  machine: {
    cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version,
    chromium: result.chromium, userAgent: result.page.userAgent, crossOriginIsolated: result.page.crossOriginIsolated, note: 'shared 2-core machine: expect noise; compare ratios',
  },
  versions: { fiable: result.page.fiableVersion, validator: ver('validator'), mailcheck: ver('mailcheck'),
    'libphonenumber-js': ver('libphonenumber-js'), esbuild: ver('esbuild'), 'playwright-core': ver('playwright-core') },
  config: result.cfg,
  corpus: result.page.corpus,
  timings,
  pageLoadMs: Object.fromEntries(Object.entries(result.load).map(([k, xs]) => [k, { ...stats(xs), ms: xs }])),
  pageLoadNewProcessMs: Object.fromEntries(Object.entries(result.loadNew).map(([k, xs]) => [k, { ...stats(xs), ms: xs }])),
  sizes,
  agreement: result.page.agreement,
};
const dir = new URL('results/', bench);
mkdirSync(dir, { recursive: true });
writeFileSync(new URL('latest.json', dir), JSON.stringify(out, null, 1) + '\n');
const md = markdown(out);
writeFileSync(new URL('latest.md', dir), md);
writeFileSync(new URL('latest.svg', dir), svg(out));
console.log(md);
console.log('bench: wrote bench/results/latest.json, latest.md, latest.svg');
