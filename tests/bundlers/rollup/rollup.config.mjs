// Rollup leaves `new URL('./…', import.meta.url)` as it is and copies no
// file by itself: importMetaAssets emits each one (the Wasm, the data
// chunks) and rewrites its URL. node-resolve finds `fiable` in node_modules.
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { importMetaAssets } from '@web/rollup-plugin-import-meta-assets';

export default {
  input: 'src/main.js',
  output: { dir: 'dist', format: 'es' },
  plugins: [nodeResolve({ browser: true }), importMetaAssets()],
};
