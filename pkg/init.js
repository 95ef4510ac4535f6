// init() of the browser entry: loads the Wasm once and tells api.js where
// the data chunks are. Its own module so that index.js (which re-exports the
// widget) and widget.js (which waits for it) import it without a cycle.
import wasmInit from './dist/fiable_wasm.js';
import { setChunkLoader } from './api.js';

/** @typedef {string | URL | Response | BufferSource | WebAssembly.Module} WasmSource */
/** @typedef {string | URL | Uint8Array} ChunkSource */
/**
 * @typedef {object} InitOptions
 * @property {WasmSource} [wasm] Where the .wasm comes from (or its bytes, or a compiled module).
 * @property {Record<string, string | URL> | ((name: string) => ChunkSource | Promise<ChunkSource>)} [chunks]
 *   Each data chunk by name ("communes-75"): its URL, or a function giving its URL or bytes.
 * @property {string | URL} [assetsBase] A folder holding a copy of dist/ (fiable_wasm_bg.wasm, chunks/*.tsv).
 */

/** @type {Promise<void> | null} */
let ready = null;

/** @template T @param {Record<string, T>} map @param {string} key */
const own = (map, key) => (Object.hasOwn(map, key) ? map[key] : undefined);

/**
 * Loads and instantiates the Wasm module (streaming where the server sends
 * application/wasm). Without options the files come from dist/ next to this
 * module, through dist/assets.js, whose literal URLs bundlers see and emit.
 * Options (or a bare Wasm source, as before) say where they are instead.
 * @param {InitOptions | WasmSource} [options]
 * @returns {Promise<void>}
 */
export function init(options) {
  if (ready) return ready;
  // A plain object is options; anything else (URL, Response, bytes, Module) is the Wasm.
  /** @type {InitOptions} */
  const o = options && Object.getPrototypeOf(options) === Object.prototype ? /** @type {InitOptions} */ (options) : { wasm: /** @type {WasmSource} */ (options) };
  const base = o.assetsBase == null ? null : new URL(String(o.assetsBase), globalThis.location?.href);
  /** @type {Promise<typeof import('./dist/assets.js')> | null} */
  let listed = null;
  // Imported only when needed, so the script tag (which passes its folder) never loads it.
  const assets = () => (listed ??= import('./dist/assets.js'));
  setChunkLoader(async (name) => {
    const at = typeof o.chunks === 'function' ? await o.chunks(name)
      : o.chunks ? own(o.chunks, name)
      : base ? new URL(`chunks/${name}.tsv`, base)
      : own((await assets()).chunks, name);
    if (at instanceof Uint8Array) return at;
    if (at == null) throw new Error(`fiable: no URL for data chunk ${name}`);
    const res = await fetch(at);
    if (!res.ok) throw new Error(`fiable: data chunk ${name}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  });
  const wasm = o.wasm != null ? Promise.resolve(o.wasm)
    : base ? Promise.resolve(new URL('fiable_wasm_bg.wasm', base))
    : assets().then((a) => a.wasm);
  return (ready = wasm.then((w) => wasmInit({ module_or_path: w })).then(() => undefined));
}
