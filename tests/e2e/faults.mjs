// A fault-injecting HTTP proxy for the browser tests: it stands between the
// page and the real lookup service on 127.0.0.1 and forwards everything,
// except requests to the routes given a fault, which it answers badly:
//   slow    holds the request past the widget's timeouts, then gives up (504)
//   500     an internal error, JSON body
//   429     too many requests, with Retry-After
//   badjson 200 with a truncated JSON body
//   close   the connection closed without an answer
// Faults are set and cleared while the page is open; `hits` counts what
// each faulted or watched route received.
import { createServer, request } from 'node:http';

export const FAULTS = ['slow', '500', '429', 'badjson', 'close'];

/** How long `slow` holds a request: beyond the widget's 2.5 s (lookup) and 3 s (consent, match) timeouts. */
const SLOW_MS = 8000;
/** What `429` asks the page to wait. */
export const RETRY_AFTER_S = 2;

/**
 * Starts the proxy in front of `target` (a base URL such as
 * http://127.0.0.1:8787). Resolves to { url, target, fault(prefix, kind),
 * clear(), hits(prefix), close() }; `target` may be changed afterwards.
 */
export async function faultProxy(target) {
  const faults = new Map(); // path prefix → kind
  const counts = new Map(); // path prefix → requests seen
  const held = new Set();
  const proxy = { target, url: '' };

  function faultOf(path) {
    for (const [prefix, kind] of faults) if (path.startsWith(prefix)) return [prefix, kind];
    return null;
  }

  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    for (const prefix of new Set([...faults.keys(), ...counts.keys()])) {
      if (path.startsWith(prefix)) counts.set(prefix, (counts.get(prefix) ?? 0) + 1);
    }
    const f = faultOf(path);
    if (!f) return forward(req, res);
    // The body is read first, as a real server would, then the fault.
    req.resume();
    req.on('end', () => {
      const json = (status, body, headers = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(body);
      };
      switch (f[1]) {
        case 'slow': {
          const t = setTimeout(() => {
            held.delete(t);
            if (!res.writableEnded && !res.destroyed) json(504, '{"error":{"code":"gateway_timeout","message":"upstream too slow"}}');
          }, SLOW_MS);
          held.add(t);
          res.on('close', () => {
            clearTimeout(t);
            held.delete(t);
          });
          break;
        }
        case '500':
          json(500, '{"error":{"code":"internal","message":"injected fault"}}');
          break;
        case '429':
          json(429, '{"error":{"code":"rate_limited","message":"injected fault"}}', { 'retry-after': String(RETRY_AFTER_S) });
          break;
        case 'badjson':
          json(200, '{"status": "inval');
          break;
        case 'close':
          req.socket.destroy();
          break;
        default:
          json(500, `{"error":{"code":"unknown_fault","message":${JSON.stringify(f[1])}}}`);
      }
    });
  });

  function forward(req, res) {
    const to = new URL(req.url, proxy.target);
    const up = request(to, { method: req.method, headers: { ...req.headers, host: to.host } }, (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    });
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end('{"error":{"code":"bad_gateway","message":"the service did not answer"}}');
    });
    req.pipe(up);
  }

  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  proxy.url = `http://127.0.0.1:${server.address().port}`;
  proxy.fault = (prefix, kind) => {
    if (!FAULTS.includes(kind)) throw new Error(`unknown fault ${kind}`);
    faults.set(prefix, kind);
    counts.set(prefix, counts.get(prefix) ?? 0);
  };
  proxy.clear = () => faults.clear();
  proxy.resetHits = () => counts.clear();
  proxy.watch = (prefix) => counts.set(prefix, counts.get(prefix) ?? 0);
  proxy.hits = (prefix) => counts.get(prefix) ?? 0;
  proxy.close = () => new Promise((ok) => {
    for (const t of held) clearTimeout(t);
    server.closeAllConnections?.();
    server.close(() => ok());
  });
  return proxy;
}

/**
 * A real dnsmasq on 127.0.0.1 and a free UDP port with these records
 * (`--address=/#/` alone: NXDOMAIN for every name, the lying resolver).
 * Resolves to { port, stop }. dnsmasq is required (apt-get install dnsmasq,
 * or set FIABLE_DNSMASQ).
 */
export async function dnsmasq(records) {
  const { spawn } = await import('node:child_process');
  const { existsSync } = await import('node:fs');
  const { createSocket } = await import('node:dgram');
  const bin = process.env.FIABLE_DNSMASQ ?? (existsSync('/usr/sbin/dnsmasq') ? '/usr/sbin/dnsmasq' : 'dnsmasq');
  const freeUdpPort = () => new Promise((ok) => {
    const s = createSocket('udp4').bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
  // Any answer to an A query for probe.invalid says dnsmasq is up.
  const probe = (port) => new Promise((ok) => {
    const q = Buffer.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, ...Buffer.from('probe'), 7, ...Buffer.from('invalid'), 0, 0, 1, 0, 1]);
    const s = createSocket('udp4');
    const done = (v) => { clearTimeout(t); s.close(); ok(v); };
    const t = setTimeout(() => done(false), 200);
    s.once('message', () => done(true));
    s.send(q, port, '127.0.0.1');
  });
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freeUdpPort();
    const child = spawn(bin, ['--no-daemon', '--conf-file=/dev/null', `--port=${port}`, '--listen-address=127.0.0.1', '--bind-interfaces',
      '--no-resolv', '--no-hosts', '--pid-file', '--log-facility=-', '--local-ttl=60', ...records], { stdio: 'ignore' });
    child.on('error', () => {});
    const exited = new Promise((ok) => child.once('exit', ok));
    const stop = async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    };
    for (let i = 0; i < 50 && child.exitCode === null; i++) if (await probe(port)) return { port, stop };
    await stop();
  }
  throw new Error(`dnsmasq (${bin}) would not start: the fault tests need it (apt-get install dnsmasq, or set FIABLE_DNSMASQ)`);
}
