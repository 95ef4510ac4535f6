// A shop whose page is on one origin and whose fiable service is on another:
// the script tag points at the real lookup service (`fiable-lookup serve`,
// another port), whose /pkg files must be readable from anywhere (CORS on
// the script's import() of a part and the Wasm fetch) and arrive compressed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { launch } from './browser.mjs';
import { lookupService, pageErrors } from './harness.mjs';

let service, shop, browser;

const page = (lookup) => `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>a shop on another origin</title>
  <script src="${lookup}/pkg/dist/fiable.js" defer data-form="#f" data-config='{ "locale": "en", "country": "FR",
    "fields": { "email": { "selector": "#email", "type": "email" }, "phone": { "selector": "#phone", "type": "phone" },
      "city": { "selector": "#city", "type": "city" } } }'></script>
</head>
<body>
  <form id="f" novalidate>
    <label>Email <input id="email" name="email"></label>
    <label>Phone <input id="phone" name="phone" type="tel"></label>
    <label>City <input id="city" name="city"></label>
    <button type="submit">OK</button>
  </form>
</body>
</html>
`;

before(async () => {
  service = await lookupService(fileURLToPath(new URL('../../www', import.meta.url)));
  shop = createServer((req, res) => {
    if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(service.url));
    else res.writeHead(204).end();
  });
  await new Promise((ok) => shop.listen(0, '127.0.0.1', ok));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  shop?.close();
  await service?.stop();
});

test('the_script_tag_works_from_another_origin_with_compressed_cacheable_files', async () => {
  const shopUrl = `http://127.0.0.1:${shop.address().port}/`;
  assert.notEqual(new URL(shopUrl).origin, new URL(service.url).origin);
  const tab = await browser.newPage();
  const errors = pageErrors(tab);
  const responses = new Map();
  tab.on('response', (r) => responses.set(new URL(r.url()).pathname, r));
  await tab.goto(shopUrl);
  await tab.waitForSelector('#f.fiable-ready', { timeout: 15000 });
  // The Wasm runs: the phone is formatted as typed.
  await tab.locator('#phone').pressSequentially('0612');
  assert.equal(await tab.inputValue('#phone'), '06 12');
  assert.deepEqual(errors, []);

  // The tag's Wasm is the eager module (its form's kinds are all in it).
  for (const path of ['/pkg/dist/fiable.js', '/pkg/dist/fiable_first_bg.wasm']) {
    const r = responses.get(path);
    assert.ok(r, `${path} was not loaded: ${[...responses.keys()].join(', ')}`);
    assert.equal(new URL(r.url()).origin, service.url);
    const h = await r.allHeaders();
    assert.equal(h['access-control-allow-origin'], '*', path);
    assert.equal(h['cross-origin-resource-policy'], 'cross-origin', path);
    assert.equal(h['content-encoding'], 'br', `${path}: Chromium accepts br, the build wrote .br`);
    assert.equal(h['cache-control'], 'no-cache', path);
  }
  assert.equal((await responses.get('/pkg/dist/fiable_first_bg.wasm').allHeaders())['content-type'], 'application/wasm');
  // A part (the city combobox, asked for once the page is idle): the classic
  // script's import() resolves beside the script, on the service's origin.
  await tab.waitForFunction(() => document.querySelector('#city')?.getAttribute('role') === 'combobox', null, { timeout: 15000 });
  const part = [...responses.keys()].find((p) => /^\/pkg\/dist\/combobox-[A-Z2-7]{8}\.js$/.test(p));
  assert.ok(part, [...responses.keys()].join(', '));
  assert.equal(new URL(responses.get(part).url()).origin, service.url);
  // A field of a kind the eager module leaves out (the city): the full
  // module's glue and Wasm come from beside the tag too, and its check runs.
  await tab.locator('#city').pressSequentially('1234');
  await tab.locator('#email').click();
  await tab.waitForFunction(() => document.querySelector('#city')?.classList.contains('fiable-invalid'), null, { timeout: 15000 });
  for (const path of ['/pkg/dist/fiable_wasm.js', '/pkg/dist/fiable_wasm_bg.wasm']) {
    const r = responses.get(path);
    assert.ok(r, `${path} was not loaded: ${[...responses.keys()].join(', ')}`);
    assert.equal(new URL(r.url()).origin, service.url, path);
  }
  assert.deepEqual(errors, []);
  // A lazily loaded chunk's name carries its content hash: fetched from the
  // shop's page (CORS), it is cached for a year.
  const chunk = readdirSync(new URL('../../pkg/dist/', import.meta.url)).find((f) => /^\w+-[A-Z2-7]{8}\.js$/.test(f));
  assert.ok(chunk, 'make pkg writes hashed chunks');
  const cache = await tab.evaluate((u) => fetch(u).then((r) => r.headers.get('cache-control')), `${service.url}/pkg/dist/${chunk}`);
  assert.equal(cache, 'public, max-age=31536000, immutable');
  await tab.close();
});
