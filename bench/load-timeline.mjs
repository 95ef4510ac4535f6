// Where a cold page load's time goes (a diagnostic, not in `make bench`):
// loads bench pages interleaved and prints, per page, the median and the
// minimum of navigation timings, the first paint, each resource's start / first byte / end,
// the page's own performance marks and its ready time, in ms from navigation.
//   node bench/load-timeline.mjs                 load-tag and load-empty, 20 loads each
//   P=load-tag,load-noop N=60 node bench/load-timeline.mjs
//   NEW=1 node bench/load-timeline.mjs           each load in a new renderer process (a first visit)
// Marks come from the page: add performance.mark('…') calls to a build of
// dist/fiable.js to split the widget's own steps (how issue 13's start-up
// figures were taken).
import { launch } from './browser.mjs';
import { serve } from './serve.mjs';
import { loadReady } from './ready.mjs';
import { pageUrl, writePages } from './pages.mjs';

writePages();
const server = await serve();
const browser = await launch();
const fresh = process.env.NEW === '1';
const shared = fresh ? null : await (await browser.newContext()).newPage();
const pages = (process.env.P ?? 'load-tag,load-empty').split(',');
const rows = {};
for (let i = 0; i < Number(process.env.N ?? 20) + 3; i++) for (const p of pages) {
  const page = shared ?? await (await browser.newContext()).newPage();
  const ready = await loadReady(page, `${server.url}${pageUrl(p)}`);
  await new Promise((r) => setTimeout(r, 150)); // past the first paint of a page ready before it (the floors)
  const r = await page.evaluate(() => {
    const o = {};
    const n = performance.getEntriesByType('navigation')[0];
    o.responseEnd = n.responseEnd; o.domInteractive = n.domInteractive; o.dcl = n.domContentLoadedEventStart; o.load = n.loadEventStart;
    for (const e of performance.getEntriesByType('mark')) o['mark ' + e.name] = e.startTime;
    for (const e of performance.getEntriesByType('paint')) o[e.name] = e.startTime;
    for (const e of performance.getEntriesByType('resource')) { const k = e.name.split('/').pop(); if (/phones|combobox|chunk-/.test(k)) continue; o[k + ' start'] = e.startTime; o[k + ' resp'] = e.responseStart; o[k + ' end'] = e.responseEnd; }
    return o;
  });
  r.ready = ready;
  if (!shared) await page.context().close();
  if (i >= 3) for (const [k, v] of Object.entries(r)) ((rows[p] ??= {})[k] ??= []).push(v);
}
for (const [p, o] of Object.entries(rows)) { console.log('==', p); for (const [k, v] of Object.entries(o).sort((a, b) => a[1].sort((x, y) => x - y)[a[1].length >> 1] - b[1].sort((x, y) => x - y)[b[1].length >> 1])) { v.sort((a, b) => a - b); console.log('  ' + k.padEnd(34), v[v.length >> 1].toFixed(1).padStart(6), '  min', v[0].toFixed(1)); } }
await browser.close(); server.close();
