// Turns bench/results/latest.json's object into the Markdown table and the
// SVG bar chart. Ratio = peer ÷ fiable: above 1, fiable is faster / smaller;
// below 1, fiable loses.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const f1 = (x) => (x >= 100 ? Math.round(x).toLocaleString('en') : x.toFixed(x >= 10 ? 1 : 2));
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const ratio = (peer, fiable) => peer / fiable;
const rfmt = (r) => `${r >= 10 ? r.toFixed(0) : r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}×`;

// The comparisons, one row each: [benchmark, label, fiable value, peer value, unit, fmt, spread].
export function rows(o) {
  const R = [];
  const t = o.timings;
  const spread = (s) => `${f1(s.min)} / ${f1(s.median)} / ${f1(s.max)}`;
  const time = (bm, label, peer) => {
    const f = t[bm].fiable, p = t[bm][peer];
    if (p) R.push({ group: 'ns per call (min / median / max over rounds)', what: label, peerName: peer,
      fiable: f.median, peer: p.median, fiableText: spread(f), peerText: spread(p), ratio: ratio(p.median, f.median), ratioMin: ratio(p.min, f.min) });
  };
  time('email', 'email: validate (syntax + typo suggestion)', 'validator.isEmail + mailcheck');
  time('phone', 'phone: parse + valid + type', 'libphonenumber-js max');
  time('phone', 'phone: parse + valid (+ type, unreliable)', 'libphonenumber-js min (type unreliable)');
  time('asYouType', 'phone as you type (every prefix)', 'libphonenumber-js max');
  time('asYouType', 'phone as you type (every prefix)', 'libphonenumber-js min');
  time('postcode', 'postcode (country given)', 'regex table (Google address metadata)');
  // Page loads: in one renderer process (compiled scripts and Wasm kept from
  // one load to the next), and each in a new one (a first visit).
  const loadRows = (L, group, where) => {
    if (!L) return;
    const row = (what, fiable, peerName, peer) => fiable && peer && R.push({ group, what, peerName,
      fiable: fiable.median, peer: peer.median, fiableText: spread(fiable), peerText: spread(peer),
      ratio: ratio(peer.median, fiable.median), ratioMin: ratio(peer.min, fiable.min) });
    for (const peer of ['peers (libphonenumber-js max)', 'peers (libphonenumber-js min)']) row(`page load, npm init() (localhost, ${where})`, L.fiable, peer, L[peer]);
    const tag = L['fiable script tag (signup form)'];
    const what = `the widget on a signup form (script tag), ready (${where})`;
    row(what, tag, 'empty page', L['empty page']);
    row(what, tag, 'an empty deferred script on the same form (the floor of any tag)', L['empty deferred script (signup form)']);
    row(what, tag, 'a deferred script of the tag\'s size on the same form, parsed, never run', L['deferred script of the tag\'s size, never run (signup form)']);
    row(what, tag, 'a deferred script on the same form that instantiates an empty Wasm module (the floor of any tag running Wasm)', L['deferred script instantiating an empty Wasm module (signup form)']);
  };
  loadRows(o.pageLoadMs, 'page load, ms from navigation to ready (min / median / max)', 'same process');
  loadRows(o.pageLoadNewProcessMs, 'page load in a new renderer process (a first visit), ms from navigation to ready', 'new process');
  const S = o.sizes;
  const ft = S['fiable total (.wasm + minified JS)'];
  for (const [peer, key] of [['peers, max', 'peers, libphonenumber-js max (isEmail + mailcheck + parse + AsYouType, minified)'],
    ['peers, min', 'peers, libphonenumber-js min (same, minified)']]) {
    for (const enc of ['raw', 'gzip', 'brotli']) {
      R.push({ group: 'download size (fiable: .wasm + minified JS)', what: `size, ${enc}`, peerName: peer,
        fiable: ft[enc], peer: S[key][enc], fiableText: kb(ft[enc]), peerText: kb(S[key][enc]), ratio: ratio(S[key][enc], ft[enc]) });
    }
  }
  return R;
}

export function markdown(o) {
  const m = o.machine;
  const L = [];
  L.push(`# fiable benchmark — ${o.date.slice(0, 10)}`, '');
  L.push(`${m.cpu} (${m.cores} cores, shared: expect noise), ${m.chromium.startsWith('Chrom') ? '' : 'Chromium '}${m.chromium}, Node ${m.node}. ` +
    `fiable ${o.versions.fiable}; validator ${o.versions.validator}, mailcheck ${o.versions.mailcheck}, libphonenumber-js ${o.versions['libphonenumber-js']}. ` +
    `Corpus: ${o.corpus.emails} emails, ${o.corpus.phones} phones (${o.corpus.asYouTypeCalls} as-you-type prefixes), ${o.corpus.postcodes} postcodes. ` +
    `Everything below comes from one run; **ratio = peer ÷ fiable** (above 1: fiable faster or smaller; below 1: fiable loses). ` +
    `Timings interleave the contenders slice by slice of the corpus; on a loaded machine the ratio of the minimums is the steadier figure.`, '');
  L.push('| benchmark | peer | fiable | peer | ratio (medians) | ratio (minimums) |', '| --- | --- | ---: | ---: | ---: | ---: |');
  let group = '';
  for (const r of rows(o)) {
    if (r.group !== group) {
      group = r.group;
      L.push(`| *${group}* | | | | | |`);
    }
    L.push(`| ${r.what} | ${r.peerName} | ${r.fiableText} | ${r.peerText} | **${rfmt(r.ratio)}** | ${r.ratioMin ? rfmt(r.ratioMin) : ''} |`);
  }
  L.push('', 'fiable is called as a page calls it: `validate(kind, value, options)` through the JS wrapper, JS↔Wasm crossing and the verdict object included. ' +
    'mailcheck runs with its default lists plus the French providers a French site would add. ' +
    'libphonenumber-js `min` metadata has no per-type patterns: its `getType()` is timed but is not reliable. ' +
    'The postcode peer is a bare regex per country (each slice run 50 times over, the calls being shorter than the timer step); fiable also checks that a French postcode is in use (commune table, its chunks loaded before timing).', '');
  const over = (P) => {
    const tag = P?.['fiable script tag (signup form)'], empty = P?.['empty page'];
    if (!tag || !empty) return '';
    const by = (k) => (P[k] ? f1(P[k].median - empty.median) : '?');
    return `**${f1(tag.median - empty.median)} ms** over an empty page (medians; ${f1(tag.min - empty.min)} ms between the minimums), ` +
      `of which a deferred script that does nothing on the same form takes ${by('empty deferred script (signup form)')} ms` +
      `, one of the tag's size, parsed but never run, ${by('deferred script of the tag\'s size, never run (signup form)')} ms ` +
      `and one that only instantiates an empty Wasm module ${by('deferred script instantiating an empty Wasm module (signup form)')} ms`;
  };
  if (o.pageLoadMs['fiable script tag (signup form)']) {
    L.push(`Page load: \`fiable\` is \`await init()\` from the npm entry, unbundled (its module graph, then the .wasm); the peers are one bundled script. ` +
      `The script tag rows are what a shop adds: \`dist/fiable.js\` on the French signup form (the demo's fields), ready when the widget says so (\`fiable:ready\`). ` +
      `Loaded again and again in one renderer process (V8 keeps the compiled scripts and the compiled Wasm module): ${over(o.pageLoadMs)}. ` +
      (o.pageLoadNewProcessMs ? `Each load in a new renderer process (a first visit: everything compiled anew): ${over(o.pageLoadNewProcessMs)}.` : ''), '');
  }

  L.push('### Where fiable\'s time goes (diagnostic, same run)', '', '| benchmark | variant | median ns per call |', '| --- | --- | ---: |');
  for (const [bm, sides] of Object.entries(o.timings)) {
    for (const [k, st] of Object.entries(sides)) if (k === 'fiable' || k.includes('diagnostic')) L.push(`| ${bm} | ${k} | ${f1(st.median)} |`);
  }
  L.push('', '"raw export" calls the wasm-bindgen export `check` directly (kind and locale as cached indices, the country as two char codes, the value as a string; the verdict record string out): the difference to `fiable` is the JS wrapper (option checks, date, decoding the record into an object).', '');
  L.push('## Sizes', '', '| what | raw | gzip | brotli |', '| --- | ---: | ---: | ---: |');
  for (const [k, s] of Object.entries(o.sizes)) L.push(`| ${k} | ${kb(s.raw)} | ${kb(s.gzip)} | ${kb(s.brotli)} |`);
  L.push('', 'fiable also fetches data chunks lazily (communes, first names) for checks not timed here; they are not counted.', '');

  const a = o.agreement;
  const pct = (x, n) => `${x} / ${n} (${((100 * x) / n).toFixed(2)} %)`;
  L.push('## Agreement on the same corpus', '');
  const p = a.phone;
  L.push(`- **phone, valid/invalid, fiable vs libphonenumber-js max**: agree on ${pct(p.validAgree, p.n)}; ` +
    `both valid ${p.bothValid}, both invalid ${p.bothInvalid}, only fiable valid ${p.onlyFiable}, only libphonenumber-js valid ${p.onlyLib}.`);
  L.push(`- **phone type** where both say valid: agree on ${pct(p.typeAgree, p.typeCompared)} (libphonenumber-js's FIXED_LINE_OR_MOBILE counts as a disagreement unless fiable says the same).`);
  L.push(`- libphonenumber-js min vs max on valid/invalid: ${pct(p.minValidAgreeWithMax, p.n)}.`);
  const e = a.email;
  L.push('', `- **email typos** (${e.typos} addresses with a mistyped provider domain; fixed = the suggestion is exactly the intended address):`, '');
  L.push('  | side | fixed | wrong fix | no suggestion | suggestion on a correct address (of ' + e.correct + ') |', '  | --- | ---: | ---: | ---: | ---: |');
  for (const [k, s] of Object.entries(e.sides)) L.push(`  | ${k} | ${s.fixed} | ${s.wrongFix} | ${s.missed} | ${s.suggestedOnCorrect} |`);
  L.push('', '  | corpus category | n | fiable valid | fiable warning | fiable invalid | isEmail true |', '  | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const [k, c] of Object.entries(e.byCategory)) L.push(`  | ${k} | ${c.n} | ${c.fiableValid} | ${c.fiableWarning} | ${c.fiableInvalid} | ${c.isEmailTrue} |`);
  const pc = a.postcode;
  L.push('', `- **postcode**, fiable (valid or warning) vs the regex table: agree on ${pct(pc.agree, pc.n)}; only fiable accepts ${pc.onlyFiable}, only the regex accepts ${pc.onlyRegex}. ` +
    `fiable's statuses: ${Object.entries(pc.fiableStatus).map(([k, v]) => `${k} ${v}`).join(', ')} (a French postcode of the right shape that no commune uses is a warning, which the regex cannot see).`);
  L.push('', 'Disagreement samples are in latest.json (`agreement.*.samples`).', '');
  return L.join('\n');
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

// Horizontal bars: per comparison, fiable and the peer scaled to the larger of the two.
export function svg(o) {
  const R = rows(o).filter((r) => !r.what.startsWith('size, raw'));
  const W = 900, left = 330, barW = 400, rowH = 46, top = 56;
  const H = top + R.length * rowH + 30;
  const s = [];
  s.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  s.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  s.push(`<text x="12" y="22" font-size="15" font-weight="bold">fiable vs the JS libraries a form would use instead (${esc(o.date.slice(0, 10))}, one Chromium run)</text>`);
  s.push(`<text x="12" y="40" fill="#555">shorter is better; ratio = peer ÷ fiable (above 1: fiable faster / smaller). Noisy shared 2-core machine.</text>`);
  s.push(`<rect x="${W - 210}" y="8" width="12" height="12" fill="#2b7bb9"/><text x="${W - 193}" y="18">fiable</text>`);
  s.push(`<rect x="${W - 140}" y="8" width="12" height="12" fill="#c9c9c9"/><text x="${W - 123}" y="18">peer</text>`);
  R.forEach((r, i) => {
    const y = top + i * rowH;
    const max = Math.max(r.fiable, r.peer);
    const unit = r.group.startsWith('ns') ? ' ns' : r.group.startsWith('page') ? ' ms' : '';
    const wf = Math.max(1, (barW * r.fiable) / max), wp = Math.max(1, (barW * r.peer) / max);
    if (i % 2 === 0) s.push(`<rect x="0" y="${y - 4}" width="${W}" height="${rowH}" fill="#f6f8fa"/>`);
    s.push(`<text x="12" y="${y + 12}" font-weight="bold">${esc(r.what)}</text>`);
    s.push(`<text x="12" y="${y + 28}" fill="#555">vs ${esc(r.peerName)}</text>`);
    s.push(`<rect x="${left}" y="${y + 2}" width="${wf.toFixed(1)}" height="16" fill="#2b7bb9"/>`);
    s.push(`<text x="${left + wf + 4}" y="${y + 14}" fill="#333">${esc((r.fiableText.split(' / ')[1] ?? r.fiableText) + unit)}</text>`);
    s.push(`<rect x="${left}" y="${y + 20}" width="${wp.toFixed(1)}" height="16" fill="#c9c9c9"/>`);
    s.push(`<text x="${left + wp + 4}" y="${y + 32}" fill="#333">${esc((r.peerText.split(' / ')[1] ?? r.peerText) + unit)}</text>`);
    const good = r.ratio >= 1;
    s.push(`<text x="${W - 12}" y="${y + 24}" text-anchor="end" font-size="15" font-weight="bold" fill="${good ? '#1a7f37' : '#cf222e'}">${rfmt(r.ratio)}</text>`);
  });
  s.push(`<text x="12" y="${H - 10}" fill="#777">time rows: median ns per call (page load: ms); size rows: gzip / brotli bytes of what loads up front.</text>`);
  s.push('</svg>');
  return s.join('\n') + '\n';
}

// `node bench/report.mjs` re-renders latest.md and latest.svg from latest.json (no new measurement).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = new URL('results/', import.meta.url);
  const o = JSON.parse(readFileSync(new URL('latest.json', dir), 'utf8'));
  writeFileSync(new URL('latest.md', dir), markdown(o));
  writeFileSync(new URL('latest.svg', dir), svg(o));
  console.log('bench: re-rendered bench/results/latest.md and latest.svg from latest.json');
}
