// The widget in pages of its own (tests/e2e/pages/): strict CSP, a broken
// config, the script tag from a sub-folder, attach() from the npm entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { servedBrowser, pageErrors } from './harness.mjs';

const ctx = servedBrowser();

async function open(path) {
  const page = await ctx.browser.newPage();
  const errors = pageErrors(page);
  const requests = [];
  page.on('request', (r) => requests.push(new URL(r.url()).pathname));
  const response = await page.goto(ctx.server.url + path);
  return { page, errors, requests, response };
}

test('strict_csp_page_works', async () => {
  const { page, errors, response } = await open('/t/csp.html');
  assert.match(response.headers()['content-security-policy'], /script-src 'self' 'wasm-unsafe-eval'; style-src 'self'/);
  await page.waitForSelector('#f.fiable-ready', { timeout: 15000 });
  await page.fill('#email', 'jane@');
  await page.locator('#phone').pressSequentially('0612');
  assert.equal(await page.inputValue('#phone'), '06 12');
  await page.waitForFunction(() => document.querySelector('#email').classList.contains('fiable-invalid'));
  // The stylesheet loaded under style-src 'self': the custom property colours the field.
  const [border, bad] = await page.evaluate(() => {
    const el = document.querySelector('#email');
    return [getComputedStyle(el).borderTopColor, getComputedStyle(el).getPropertyValue('--fiable-bad').trim()];
  });
  assert.equal(bad, '#cf222e');
  assert.equal(border, 'rgb(207, 34, 46)');
  await page.click('button[type=submit]');
  await page.waitForFunction(() => document.activeElement?.id === 'email');
  assert.equal(await page.getAttribute('#f', 'data-submitted'), null);
  assert.equal(await page.getAttribute('body', 'data-csp-violations'), null, await page.getAttribute('body', 'data-csp-last'));
  assert.deepEqual(errors, []);
  await page.close();
});

test('broken_config_one_console_error_and_a_working_form', async () => {
  const { page, errors, requests } = await open('/t/broken.html');
  await page.waitForFunction(() => document.readyState === 'complete');
  await page.waitForEvent('console', { predicate: (m) => m.type() === 'error', timeout: 15000 }).catch(() => {});
  await page.fill('[name=email]', 'not an email');
  await page.click('button[type=submit]');
  await page.waitForFunction(() => document.getElementById('f').dataset.submitted === '1');
  assert.equal(errors.length, 1, errors.join('\n'));
  assert.match(errors[0], /config\.fields\.email\.type is "emial"; expected one of "email", "phone"/);
  assert.match(errors[0], /works without it/);
  assert.equal(await page.$('.fiable-hint'), null);
  assert.ok(!requests.some((p) => p.endsWith('.wasm')), 'no Wasm is loaded for a config that is not used');
  await page.close();
});

test('script_tag_from_a_sub_folder_attaches_to_several_forms', async () => {
  const { page, errors, requests } = await open('/t/sub/deep/index.html');
  await page.waitForFunction(() => document.querySelectorAll('form.shop.fiable-ready').length === 2, null, { timeout: 15000 });
  assert.ok(requests.includes('/cdn/fiable@0/dist/fiable_wasm_bg.wasm'), requests.join('\n'));
  assert.ok(requests.includes('/cdn/fiable@0/fiable.css'));
  const second = page.locator('form.shop').nth(1);
  await second.locator('[name=email]').fill('jean@gmial.com');
  await second.locator('button').focus();
  await second.locator('.fiable-suggest').waitFor();
  await second.locator('.fiable-suggest').click();
  assert.equal(await second.locator('[name=email]').inputValue(), 'jean@gmail.com');
  assert.deepEqual(errors, []);
  await page.close();
});

test('attach_from_npm_validate_values_messages_block_detach', async () => {
  const { page, errors } = await open('/t/npm.html');
  assert.equal(await page.evaluate(() => window.handle.ready), true);
  await page.fill('[name=first_name]', 'jean-pierre');
  await page.fill('[name=last_name]', 'DUPONT');
  await page.fill('[name=phone]', '06 12 34 56 78');
  await page.fill('[name=email]', 'jean@gmial.com');
  const verdicts = await page.evaluate(() => window.handle.validate());
  assert.deepEqual(Object.keys(verdicts).sort(), ['email', 'first_name', 'last_name', 'phone']);
  assert.equal(verdicts.email.status, 'warning');
  // messages override, with {suggestion}
  assert.equal(verdicts.email.message, 'Peut-être jean@gmail.com ?');
  assert.equal(await page.textContent('[name=email] + .fiable-hint'), 'Peut-être jean@gmail.com ?');
  assert.deepEqual(await page.evaluate(() => window.handle.values()), {
    first_name: 'Jean-Pierre', last_name: 'Dupont', phone: '+33612345678', email: 'jean@gmial.com',
  });
  // This config blocks on warnings too.
  await page.click('button[type=submit]');
  await page.waitForFunction(() => document.activeElement?.name === 'email');
  assert.equal(await page.getAttribute('#f', 'data-submitted'), null);
  const events = await page.evaluate(() => window.fiableEvents);
  assert.ok(events.some((e) => e.type === 'fiable:verdict' && e.name === 'email' && e.code === 'email.domain_typo'));
  assert.ok(events.some((e) => e.type === 'fiable:valid' && e.name === 'phone'));
  await page.fill('[name=email]', 'jean@');
  await page.evaluate(() => window.handle.validate());
  assert.ok((await page.evaluate(() => window.fiableEvents)).some((e) => e.type === 'fiable:invalid' && e.name === 'email'));
  // detach: no trace left, the form submits as before.
  await page.evaluate(() => window.handle.detach());
  assert.equal(await page.$('.fiable-hint, .fiable-live, .fiable-field'), null);
  assert.equal(await page.getAttribute('[name=email]', 'aria-describedby'), null);
  await page.click('button[type=submit]');
  await page.waitForFunction(() => document.getElementById('f').dataset.submitted === '1');
  // A wrong config from code: one console error, an inert handle.
  const inert = await page.evaluate(async () => {
    const h = window.fiable.attach('#f', { fields: { email: { selector: '[name=email]', type: 'email', requird: true } } });
    return [await h.ready, await h.validate()];
  });
  assert.deepEqual(inert, [false, {}]);
  assert.equal(errors.length, 1, errors.join('\n'));
  assert.match(errors[0], /unknown key config\.fields\.email\.requird; expected \{ "selector"/);
  await page.close();
});
