// Shipped size of what a page loads up front, raw / gzip / brotli.
// `--check` fails when it grows past the budget in pkg/size-budget.json:
// a size is deterministic, so unlike a time it can gate CI.
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';

const root = new URL('../../pkg/', import.meta.url);
const dist = new URL('dist/', root);
// The script-tag path: the loader with the widget and the stylesheet in it
// (one classic script, pkg/tools/build-tag.mjs) and the eager Wasm module
// (the full one, dist/fiable_wasm_bg.wasm, comes when a field needs it:
// listed as lazy); its dynamic imports (lookup
// client, comboboxes, consent) load later, only on forms that use them.
// The widget also fetches, at ready, the phone numbering plan of the form's
// own country (the demo form's: France, with the overseas departments that
// share its national plan, in one pack): counted here too.
const plan = ['dist/chunks/phones-fr.tsv'];
const upFront = ['dist/fiable_first_bg.wasm', 'dist/fiable.js', ...plan];
const lazy = readdirSync(dist).filter((f) => f.endsWith('.js') && !upFront.includes(`dist/${f}`) && !['fiable_wasm.js', 'fiable_first.js', 'assets.js'].includes(f));
const gz = (b) => gzipSync(b, { level: 9 }).length;
const br = (b) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const kb = (n) => (n / 1024).toFixed(1).padStart(7);

const total = { raw: 0, gzip: 0, brotli: 0 };
console.log('file                          raw KB  gzip KB  brotli KB');
for (const f of upFront) {
  const b = readFileSync(new URL(f, root));
  const s = { raw: b.length, gzip: gz(b), brotli: br(b) };
  for (const k in total) total[k] += s[k];
  console.log(`${f.padEnd(28)} ${kb(s.raw)}  ${kb(s.gzip)}  ${kb(s.brotli)}`);
}
console.log(`${'up front, total'.padEnd(28)} ${kb(total.raw)}  ${kb(total.gzip)}  ${kb(total.brotli)}`);

// Loaded later, only by the forms that use them: not in the budget, listed so they stay in sight.
{
  const b = readFileSync(new URL('fiable_wasm_bg.wasm', dist));
  console.log(`lazy ${'fiable_wasm_bg.wasm'.padEnd(23)} ${kb(b.length)}  ${kb(gz(b))}  ${kb(br(b))}`);
}
for (const f of lazy) {
  const b = readFileSync(new URL(f, dist));
  console.log(`lazy ${f.padEnd(23)} ${kb(b.length)}  ${kb(gz(b))}  ${kb(br(b))}`);
}

const chunkDir = new URL('chunks/', dist);
if (existsSync(chunkDir)) {
  const chunks = readdirSync(chunkDir).filter((f) => f.endsWith('.tsv'));
  let raw = 0, gzip = 0, biggest = [0, ''];
  for (const f of chunks) {
    const b = readFileSync(new URL(f, chunkDir));
    raw += b.length;
    const g = gz(b);
    gzip += g;
    if (g > biggest[0]) biggest = [g, f];
  }
  console.log(`lazy chunks: ${chunks.length} files, ${kb(raw)} KB raw, ${kb(gzip)} KB gzip; biggest ${biggest[1]} ${kb(biggest[0])} KB gzip`);
}

if (process.argv.includes('--check')) {
  const budget = JSON.parse(readFileSync(new URL('size-budget.json', root), 'utf8'));
  if (total.gzip > budget.upFrontGzipBytes) {
    console.error(`size budget exceeded: ${total.gzip} B gzip up front > ${budget.upFrontGzipBytes} B (pkg/size-budget.json)`);
    process.exit(1);
  }
  console.log(`size budget ok: ${total.gzip} B gzip up front <= ${budget.upFrontGzipBytes} B`);
}
