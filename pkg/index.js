// fiable for browsers and bundlers: `await init()` once, then call the checks.
import wasmInit from './dist/fiable_wasm.js';
import { dist } from './dist/base.js';
import { setChunkLoader } from './api.js';

export * from './api.js';
export { attach } from './widget.js';
export { checkConfig } from './config.js';

let ready = null;

/**
 * Loads and instantiates the Wasm module (streaming where the server sends
 * application/wasm). `input` may override where the .wasm comes from.
 * Data chunks are fetched from `dist/chunks/` next to this file on first use.
 */
export function init(input) {
  if (!ready) {
    // dist/base.js knows its own folder: right both from these sources and
    // from the minified bundle that `make pkg` writes into dist/.
    const base = dist;
    setChunkLoader(async (name) => {
      const res = await fetch(new URL(`chunks/${name}.tsv`, base));
      if (!res.ok) throw new Error(`fiable: data chunk ${name}: HTTP ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    });
    ready = wasmInit({ module_or_path: input ?? new URL('fiable_wasm_bg.wasm', base) }).then(() => undefined);
  }
  return ready;
}
