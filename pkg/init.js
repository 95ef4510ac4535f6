// init() of the browser entry: loads the Wasm once and tells api.js where
// the data chunks are. Its own module so that index.js (which re-exports the
// widget) and widget.js (which waits for it) import it without a cycle.
import wasmInit from './dist/fiable_wasm.js';
import { dist } from './dist/base.js';
import { setChunkLoader } from './api.js';

/** @type {Promise<void> | null} */
let ready = null;

/**
 * Loads and instantiates the Wasm module (streaming where the server sends
 * application/wasm). `input` may override where the .wasm comes from.
 * Data chunks are fetched from `dist/chunks/` next to this file on first use.
 * @param {string | URL | Request | Response | BufferSource | WebAssembly.Module} [input]
 * @returns {Promise<void>}
 */
export function init(input) {
  if (ready) return ready;
  // dist/base.js knows its own folder: right both from these sources and
  // from the minified bundle that `make pkg` writes into dist/.
  const base = dist;
  setChunkLoader(async (name) => {
    const res = await fetch(new URL(`chunks/${name}.tsv`, base));
    if (!res.ok) throw new Error(`fiable: data chunk ${name}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  });
  return (ready = wasmInit({ module_or_path: input ?? new URL('fiable_wasm_bg.wasm', base) }).then(() => undefined));
}
