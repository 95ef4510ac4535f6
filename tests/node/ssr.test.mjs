// Server-side rendering: importing fiable where there is no page (Node, a
// Next.js server component, Vite SSR) touches no document, window or fetch
// at import time, and attach() there throws an error that says why. Each
// entry is imported in a child process whose document/window/fetch throw
// when read, so that a touch at import fails loudly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

const pkg = new URL('../../pkg/', import.meta.url).href;

function importWithoutPage(entry) {
  const probe = `
    const touched = [];
    for (const name of ['document', 'window', 'fetch', 'navigator', 'location', 'localStorage']) {
      Object.defineProperty(globalThis, name, { configurable: true, get() { touched.push(name); throw new Error(name + ' read at import'); } });
    }
    const m = await import(${JSON.stringify(pkg + entry)});
    let error = null;
    for (const name of ['document', 'window']) delete globalThis[name];
    try { m.attach('#f', { fields: {} }); } catch (e) { error = e.constructor.name + ': ' + e.message; }
    console.log(JSON.stringify({ touched, error, exports: Object.keys(m).sort() }));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' }));
}

for (const entry of ['index.js', 'node.js']) {
  test(`${entry}: import touches no page global, attach() on the server says why it cannot`, () => {
    const r = importWithoutPage(entry);
    assert.deepEqual(r.touched, []);
    assert.ok(r.exports.includes('validate') && r.exports.includes('attach') && r.exports.includes('init'), r.exports.join());
    assert.match(r.error, /^TypeError: fiable: attach\(\) needs a browser page/);
  });
}
