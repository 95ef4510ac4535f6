// A tiny static server for the benchmark pages on 127.0.0.1: bench/ at /,
// pkg/ at /pkg/. application/wasm for .wasm (streaming compile), no caching
// (every page load is cold), and cross-origin isolation so that
// performance.now() keeps its finer resolution.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const bench = fileURLToPath(new URL('./', import.meta.url));
const pkg = fileURLToPath(new URL('../pkg/', import.meta.url));
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json', '.wasm': 'application/wasm', '.tsv': 'text/tab-separated-values; charset=utf-8',
};

export async function serve(port = 0) {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const [base, rel] = path.startsWith('/pkg/') ? [pkg, path.slice(5)] : [bench, path.slice(1) || 'page/bench.html'];
    const file = normalize(join(base, rel));
    if (!file.startsWith(base) || file.includes('node_modules')) return res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-store',
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
      }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((ok) => server.listen(port, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { url } = await serve(Number(process.env.PORT ?? 8788));
  console.log(`bench pages on ${url}/ (Ctrl-C to stop)`);
}
