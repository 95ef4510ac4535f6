// What a person does before the Wasm has come (a slow network: the form is
// painted, the engine not there yet) is not lost and not judged early: at
// ready, a field typed in and left shows its problem, the field still being
// typed in does not (until it is left), and a value the page set shows at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { servedBrowser, pageErrors, holdBack } from './harness.mjs';

const ctx = servedBrowser();
const EAGER = '/pkg/dist/fiable_first_bg.wasm';

/** The verdict a field shows, by its class ('' for none). */
const shown = (page, sel) => page.$eval(sel, (el) => ['valid', 'warning', 'invalid', 'pending'].filter((s) => el.classList.contains(`fiable-${s}`)).join(' '));

test('input_before_ready_is_told_to_the_hint_rules_at_ready', async () => {
  const page = await ctx.browser.newPage();
  const errors = pageErrors(page);
  const { asked, release } = await holdBack(page, `**${EAGER}`);
  await page.goto(`${ctx.server.url}/t/early.html`);
  await asked; // the widget is attached and waits for its engine
  await page.click('#phone');
  await page.keyboard.type('06 12');
  await page.keyboard.press('Tab'); // left: its problem may show
  await page.keyboard.type('jean@'); // still typing in the email field
  await page.evaluate(() => {
    document.querySelector('#name').value = 'J3an'; // set by the page's own script
  });
  assert.equal(await page.$eval('#f', (f) => f.classList.contains('fiable-ready')), false);
  release();
  await page.waitForSelector('#f.fiable-ready', { timeout: 15000 });
  await page.waitForFunction(() => document.querySelector('#phone').classList.contains('fiable-invalid'), null, { timeout: 15000 });
  await page.waitForFunction(() => document.querySelector('#name').classList.contains('fiable-invalid'), null, { timeout: 15000 });
  // Still focused, half typed: not punished at ready.
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'email');
  assert.equal(await shown(page, '#email'), '');
  assert.equal(await page.textContent('#email + .fiable-hint'), '');
  // Left: now it shows.
  await page.keyboard.press('Tab');
  await page.waitForFunction(() => document.querySelector('#email').classList.contains('fiable-invalid'), null, { timeout: 15000 });
  assert.deepEqual(errors, []);
  await page.close();
});
