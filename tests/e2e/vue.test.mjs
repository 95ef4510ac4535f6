// fiable on a real Vue 3 app (tests/e2e/pages/vue-app.js, bundled here with
// esbuild into a file: no inline script, the strict CSP of serve.mjs holds):
// what fiable writes into a v-model input (a suggestion applied, a phone
// formatted as typed, a city chosen, a name normalised on blur) must reach
// Vue's state, and Vue's re-renders must leave fiable's hints in place.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { servedBrowser, bundleApp, openApp, appState, waitAppState } from './harness.mjs';

const ctx = servedBrowser();

before(async () => {
  await bundleApp('vue-app.js', {
    // Vue's development build: its warnings go to the console, which the tests check is clean.
    define: { 'process.env.NODE_ENV': '"development"', __VUE_OPTIONS_API__: 'true', __VUE_PROD_DEVTOOLS__: 'false', __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false' },
  });
});

const open = (url = ctx.server.url + '/t/vue.html') => openApp(ctx, url);
const state = appState;
const waitState = waitAppState;

test('vue_model_follows_suggestion_phone_city_and_name', async () => {
  const { page, errors } = await open();
  // The typo suggestion applied in one click.
  await page.locator('[name=email]').pressSequentially('jean@gmial.com');
  await page.locator('[name=phone]').focus();
  const button = page.locator('[name=email] + .fiable-hint button.fiable-suggest');
  await button.click();
  await waitState(page, 'email', 'jean@gmail.com');
  await page.waitForFunction(() => document.querySelector('[name=email]').classList.contains('fiable-valid'));
  // After each keystroke of the phone, spaces inserted by fiable included, Vue holds what the field shows.
  const phone = page.locator('[name=phone]');
  await phone.focus();
  for (const digit of '0612345678') {
    await page.keyboard.type(digit);
    assert.equal((await state(page)).phone, await phone.inputValue());
  }
  assert.equal(await phone.inputValue(), '06 12 34 56 78');
  assert.equal(await phone.evaluate((el) => el.selectionStart), 14, 'the re-render kept the caret at the end');
  // A city chosen from the postcode's communes with the keyboard.
  await page.locator('[name=postcode]').focus();
  await page.keyboard.type('01210');
  await page.keyboard.press('Tab');
  await page.waitForFunction(() => document.querySelector('[name=city]').getAttribute('aria-expanded') === 'true');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await waitState(page, 'city', 'Ferney-Voltaire');
  // A name normalised on blur.
  await page.fill('[name=last_name]', 'de la fontaine');
  await page.locator('[name=email]').focus();
  await page.waitForFunction(() => document.querySelector('[name=last_name]').value !== 'de la fontaine');
  const name = await page.inputValue('[name=last_name]');
  await waitState(page, 'last_name', name);
  // What Vue submits is what fiable shows.
  await page.click('button[type=submit]');
  await page.locator('#submitted').waitFor();
  assert.deepEqual(JSON.parse(await page.textContent('#submitted')), {
    email: 'jean@gmail.com', phone: '06 12 34 56 78', postcode: '01210', city: 'Ferney-Voltaire', last_name: name,
  });
  assert.deepEqual(errors, []);
  await page.close();
});

test('vue_re_renders_keep_the_hints_and_unmount_detaches', async () => {
  const { page, errors } = await open();
  await page.fill('[name=email]', 'jean@');
  await page.locator('[name=phone]').focus();
  const hint = page.locator('[name=email] + .fiable-hint');
  await page.waitForFunction(() => document.querySelector('[name=email]').classList.contains('fiable-invalid'));
  const text = await hint.textContent();
  // Vue re-renders on every keystroke elsewhere: the email's hint and marks stay.
  await page.locator('[name=postcode]').pressSequentially('750');
  assert.equal(await hint.textContent(), text);
  assert.equal(await page.getAttribute('[name=email]', 'aria-invalid'), 'true');
  assert.ok((await page.getAttribute('[name=email]', 'aria-describedby')).includes(await hint.getAttribute('id')));
  assert.equal(await page.locator('.fiable-hint').count(), 5);
  // Unmounting the app detaches fiable: nothing of it is left in the page.
  await page.evaluate(() => window.app.unmount());
  assert.equal(await page.locator('.fiable-hint, [role=listbox], .fiable-live').count(), 0);
  assert.deepEqual(errors, []);
  await page.close();
});
