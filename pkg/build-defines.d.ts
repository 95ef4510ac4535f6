/** pkg/fiable.css, minified: put into dist/fiable.js by pkg/tools/build-tag.mjs (esbuild `define`). */
declare const FIABLE_CSS: string;
