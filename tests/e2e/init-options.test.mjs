// init()'s options, for toolchains that do not emit the package's files:
// the Wasm and each chunk from where the page says (here the /cdn/ copy of
// serve.mjs), and dist/assets.js (the bundler path) then never loaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { servedBrowser, pageErrors } from './harness.mjs';

const ctx = servedBrowser();

async function run(options) {
  const page = await ctx.browser.newPage();
  const errors = pageErrors(page);
  const requests = [];
  page.on('request', (r) => requests.push(new URL(r.url()).pathname));
  await page.goto(`${ctx.server.url}/t/favicon.svg`);
  const got = await page.evaluate(async (o) => {
    const m = await import('/pkg/index.js');
    const asked = [];
    const chunks = o.chunks === 'function' ? (name) => (asked.push(name), `/cdn/fiable@0/dist/chunks/${name}.tsv`) : o.chunks;
    await m.init({ ...o, chunks });
    const v = await m.validateAsync('postcode', '01000', { country: 'FR' });
    // The page has no lang: English, whose texts (not in the Wasm) init() fetched.
    const message = m.validate('email', '', { required: true }).message;
    return { asked, cities: v.details.cities, message };
  }, options);
  await page.close();
  return { ...got, requests, errors };
}

test('init_wasm_and_chunks_function', async () => {
  const r = await run({ wasm: '/cdn/fiable@0/dist/fiable_wasm_bg.wasm', chunks: 'function' });
  assert.deepEqual(r.cities, ['Bourg-en-Bresse', 'Saint-Denis-lès-Bourg']);
  assert.deepEqual(r.asked, ['text-en', 'communes-01']);
  assert.equal(r.message, 'This field is required.');
  assert.ok(r.requests.includes('/cdn/fiable@0/dist/fiable_wasm_bg.wasm'), r.requests.join('\n'));
  assert.ok(r.requests.includes('/cdn/fiable@0/dist/chunks/communes-01.tsv'));
  assert.ok(!r.requests.some((p) => p.endsWith('/assets.js') || p.startsWith('/pkg/dist/chunks/')), r.requests.join('\n'));
  assert.deepEqual(r.errors, []);
});

test('init_assets_base', async () => {
  const r = await run({ assetsBase: '/cdn/fiable@0/dist/' });
  assert.deepEqual(r.cities, ['Bourg-en-Bresse', 'Saint-Denis-lès-Bourg']);
  assert.ok(r.requests.includes('/cdn/fiable@0/dist/fiable_wasm_bg.wasm'), r.requests.join('\n'));
  assert.ok(r.requests.includes('/cdn/fiable@0/dist/chunks/communes-01.tsv'));
  assert.ok(!r.requests.some((p) => p.endsWith('/assets.js')));
  assert.deepEqual(r.errors, []);
});

test('init_without_options_loads_the_literal_urls_of_dist_assets_js', async () => {
  const r = await run({});
  assert.deepEqual(r.cities, ['Bourg-en-Bresse', 'Saint-Denis-lès-Bourg']);
  assert.ok(r.requests.includes('/pkg/dist/assets.js'));
  assert.ok(r.requests.includes('/pkg/dist/fiable_wasm_bg.wasm'));
  assert.ok(r.requests.includes('/pkg/dist/chunks/communes-01.tsv'));
  assert.deepEqual(r.errors, []);
});
