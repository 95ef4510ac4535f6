// A static file server for browser tests: www/ at /, pkg/ at /pkg/ (and
// again at /cdn/fiable@0/, a deeper path such as a CDN's), the test pages of
// tests/e2e/pages/ at /t/, on 127.0.0.1 and a free port. Every HTML page is
// sent with a strict Content-Security-Policy header, the one fiable promises
// to work under. Stops with the test process.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.wasm': 'application/wasm',
  '.tsv': 'text/tab-separated-values; charset=utf-8', '.png': 'image/png', '.svg': 'image/svg+xml',
};

export const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'";
const CDN = '/cdn/fiable@0/';

/** The static files (and the empty /v1/ answers) of serve(), for a test server that adds routes of its own. */
export async function staticFiles(req, res) {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  if (path === '/favicon.ico') return res.writeHead(204).end(); // no 404 noise in the console
  // No lookup service here (tests/e2e/lookup.test.mjs runs the real one): an empty
  // answer, which the widget takes as "no answer" (local verdicts), without the 404 noise.
  if (path.startsWith('/v1/')) return res.writeHead(204).end();
  const [base, rel] = path.startsWith('/pkg/') ? ['pkg', path.slice(5)]
    : path.startsWith(CDN) ? ['pkg', path.slice(CDN.length)]
    : path.startsWith('/t/') ? ['tests/e2e/pages', path.slice(3)]
    : ['www', path.slice(1) || 'index.html'];
  const file = normalize(join(root, base, rel));
  if (!file.startsWith(join(root, base))) return res.writeHead(403).end();
  try {
    const body = await readFile(file);
    const headers = { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' };
    if (extname(file) === '.html') headers['content-security-policy'] = CSP;
    res.writeHead(200, headers).end(body);
  } catch {
    res.writeHead(404).end('not found');
  }
}

export async function serve() {
  const server = createServer(staticFiles);
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  server.unref();
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}
