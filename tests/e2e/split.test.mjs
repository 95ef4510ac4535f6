// The script tag starts with the eager Wasm module (dist/fiable_first_bg.wasm:
// email, phone, names, civility) and fetches the full one
// (dist/fiable_wasm_bg.wasm) only when a field of another kind needs it:
// typed in before it arrives, such a field ends with the full module's
// verdict, never a wrong one; a form of eager fields never fetches it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { servedBrowser, pageErrors, holdBack } from './harness.mjs';

const ctx = servedBrowser();
const FULL = '/pkg/dist/fiable_wasm_bg.wasm';

/** Opens a test page whose full Wasm module is held back until `release()`; `asked` resolves when the page asks for it. */
async function openHeld(path, form = '#f') {
  const page = await ctx.browser.newPage();
  const errors = pageErrors(page);
  const requests = [];
  page.on('request', (r) => requests.push(new URL(r.url()).pathname));
  const { asked, release } = await holdBack(page, `**${FULL}`);
  await page.goto(ctx.server.url + path);
  await page.waitForSelector(`${form}.fiable-ready`, { timeout: 15000 });
  return { page, errors, requests, release, asked };
}

/** The verdict a field shows, by its class ('' for none). */
const shown = (page, sel) => page.$eval(sel, (el) => ['valid', 'warning', 'invalid', 'pending'].filter((s) => el.classList.contains(`fiable-${s}`)).join(' '));

test('a_field_of_the_full_module_typed_before_it_arrives_ends_with_its_verdict', async () => {
  const { page, errors, requests, release, asked } = await openHeld('/t/split.html');
  assert.ok(requests.includes('/pkg/dist/fiable_first_bg.wasm'), requests.join('\n'));
  // Nothing before the first keystroke or a focus on such a field.
  assert.ok(!requests.includes(FULL), requests.join('\n'));
  await page.fill('#birth', '31/02/1990');
  await page.fill('#postcode', '75999');
  await page.focus('#email');
  await asked;
  // Held back: no verdict yet, and not a wrong one.
  assert.equal(await shown(page, '#birth'), '');
  assert.equal(await shown(page, '#postcode'), '');
  release();
  // The impossible date, and the postcode no commune has (its communes
  // chunk, which only the full module reads, fetched after it).
  await page.waitForFunction(() => document.querySelector('#birth').classList.contains('fiable-invalid'), null, { timeout: 15000 });
  assert.equal(await page.textContent('#birth + .fiable-hint'), "Cette date n'existe pas.");
  await page.waitForFunction(() => document.querySelector('#postcode').classList.contains('fiable-warning'), null, { timeout: 15000 });
  assert.equal(await page.textContent('#postcode + .fiable-hint'), "Aucune commune n'a ce code postal.");
  assert.ok(requests.includes('/pkg/dist/chunks/communes-75.tsv'), requests.join('\n'));
  // The email field, checked by the eager module before, by the full one now.
  await page.fill('#email', 'jean@gmial.com');
  await page.focus('#birth');
  await page.waitForFunction(() => document.querySelector('#email').classList.contains('fiable-warning'));
  assert.match(await page.textContent('#email + .fiable-hint') ?? '', /^Vouliez-vous dire jean@gmail\.com\s\?$/);
  assert.equal(requests.filter((p) => p === FULL).length, 1);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a_submit_waits_for_the_full_module_and_blocks_on_its_verdict', async () => {
  const { page, errors, release, asked } = await openHeld('/t/split.html');
  await page.fill('#email', 'jean@gmail.com');
  await page.evaluate(() => {
    document.querySelector('#birth').value = '31/02/1990';
  });
  await page.click('button[type=submit]');
  await asked;
  release();
  await page.waitForFunction(() => document.activeElement?.id === 'birth', null, { timeout: 15000 });
  assert.equal(await page.getAttribute('#f', 'data-submitted'), null);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a_phone_beside_a_prefilled_french_address_needs_only_the_eager_module', async () => {
  // The demo form's case: "France" prefilled in a country field (a kind of
  // the full module), read by the eager one for the phone; the country
  // field's own check waits for the full module, which is never released here.
  const { page, errors, requests, asked } = await openHeld('/t/split-country.html');
  assert.ok(!requests.includes(FULL), requests.join('\n'));
  await page.locator('#phone').pressSequentially('0612345678');
  // Formatted as typed (once France's plans, fetched at ready, are there) and valid.
  await page.waitForFunction(() => document.querySelector('#phone').value === '06 12 34 56 78');
  await page.waitForFunction(() => document.querySelector('#phone').classList.contains('fiable-valid'));
  assert.equal(await shown(page, '#country'), '');
  // Asked for once the page is idle after that first keystroke.
  await asked;
  assert.deepEqual(errors, []);
  await page.close();
});

test('the_demo_signup_form_loads_the_eager_module_only_before_the_first_keystroke', async () => {
  // What tests/node/size.mjs counts up front: no full module among it.
  const { page, errors, requests, release, asked } = await openHeld('/', '#signup');
  await page.waitForLoadState('networkidle');
  assert.ok(requests.includes('/pkg/dist/fiable_first_bg.wasm'), requests.join('\n'));
  assert.ok(requests.includes('/pkg/dist/chunks/phones-fr.tsv'), requests.join('\n'));
  assert.ok(!requests.includes(FULL), requests.join('\n'));
  // The prefilled country ("France") is checked once the full module is there.
  await page.locator('#signup [name=last_name]').pressSequentially('Dupont');
  await asked;
  release();
  await page.waitForFunction(() => document.querySelector('#signup [name=country]').classList.contains('fiable-valid'), null, { timeout: 15000 });
  assert.deepEqual(errors, []);
  await page.close();
});
