// fiable for Node: ready on import, every data chunk loaded synchronously
// from the package's own files (no network).
import { readFileSync } from 'node:fs';
import * as full from './dist/fiable_wasm.js';
// Literal file URLs, so a server bundle (Next.js, Vite SSR) that inlines this
// package emits the files too; readFileSync takes the file: URLs it rewrites.
import { wasm, chunks } from './dist/assets.js';
import { setChunkLoader, loadDataSync, useWasm } from './api.js';

export * from './api.js';
export { checkConfig } from './config.js';

/** The widget needs a page: import it in a browser (or a bundler), not in Node. */
export function attach() {
  throw new TypeError('fiable: attach() needs a browser page; in Node use validate/validateForm');
}

// A server bundle that moves the files instead (Next.js rewrites each URL to
// /_next/static/…, which is no file here) leaves nothing to read: the import
// still succeeds, so a page that imports fiable renders, and init() says why
// the checks are not there. The checks then run in the browser.
const onDisk = (/** @type {unknown} */ u) => u instanceof URL && u.protocol === 'file:';
const unreadable = onDisk(wasm) ? null
  : new Error('fiable: this server bundle moved the package files (the checks run in the browser); to check on the server, keep fiable external, e.g. serverExternalPackages: [\'fiable\'] in next.config');
if (!unreadable) {
  full.initSync({ module: readFileSync(wasm) });
  useWasm(full);
  const chunk = (name) => {
    if (!Object.hasOwn(chunks, name)) throw new Error(`fiable: no data chunk ${name}`);
    return readFileSync(chunks[name]);
  };
  setChunkLoader(chunk);
  for (const name of Object.keys(chunks)) loadDataSync(name, chunk(name));
}

/** Already initialised on import; kept so code can call init() everywhere. */
export function init() {
  return unreadable ? Promise.reject(unreadable) : Promise.resolve();
}
