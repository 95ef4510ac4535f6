// Shared setup of the browser tests: a static server and Debian's Chromium
// for the whole file, the page errors a test asserts to be none, and the
// real lookup service for the tests that need one.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { serve } from './serve.mjs';
import { launch } from './browser.mjs';

/** Starts the server and the browser before the file's tests, stops them after; fields are set in `before`. */
export function servedBrowser() {
  const ctx = { server: null, browser: null };
  before(async () => {
    ctx.server = await serve();
    ctx.browser = await launch();
  });
  after(async () => {
    await ctx.browser?.close();
    ctx.server?.close();
  });
  return ctx;
}

/** Collects uncaught exceptions and console errors of a page. */
export function pageErrors(page) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  return errors;
}

/**
 * Holds back a page's requests for `url` (a glob) until `release()`, as a
 * slow network would; `asked` resolves when the page first asks for it.
 */
export async function holdBack(page, url) {
  let release = () => {};
  let ask = () => {};
  const released = new Promise((r) => (release = r));
  const asked = new Promise((r) => (ask = r));
  await page.route(url, async (route) => {
    ask();
    await released;
    await route.continue();
  });
  return { asked, release };
}

/**
 * Bundles a framework app of tests/e2e/pages/ into pages/dist/ with esbuild
 * (a file, no inline script: the strict CSP of serve.mjs holds). The package
 * stays external, as served, so its .wasm resolves next to it.
 */
export function bundleApp(entry, options) {
  const pages = new URL('./pages/', import.meta.url);
  return build({
    entryPoints: [fileURLToPath(new URL(entry, pages))],
    outfile: fileURLToPath(new URL(`dist/${entry.replace(/\.jsx?$/, '.js')}`, pages)),
    bundle: true, format: 'esm', logLevel: 'warning', external: ['/pkg/*'],
    ...options,
  });
}

/** Opens a framework app's page and waits for fiable on its form `#f`. */
export async function openApp(ctx, url) {
  const page = await ctx.browser.newPage({ viewport: { width: 800, height: 900 } });
  const errors = pageErrors(page);
  await page.goto(url);
  await page.waitForSelector('#f.fiable-ready', { timeout: 15000 });
  return { page, errors };
}

/** What the app holds (it renders its state as JSON into #state). */
export const appState = async (page) => JSON.parse(await page.textContent('#state'));
export const waitAppState = (page, key, value) =>
  page.waitForFunction(([k, v]) => JSON.parse(document.getElementById('state').textContent)[k] === v, [key, value]);

/**
 * The real lookup service (`fiable-lookup serve`, built by `make test`) on
 * 127.0.0.1 and a free port, serving the package at /pkg and `www` at /;
 * `extra` are more flags. Resolves to { url, stop }.
 */
export async function lookupService(www, extra = []) {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const bin = resolve(root, process.env.CARGO_TARGET_DIR ?? 'target', 'release/fiable-lookup');
  assert.ok(existsSync(bin), `${bin} is missing: build it with cargo build --release -p fiable-lookup (make test does)`);
  const port = await new Promise((ok, ko) => {
    const s = createServer().once('error', ko).listen(0, '127.0.0.1', () => {
      const { port: p } = s.address();
      s.close(() => ok(p));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(bin, ['serve', '--bind', `127.0.0.1:${port}`, '--www', www, ...extra], { cwd: root, stdio: 'ignore' });
  const exited = new Promise((ok) => child.once('exit', ok));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await exited;
  };
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) assert.fail(`fiable-lookup serve exited with ${child.exitCode}`);
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) break;
    if (i >= 300) {
      await stop();
      assert.fail('fiable-lookup serve did not come up');
    }
    await new Promise((ok) => setTimeout(ok, 100));
  }
  return { url, stop };
}
