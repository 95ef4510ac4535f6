// The npm package where developers build their sites: for each toolchain
// (Vite, webpack 5, Rollup, Next.js App Router) a small app in this folder
// installs the tarball `npm pack pkg/` makes, builds for production, and its
// output is served as static files and driven in Chromium; Vite and Next.js
// also through their dev servers. Toolchain versions are pinned by each app's
// package-lock.json; `npm ci` runs again only when that file changes.
// Needs `make pkg` first (make test does it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as netServer } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { launch } from '../e2e/browser.mjs';

const here = fileURLToPath(new URL('./', import.meta.url));
const pkgDir = fileURLToPath(new URL('../../pkg/', import.meta.url));

/** Each app: where its own copy of app.js goes, what a production build writes, what to serve. */
const APPS = {
  vite: { src: 'src', serve: 'dist', out: 'dist', dev: (port) => ['vite', '--port', String(port), '--strictPort', '--force'] },
  webpack: { src: 'src', serve: '.', out: 'dist' },
  rollup: { src: 'src', serve: '.', out: 'dist' },
  // localhost, not 127.0.0.1: next dev serves its scripts to its own host name only (allowedDevOrigins).
  next: { src: 'app', serve: 'out', out: 'out', host: 'localhost', dev: (port) => ['next', 'dev', '--hostname', 'localhost', '--port', String(port)] },
};

let tarball;
let browser;

const sh = (cmd, args, cwd, timeout = 600_000) =>
  execFileSync(cmd, args, { cwd, stdio: 'pipe', encoding: 'utf8', timeout, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', CI: '1' } });

before(() => {
  for (const f of readdirSync(here)) if (f.endsWith('.tgz')) rmSync(join(here, f));
  sh('npm', ['pack', pkgDir, '--pack-destination', here, '--silent']);
  tarball = join(here, readdirSync(here).find((f) => f.endsWith('.tgz')));
});
after(async () => {
  await browser?.close();
  if (tarball) rmSync(tarball, { force: true });
});

/** npm ci when the lock file is newer than the install, then the packed fiable on top. */
function install(name) {
  const dir = join(here, name);
  const stamp = join(dir, 'node_modules/.package-lock.json');
  if (!existsSync(stamp) || statSync(stamp).mtimeMs < statSync(join(dir, 'package-lock.json')).mtimeMs) {
    sh('npm', ['ci', '--no-audit', '--no-fund'], dir);
  }
  sh('npm', ['install', '--no-save', '--no-audit', '--no-fund', tarball], dir);
  copyFileSync(join(here, 'app.js'), join(dir, APPS[name].src, 'app.js'));
  return dir;
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json' };

/** A static file server on 127.0.0.1 and a free port; `/x/` serves x/index.html, `/x` also x.html (Next's export). */
async function serveDir(root) {
  const server = createServer((req, res) => {
    let path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (path.endsWith('/')) path += 'index.html';
    const file = normalize(join(root, path));
    if (!file.startsWith(root)) return res.writeHead(403).end();
    const found = [file, `${file}.html`].find((f) => existsSync(f) && statSync(f).isFile());
    if (!found) return res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-type': TYPES[extname(found)] ?? 'application/octet-stream' }).end(readFileSync(found));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() };
}

const freePort = () => new Promise((ok, ko) => {
  const s = netServer().once('error', ko).listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => ok(port));
  });
});

/** Starts a dev server in its own process group; resolves once it answers. */
async function devServer(dir, argv, port, host = '127.0.0.1') {
  const child = spawn(join(dir, 'node_modules/.bin', argv[0]), argv.slice(1), {
    cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const stop = () => {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {}
  };
  process.once('exit', stop);
  const url = `http://${host}:${port}/`;
  const until = Date.now() + 120_000;
  while (!(await fetch(url).then((r) => r.ok, () => false))) {
    if (child.exitCode !== null || Date.now() > until) {
      stop();
      assert.fail(`${argv.join(' ')} did not come up:\n${log}`);
    }
    await new Promise((ok) => setTimeout(ok, 250));
  }
  return { url, stop, log: () => log };
}

/** Drives one app's page: init, validate, a chunk, attach() and its hint, the city combobox. */
async function drive(url) {
  browser ??= await launch();
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  const failed = [];
  page.on('response', (r) => r.status() >= 400 && failed.push(`${r.status()} ${r.url()}`));
  try {
    await page.goto(url);
    await page.waitForFunction(() => {
      const s = JSON.parse(document.getElementById('state')?.textContent || '{}');
      return 'ready' in s || 'error' in s;
    }, null, { timeout: 60_000 }).catch((e) => assert.fail(`${e.message}\n${errors.join('\n')}\n${failed.join('\n')}`));
    const state = JSON.parse(await page.textContent('#state'));
    assert.equal(state.error, undefined, `${state.error}\n${failed.join('\n')}`);
    assert.equal(state.init, true);
    assert.equal(state.suggestion, 'jean.dupont@gmail.com');
    assert.deepEqual(state.communes, ['Bourg-en-Bresse', 'Saint-Denis-lès-Bourg'], 'the communes-01 chunk loaded');
    assert.equal(state.ready, true);
    // attach(): a typo hint with its one-click suggestion, after the field is left.
    await page.fill('[name=email]', 'marie@hotmial.fr');
    await page.focus('[name=postcode]');
    await page.locator('.fiable-suggest').waitFor({ timeout: 10_000 });
    await page.locator('.fiable-suggest').click();
    assert.equal(await page.inputValue('[name=email]'), 'marie@hotmail.fr');
    // A postcode fetches its commune chunk (communes-69 is not loaded yet) and fills the city.
    await page.fill('[name=postcode]', '69001');
    await page.waitForFunction(() => document.querySelector('[name=city]').value === 'Lyon', null, { timeout: 10_000 });
    assert.deepEqual(failed, []);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
}

/** The bytes the production build wrote for fiable (Wasm, data chunks, scripts), raw and gzip. */
function outputSize(dir, out) {
  let files = 0, raw = 0, gzip = 0, js = 0, jsGzip = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(wasm|tsv|js|mjs)$/.test(e.name)) {
        const b = readFileSync(p);
        files++;
        raw += b.length;
        const g = gzipSync(b, { level: 9 }).length;
        gzip += g;
        if (/\.m?js$/.test(e.name)) (js += b.length), (jsGzip += g);
      }
    }
  };
  walk(join(dir, out));
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  return `${files} files, ${kb(raw)} raw / ${kb(gzip)} gzip (scripts ${kb(js)} / ${kb(jsGzip)} gzip)`;
}

for (const name of Object.keys(APPS)) {
  const app = APPS[name];
  test(`${name}: production build from the packed tarball works in Chromium`, { timeout: 900_000 }, async (t) => {
    const dir = install(name);
    const t0 = Date.now();
    sh('npm', ['run', 'build', '--silent'], dir);
    const version = JSON.parse(readFileSync(join(dir, 'node_modules', name === 'webpack' ? 'webpack' : name, 'package.json'), 'utf8')).version;
    t.diagnostic(`${name} ${version}: build ${((Date.now() - t0) / 1000).toFixed(1)} s, output ${outputSize(dir, app.out)}`);
    const server = await serveDir(join(dir, app.serve));
    try {
      await drive(server.url);
    } finally {
      server.close();
    }
  });
  if (app.dev) {
    test(`${name}: dev server works in Chromium`, { timeout: 600_000 }, async () => {
      const dir = join(here, name);
      const port = await freePort();
      const dev = await devServer(dir, app.dev(port), port, app.host);
      try {
        await drive(dev.url);
      } finally {
        dev.stop();
      }
    });
  }
}
