// Page loads over an emulated network (a diagnostic, not in `make bench`):
// Chromium's network emulation adds LAT ms to every request (and, with MBPS,
// caps the link; the bench server sends files uncompressed), each load in a
// new renderer process, the pages taking turns. Prints the median ready.
//   node bench/load-network.mjs                      LAT=40, no cap, 25 loads
//   LAT=40 MBPS=10 N=25 P=load-empty,load-tag,load-tag-preload node bench/load-network.mjs
import { launch } from './browser.mjs';
import { serve } from './serve.mjs';
import { loadReady } from './ready.mjs';
import { pageUrl, writePages } from './pages.mjs';

writePages();

const server = await serve();
const browser = await launch();
const pages = (process.env.P ?? 'load-empty,load-tag,load-tag-preload').split(',');
const latency = Number(process.env.LAT ?? 40);
const bytesPerSecond = process.env.MBPS ? (Number(process.env.MBPS) * 1e6) / 8 : -1;
const rows = Object.fromEntries(pages.map((p) => [p, []]));
for (let i = 0; i < Number(process.env.N ?? 25) + 1; i++) {
  for (const p of i % 2 ? [...pages].reverse() : pages) {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency, downloadThroughput: bytesPerSecond, uploadThroughput: bytesPerSecond });
    const ms = await loadReady(page, `${server.url}${pageUrl(p)}`);
    await ctx.close();
    if (i >= 1) rows[p].push(ms); // the first round warms the browser up
  }
}
console.log(`latency ${latency} ms per request, ${process.env.MBPS ? `${process.env.MBPS} Mbit/s` : 'no bandwidth cap'}, medians of ${rows[pages[0]].length} loads`);
for (const [p, v] of Object.entries(rows)) {
  const s = [...v].sort((a, b) => a - b);
  console.log(`${p.padEnd(20)} min ${s[0].toFixed(1)}  median ${s[s.length >> 1].toFixed(1)}  max ${s[s.length - 1].toFixed(1)} ms`);
}
await browser.close();
server.close();
