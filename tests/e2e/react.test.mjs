// fiable on a real React app (tests/e2e/pages/react-app.jsx, bundled here with
// esbuild into a file: no inline script, the strict CSP of serve.mjs holds):
// what fiable writes into a controlled input (a suggestion applied, a phone
// formatted as typed, a city chosen) must reach React's state, and React's
// re-renders must leave fiable's hints in place.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { servedBrowser, bundleApp, openApp, appState, waitAppState, lookupService } from './harness.mjs';

const ctx = servedBrowser();
/** The real lookup service serving these pages, for the street autocomplete (no DNS: no email is asked about here). */
let svc = null;

before(async () => {
  await bundleApp('react-app.jsx', {
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"development"' }, // React's checks on: they report to the console
  });
  svc = await lookupService('tests/e2e/pages', ['--dns-upstream', '127.0.0.1:9', '--dns-timeout-ms', '200']);
});

after(() => svc?.stop());

const open = (url = ctx.server.url + '/t/react.html') => openApp(ctx, url);
const state = appState;
const waitState = waitAppState;

test('react_state_follows_the_applied_suggestion', async () => {
  const { page, errors } = await open();
  await page.locator('[name=email]').pressSequentially('jean@gmial.com');
  assert.equal((await state(page)).email, 'jean@gmial.com');
  await page.locator('[name=phone]').focus();
  const button = page.locator('[name=email] + .fiable-hint button.fiable-suggest');
  await button.waitFor();
  await page.locator('[name=email]').focus();
  await button.click();
  await waitState(page, 'email', 'jean@gmail.com');
  assert.equal(await page.inputValue('[name=email]'), 'jean@gmail.com');
  await page.waitForFunction(() => document.querySelector('[name=email]').classList.contains('fiable-valid'));
  // React re-rendered with the new value and kept its own class as well as fiable's.
  assert.deepEqual(await page.evaluate(() => [...document.querySelector('[name=email]').classList]), ['field', 'fiable-field', 'fiable-valid']);
  assert.deepEqual(errors, []);
  await page.close();
});

test('react_state_follows_the_phone_formatted_as_typed', async () => {
  const { page, errors } = await open();
  const phone = page.locator('[name=phone]');
  await phone.focus();
  // After every keystroke, those that make fiable insert a space included, React holds what the field shows.
  for (const digit of '0612345678') {
    await page.keyboard.type(digit);
    assert.equal((await state(page)).phone, await phone.inputValue());
  }
  assert.equal(await phone.inputValue(), '06 12 34 56 78');
  // React's re-render with the same value left the caret where fiable put it.
  assert.equal(await phone.evaluate((el) => el.selectionStart), 14);
  await page.waitForFunction(() => document.querySelector('[name=phone]').classList.contains('fiable-valid'));
  // A correction in the middle: fiable reformats, React follows, the caret stays after the digit.
  await phone.evaluate((el) => el.setSelectionRange(5, 5)); // "06 12| 34 56 78"
  await page.keyboard.press('Backspace');
  await page.keyboard.type('9');
  assert.equal((await state(page)).phone, await phone.inputValue());
  assert.equal((await phone.inputValue()).replace(/\s/g, ''), '0619345678');
  assert.equal((await phone.inputValue()).slice(0, await phone.evaluate((el) => el.selectionStart)).replace(/\s/g, ''), '0619');
  assert.deepEqual(errors, []);
  await page.close();
});

test('react_state_follows_the_city_chosen_and_the_single_city_filled', async () => {
  const { page, errors } = await open();
  await page.locator('[name=postcode]').focus();
  await page.keyboard.type('01210');
  await page.keyboard.press('Tab');
  await page.waitForFunction(() => document.querySelector('[name=city]').getAttribute('aria-expanded') === 'true');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await waitState(page, 'city', 'Ornex');
  assert.equal((await state(page)).postcode, '01210');
  // The mouse, then a postcode with one commune filling an emptied city field that is not focused.
  await page.fill('[name=city]', '');
  await page.locator('[name=city] ~ [role=listbox] [role=option]').nth(2).click();
  await waitState(page, 'city', 'Versonnex');
  await page.fill('[name=city]', '');
  await page.fill('[name=postcode]', '75011');
  await waitState(page, 'city', 'Paris');
  assert.equal(await page.inputValue('[name=city]'), 'Paris');
  // What React submits is what fiable shows.
  await page.fill('[name=email]', 'jean@exemple.fr');
  await page.click('button[type=submit]');
  await page.locator('#submitted').waitFor();
  assert.deepEqual(JSON.parse(await page.textContent('#submitted')), { email: 'jean@exemple.fr', phone: '', street: '', postcode: '75011', city: 'Paris' });
  // Detached, the city field is a plain input again: no listbox, no combobox role.
  await page.evaluate(() => window.handle.detach());
  assert.equal(await page.locator('[role=listbox], .fiable-hint').count(), 0);
  assert.deepEqual(await page.$eval('[name=city]', (el) => ['role', 'aria-expanded', 'aria-controls', 'aria-autocomplete'].map((a) => el.getAttribute(a))), [null, null, null, null]);
  assert.deepEqual(errors, []);
  await page.close();
});

test('react_re_renders_keep_the_hints', async () => {
  const { page, errors } = await open();
  await page.fill('[name=email]', 'jean@');
  await page.locator('[name=phone]').focus();
  const hint = page.locator('[name=email] + .fiable-hint');
  await page.waitForFunction(() => document.querySelector('[name=email]').classList.contains('fiable-invalid'));
  const text = await hint.textContent();
  assert.match(text, /domaine/);
  const hintId = await hint.getAttribute('id');
  const renders = Number(await page.textContent('#renders'));
  for (let i = 0; i < 3; i++) await page.click('#rerender');
  await page.waitForFunction((n) => Number(document.getElementById('renders').textContent) >= n + 3, renders);
  // After React's re-renders: the same hint, still linked, the field still marked.
  assert.equal(await hint.textContent(), text);
  assert.equal(await hint.getAttribute('id'), hintId);
  assert.ok((await page.getAttribute('[name=email]', 'aria-describedby')).split(' ').includes(hintId));
  assert.equal(await page.getAttribute('[name=email]', 'aria-invalid'), 'true');
  assert.equal(await page.locator('.fiable-hint').count(), 5, 'one hint per field: StrictMode attached twice, the first detached cleanly');
  // Typing (a re-render per keystroke) keeps working: valid at once, hint cleared.
  await page.locator('[name=email]').pressSequentially('exemple.fr');
  await page.waitForFunction(() => document.querySelector('[name=email]').classList.contains('fiable-valid'));
  assert.equal(await hint.textContent(), '');
  assert.equal((await state(page)).email, 'jean@exemple.fr');
  assert.deepEqual(errors, []);
  await page.close();
});

test('react_state_follows_the_street_chosen_with_the_real_service', async () => {
  const { page, errors } = await open(`${svc.url}/react.html?lookup=/`);
  const street = page.locator('[name=street]');
  await street.fill('12 r de la roquette'); // one input event: one search, no earlier answer to race with
  await page.locator('[name=street] ~ [role=listbox] [role=option]').first().waitFor();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await waitState(page, 'street', '12 Rue de la Roquette');
  // The chosen address filled the postcode and the city: React holds them too.
  await waitState(page, 'postcode', '75011');
  assert.equal((await state(page)).city, 'Paris');
  assert.equal(await page.inputValue('[name=city]'), 'Paris');
  await page.waitForFunction(() => document.querySelector('[name=postcode]').classList.contains('fiable-valid'));
  assert.deepEqual(errors, []);
  await page.close();
});
