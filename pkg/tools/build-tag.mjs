// Builds the script-tag path (`make pkg`): dist/fiable.js, one classic script
// holding the loader and the widget, and beside it one ES module per part a
// form loads only when it needs it (city combobox, lookup client, consent).
//
// Why one file: with the widget in a file of its own (dist/widget.js, which
// the loader imported next to its Wasm preload), the page evaluated the
// widget after the Wasm had come, then compiled the Wasm: 12-13 ms median
// from the Wasm's arrival to `fiable:ready`, 7 ms as one file, where the
// widget is evaluated and attached while the Wasm downloads (bench/run.mjs
// pages, interleaved, a loaded 2-core machine). One request and 285 B gzip
// fewer.
// A page whose form is elsewhere still fetches no Wasm: init() runs only
// when a form is attached.
//
// The parts stay ES modules with content-hashed names (lookup/src/assets.rs
// caches those for a year); the tag imports them by those names, beside its
// own URL, wherever the tag is served from.
import { build, transform } from 'esbuild';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = fileURLToPath(new URL('../', import.meta.url));
const dist = `${pkg}dist`;
const common = { bundle: true, minify: true, target: 'es2020', logLevel: 'warning', absWorkingDir: pkg };

// The parts, and the chunks they share (net.js, the combobox for lookup.js).
const parts = ['combobox.js', 'lookup.js', 'consent.js'];
const { metafile } = await build({
  ...common, entryPoints: parts, splitting: true, format: 'esm', outdir: dist, legalComments: 'none',
  entryNames: '[name]-[hash]', chunkNames: '[name]-[hash]', metafile: true,
});
/** @type {Map<string, string>} */
const hashed = new Map();
for (const [out, o] of Object.entries(metafile.outputs)) {
  if (o.entryPoint && parts.includes(o.entryPoint)) hashed.set(o.entryPoint, `./${relative('dist', out)}`);
}

// parts.js as the tag runs it: each part by its hashed name, beside the
// script (init.js besideTag: a relative import() from a classic script of
// another origin resolves against about:blank and fails).
const partsJs = readFileSync(`${pkg}parts.js`, 'utf8').replace(/\bimport\('\.\/(\w+\.js)'\)\.then/g, (all, name) => {
  const to = hashed.get(name);
  if (!to) throw new Error(`build-tag: parts.js imports ${name}, which is not built as a part`);
  hashed.delete(name);
  return `import(besideTag(${JSON.stringify(to)})).then`;
});
if (hashed.size) throw new Error(`build-tag: parts.js no longer imports ${[...hashed.keys()].join(', ')}`);

// The widget's stylesheet, minified, carried by the tag (script-tag.js adopts
// it as a constructed sheet): one request fewer on the way to ready.
const css = (await transform(readFileSync(`${pkg}fiable.css`, 'utf8'), { loader: 'css', minify: true })).code.trim();

// A classic script. Not esbuild's iife format: for the import()s it leaves
// alone, that adds its require and ES-module interop helpers (unused, 290 B
// gzip); the same bundle as ES module code (no import or export left in it)
// in a strict function scope is the script we want.
await build({
  ...common, entryPoints: ['script-tag.js'], format: 'esm', outfile: `${dist}/fiable.js`, legalComments: 'inline',
  // V8's explicit compile hint (Chrome 136+; a comment elsewhere): every
  // function compiled on the streaming thread while the file downloads, not
  // lazily on the main thread when first called, as nearly all of this file
  // is called before ready. Loaded in a new renderer process (a first visit):
  // ready 8-10 ms sooner (A/B, medians of 30-40 loads, three runs). Loaded
  // again in a process that ran it before, where V8 holds its compiled code:
  // 3-4 ms later, the deferred script waiting for the eager compile.
  banner: { js: '//# allFunctionsCalledOnLoad\n"use strict";(()=>{' }, footer: { js: '})();' },
  // The glue's default Wasm URL (never used: init() passes the tag's folder) is not valid in a classic script.
  define: { 'import.meta.url': 'undefined', FIABLE_CSS: JSON.stringify(css) },
  plugins: [{
    name: 'parts',
    setup(b) {
      b.onLoad({ filter: /[\\/]parts\.js$/ }, () => ({ contents: `import { besideTag } from './init.js';\n${partsJs}`, loader: 'js' }));
      // The full Wasm module's glue stays a module of its own beside the tag
      // (bundled in, it would be 2 KB gzip up front for a module the tag
      // fetches only when a field needs it).
      b.onLoad({ filter: /[\\/]init\.js$/ }, () => {
        const src = readFileSync(`${pkg}init.js`, 'utf8');
        const out = src.replace("import('./dist/fiable_wasm.js')", "import(besideTag('./fiable_wasm.js'))");
        if (out === src) throw new Error('build-tag: init.js no longer imports ./dist/fiable_wasm.js');
        return { contents: out, loader: 'js', resolveDir: pkg };
      });
      // dist/assets.js names files for bundlers; the tag passes its own folder instead and never imports it.
      b.onResolve({ filter: /^\.\/dist\/assets\.js$/ }, (a) => (a.kind === 'dynamic-import' ? { path: './assets.js', external: true } : undefined));
    },
  }],
});
