// Nothing fiable-specific: webpack 5 emits each `new URL('./…', import.meta.url)`
// of the package as an asset on its own.
export default {
  entry: './src/main.js',
  output: { path: new URL('./dist/', import.meta.url).pathname, filename: 'main.js', clean: true },
};
