// init() of the browser entry: loads the Wasm once and tells api.js where
// the data chunks are. Its own module so that index.js (which re-exports the
// widget) and widget.js (which waits for it) import it without a cycle.
// The eager module's exports, named: a namespace object (import *) passed
// around would keep every export of the glue and a helper to build it.
import initFirst, {
  check, checkFormRaw, chunksFor, citiesRaw, fieldCountry, formatPhone, hint, kindIndex, loadChunk, localeIndex, remoteVerdict, version,
} from './dist/fiable_first.js';
import { setChunkLoader, loadData, textChunks, useWasm } from './api.js';

/**
 * @typedef {object} InitOptions
 * @property {string | URL | Response | BufferSource | WebAssembly.Module} [wasm] The .wasm file's URL, its bytes, or a compiled module.
 * @property {(name: string) => string | URL | Promise<string | URL>} [chunks] The URL of a data chunk by name ("communes-75").
 * @property {string | URL} [assetsBase] A folder holding a copy of dist/ (fiable_wasm_bg.wasm, chunks/*.tsv).
 */

/** @type {Promise<void> | null} */
let ready = null;
/** @type {string | undefined} */
let tagBase;

/** @internal The script tag's URL: its folder is where init() finds the files when not told. Loads nothing.
 * @param {string | undefined} src */
export function assetsBeside(src) {
  tagBase = src;
}

/** @internal A file beside the script tag as an absolute URL: the tag's build
 * (pkg/tools/build-tag.mjs) imports its parts through it, since a classic
 * script served from another origin resolves a relative import() against
 * about:blank. @param {string} path */
export const besideTag = (path) => (tagBase ? new URL(path, tagBase).href : path);

/**
 * Loads and instantiates the Wasm module (streaming where the server sends
 * application/wasm), then the texts of the page's language (`<html lang>`,
 * else English) unless French, the Wasm's own. Without options the files
 * come from dist/ next to this module, through dist/assets.js, whose
 * literal URLs bundlers see and emit.
 * Options say where they are instead.
 * @param {InitOptions} [options]
 * @returns {Promise<void>}
 */
export function init(options) {
  if (ready) return ready;
  const o = options ?? {};
  const where = o.assetsBase ?? tagBase;
  // A base URL that names a file (the tag's dist/fiable.js) resolves in its folder.
  const base = where && new URL(where, location.href);
  /** @type {Promise<typeof import('./dist/assets.js')> | undefined} */
  let listed;
  // Imported only when needed, so the script tag (which passes its folder) never loads it.
  const assets = () => (listed ??= import('./dist/assets.js'));
  setChunkLoader(async (name) => {
    const at = o.chunks ? await o.chunks(name)
      : base ? new URL(`chunks/${name}.tsv`, base)
      : (await assets()).chunks[name];
    const res = await fetch(at);
    if (!res.ok) throw new Error(`fiable: data chunk ${name}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  });
  // The full module (every kind): its glue a lazily loaded file of its own.
  const full = async () => {
    const m = await import('./dist/fiable_wasm.js');
    await m.default({ module_or_path: o.wasm ?? (base ? new URL('fiable_wasm_bg.wasm', base) : (await assets()).wasm) });
    return m;
  };
  return (ready = (async () => {
    // The script tag (its folder given, no options) starts with the eager
    // module, the kinds a signup form's first keystrokes need: the full one
    // comes when a check asks for it (chunksFor's FULL_MODULE), so that what
    // the page loads up front stays small. init() called by a developer
    // loads the full one: validate() of every kind is synchronous after it.
    if (tagBase && !options) {
      await initFirst({ module_or_path: new URL('fiable_first_bg.wasm', base) });
      useWasm({ check, checkFormRaw, chunksFor, citiesRaw, fieldCountry, formatPhone, hint, kindIndex, loadChunk, localeIndex, remoteVerdict, version }, full);
    } else {
      useWasm(await full());
    }
    // The page's own texts, when they are not French (the Wasm's): English
    // comes as the chunk text-en. Without it a message is in French, not
    // missing: a failed fetch does not fail init().
    await loadData(textChunks()).catch(() => {});
  })());
}
