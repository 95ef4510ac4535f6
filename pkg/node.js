// fiable for Node: ready on import, every data chunk loaded synchronously
// from the package's own files (no network).
import { readFileSync, readdirSync } from 'node:fs';
import { initSync } from './dist/fiable_wasm.js';
import { setChunkLoader, loadDataSync } from './api.js';

export * from './api.js';
export { checkConfig } from './config.js';

/** The widget needs a page: import it in a browser (or a bundler), not in Node. */
export function attach() {
  throw new TypeError('fiable: attach() needs a browser page; in Node use validate/validateForm');
}

const dist = new URL('./dist/', import.meta.url);
initSync({ module: readFileSync(new URL('fiable_wasm_bg.wasm', dist)) });
const chunk = (name) => readFileSync(new URL(`chunks/${name}.tsv`, dist));
setChunkLoader(chunk);
for (const f of readdirSync(new URL('chunks/', dist))) {
  if (f.endsWith('.tsv')) loadDataSync(f.slice(0, -4), chunk(f.slice(0, -4)));
}

/** Already initialised on import; kept so code can call init() everywhere. */
export function init() {
  return Promise.resolve();
}
