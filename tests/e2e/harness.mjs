// Shared setup of the browser tests: a static server and Debian's Chromium
// for the whole file, and the page errors a test asserts to be none.
import { before, after } from 'node:test';
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
