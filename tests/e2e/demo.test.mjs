// The demo page in headless Chromium: live verdicts from the Wasm core.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { serve } from './serve.mjs';
import { launch } from './browser.mjs';

const artifacts = new URL('../artifacts/', import.meta.url);
let server, browser, page;
const errors = [];

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  server = await serve();
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(server.url + '/');
  await page.waitForSelector('body[data-ready=true]', { timeout: 15000 });
});

after(async () => {
  await browser?.close();
  server?.close();
});

test('typo_hint_applies_in_one_click', async () => {
  await page.fill('[name=email]', 'jean.dupont@gmial.com');
  const button = page.locator('label:has([name=email]) .hint button');
  await button.waitFor();
  assert.equal(await button.textContent(), 'jean.dupont@gmail.com');
  await button.click();
  assert.equal(await page.inputValue('[name=email]'), 'jean.dupont@gmail.com');
  assert.equal(await page.getAttribute('[name=email]', 'data-status'), 'valid');
});

test('phone_is_formatted_and_checked_as_typed', async () => {
  await page.locator('[name=phone]').pressSequentially('0612345678');
  assert.equal(await page.inputValue('[name=phone]'), '06 12 34 56 78');
  assert.equal(await page.getAttribute('[name=phone]', 'data-status'), 'valid');
});

test('postcode_offers_its_cities', async () => {
  await page.fill('[name=postcode]', '75011');
  await page.waitForFunction(() => document.querySelectorAll('#cities option').length > 0);
  const cities = await page.$$eval('#cities option', (o) => o.map((x) => x.value));
  assert.ok(cities.includes('Paris'), cities.join());
});

test('civility_mismatch_warns_on_submit_and_camille_is_silent', async () => {
  await page.selectOption('[name=civility]', 'Mme');
  await page.fill('[name=first_name]', 'Jean');
  await page.fill('[name=last_name]', 'Dupont');
  await page.fill('[name=birth_date]', '23/11/1990');
  await page.click('button[type=submit]');
  await page.waitForFunction(() => document.querySelector('[name=civility]').dataset.status === 'warning');
  await page.screenshot({ path: new URL('demo-warning.png', artifacts).pathname });
  await page.fill('[name=first_name]', 'Camille');
  await page.click('button[type=submit]');
  await page.waitForFunction(() => document.querySelector('[name=civility]').dataset.status === 'valid');
  assert.deepEqual(errors, []);
});
