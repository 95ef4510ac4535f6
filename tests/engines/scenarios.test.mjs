// The widget's core scenarios, written once and run in Chromium, Firefox ESR
// and WebKitGTK (drivers.mjs): typing hints, the one-click suggestion, phone
// formatting with the caret, the city combobox by keyboard, submit blocking
// and focus, the consent queue and its delivery, a strict CSP. Every page is
// served with the strict CSP of tests/e2e/serve.mjs, by the consent test
// server (tests/e2e/consent-server.mjs), which can be switched down and up.
// The deeper cases of each stay in tests/e2e/ (Chromium only).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { consentServer } from '../e2e/consent-server.mjs';
import { ENGINES, launch } from './drivers.mjs';

const here = fileURLToPath(new URL('./', import.meta.url));
// puppeteer-core (Firefox over BiDi), pinned by this folder's package-lock.json.
const stamp = `${here}node_modules/.package-lock.json`;
if (!existsSync(stamp) || statSync(stamp).mtimeMs < statSync(`${here}package-lock.json`).mtimeMs) {
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--silent'], { cwd: here, stdio: 'inherit' });
}

let srv;
before(async () => {
  srv = await consentServer({ keys: {} });
});
after(() => srv?.close());

const S = (name) => `#signup [name=${name}]`;
const hasClass = (s, c) => document.querySelector(s)?.classList.contains(c);
const value = (sel) => [(s) => document.querySelector(s).value, sel];
const active = () => document.activeElement?.name ?? null;
/** Sets a field as a paste would (one input event); typing is what `type` is for. */
function setField(sel, v) {
  const el = document.querySelector(sel);
  el.value = v;
  el.dispatchEvent(new Event('input', { bubbles: true }));
  el.dispatchEvent(new Event('change', { bubbles: true }));
  return true;
}
/** The page's CSP violations (tests/e2e/pages/page.js counts them). */
const violations = () => document.body.dataset.cspViolations ?? null;

for (const engine of ENGINES) {
  describe(engine, () => {
    let browser, page;
    before(async () => {
      browser = await launch(engine);
    });
    after(async () => {
      await page?.close().catch(() => {});
      await browser?.close();
    });

    /** A fresh page (own storage) on the demo form, once fiable is attached. */
    async function demo() {
      await page?.close().catch(() => {});
      page = await browser.newPage();
      await page.goto(`${srv.url}/`);
      await page.waitFor(() => document.querySelector('#signup')?.classList.contains('fiable-ready'));
      return page;
    }
    const waitClass = (sel, cls) => page.waitFor(hasClass, sel, cls);
    const read = (sel) => page.eval(...value(sel));

    test('engine version', async (t) => {
      await demo(); // WebKit tells its version with the first session
      t.diagnostic(`${engine}: ${browser.version}`);
      assert.ok(browser.version);
    });

    test('typing_shows_valid_at_once_and_errors_after_blur', async () => {
      await demo();
      await page.type(S('email'), 'j');
      assert.equal(await page.eval((s) => document.querySelector(s).className, S('email')), 'fiable-field');
      await page.type(S('email'), 'ean@exemple.fr');
      await waitClass(S('email'), 'fiable-valid');
      await page.eval(setField, S('email'), 'jean@');
      await page.key('Tab');
      await waitClass(S('email'), 'fiable-invalid');
      assert.equal(await page.eval((s) => document.querySelector(s).getAttribute('aria-invalid'), S('email')), 'true');
      assert.match(await page.eval((s) => document.querySelector(s).nextElementSibling.textContent, S('email')), /domaine/);
    });

    test('typo_suggestion_applies_in_one_click', async () => {
      await demo();
      await page.type(S('email'), 'jean.dupont@gmial.com');
      await page.key('Tab');
      await page.waitFor(() => !!document.querySelector('#signup .fiable-suggest'));
      await page.click('#signup .fiable-suggest');
      await page.waitFor((s) => document.querySelector(s).value === 'jean.dupont@gmail.com', S('email'));
      await waitClass(S('email'), 'fiable-valid');
    });

    test('phone_is_formatted_as_typed_and_the_caret_follows', async () => {
      await demo();
      await page.type(S('phone'), '0612345678');
      assert.equal(await read(S('phone')), '06 12 34 56 78');
      await waitClass(S('phone'), 'fiable-valid');
      await page.eval(setField, S('phone'), '');
      await page.type(S('phone'), '061245');
      assert.equal(await read(S('phone')), '06 12 45');
      await page.eval((s) => document.querySelector(s).setSelectionRange(5, 5), S('phone')); // "06 12| 45"
      await page.typeHere('3');
      const [v, caret] = await page.eval((s) => [document.querySelector(s).value, document.querySelector(s).selectionStart], S('phone'));
      assert.equal(v.replace(/\s/g, ''), '0612345');
      assert.equal(v.slice(0, caret).replace(/\s/g, ''), '06123');
    });

    test('city_combobox_by_keyboard', async () => {
      await demo();
      await page.type(S('postcode'), '01210'); // Ferney-Voltaire, Ornex, Versonnex
      await page.key('Tab');
      assert.equal(await page.eval(active), 'city');
      await page.waitFor((s) => document.querySelector(s).getAttribute('aria-expanded') === 'true', S('city'));
      const options = () => [...document.querySelectorAll('#signup [role=option]')].map((o) => [o.textContent, o.getAttribute('aria-selected')]);
      assert.deepEqual((await page.eval(options)).map(([t]) => t), ['Ferney-Voltaire', 'Ornex', 'Versonnex']);
      await page.key('ArrowDown');
      await page.key('ArrowDown');
      assert.deepEqual((await page.eval(options)).map(([, sel]) => sel), ['false', 'true', 'false']);
      await page.key('Enter');
      assert.equal(await read(S('city')), 'Ornex');
      assert.equal(await page.eval((s) => document.querySelector(s).getAttribute('aria-expanded'), S('city')), 'false');
      assert.equal(await page.eval(() => document.getElementById('signup').dataset.submitted ?? null), null, 'Enter chose a city, it did not submit');
      await page.key('Escape');
    });

    test('invalid_phone_blocks_submit_and_focus_moves_to_it', async () => {
      await demo();
      for (const [name, v] of [['first_name', 'Jean'], ['last_name', 'Dupont'], ['email', 'jean.dupont@gmail.com'], ['phone', '06 12'],
        ['birth_date', '23/11/1990'], ['postcode', '75011'], ['city', 'Paris']]) await page.eval(setField, S(name), v);
      await page.eval(() => {
        const c = document.querySelector('#signup [name=civility]');
        c.value = 'M.';
        c.dispatchEvent(new Event('change', { bubbles: true }));
      });
      await page.click('#signup button[type=submit]');
      await page.waitFor(() => document.activeElement?.name === 'phone');
      assert.equal(await page.eval(() => document.getElementById('signup').dataset.submitted ?? null), null, "the page's own submit handler must not run");
      assert.equal(await page.eval((s) => document.querySelector(s).getAttribute('aria-invalid'), S('phone')), 'true');
      // Corrected, the same click submits.
      await page.eval(setField, S('phone'), '06 12 34 56 78');
      await page.click('#signup button[type=submit]');
      await page.waitFor(() => document.getElementById('signup').dataset.submitted === '1');
    });

    test('consent_is_queued_while_the_service_is_down_and_delivered_once_on_the_next_load', async () => {
      await page?.close().catch(() => {});
      page = await browser.newPage();
      await page.goto(`${srv.url}/t/consent.html`);
      await page.waitFor(() => document.querySelector('#f')?.classList.contains('fiable-ready'));
      for (const [name, v] of [['first_name', 'Marie'], ['last_name', 'Lefèvre'], ['email', 'marie.lefevre@exemple.fr'], ['phone', '06 12 34 56 78'], ['postcode', '75011']]) {
        await page.eval(setField, `#f [name=${name}]`, v);
      }
      await page.click('#news'); // the person's own act
      const posted = () => srv.requests.filter((r) => r.path === '/v1/consents');
      await srv.down();
      const before = posted().length;
      await page.click('#f button[type=submit]');
      await page.waitFor(() => document.getElementById('f').dataset.submitted === '1');
      assert.equal(posted().length, before, 'the service was down: nothing reached it');
      const queued = () => Object.keys(localStorage).filter((k) => k.startsWith('fiable.consent:')).map((k) => JSON.parse(JSON.parse(localStorage.getItem(k)).body));
      const [record, ...more] = await page.eval(queued);
      assert.equal(more.length, 0);
      assert.deepEqual(record.purposes.map((p) => [p.id, p.decision]), [['newsletter', 'granted'], ['sms', 'refused']]);
      assert.equal(await page.eval(() => window.sent[0].fiable_consent_receipt_status), 'queued');
      await srv.up();
      await page.goto(`${srv.url}/t/consent.html`);
      await page.waitFor(() => window.consentEvents?.some((e) => e.status === 'delivered'));
      assert.deepEqual(await page.eval(queued), []);
      const stored = [...srv.ledger.values()].filter((e) => e.record.record_id === record.record_id);
      assert.equal(stored.length, 1, 'stored once');
    });

    test('strict_csp_page_works', async () => {
      await page?.close().catch(() => {});
      page = await browser.newPage();
      await page.goto(`${srv.url}/t/csp.html`);
      await page.waitFor(() => document.querySelector('#f')?.classList.contains('fiable-ready'));
      await page.type('#email', 'jane@');
      await page.type('#phone', '0612');
      assert.equal(await read('#phone'), '06 12');
      await waitClass('#email', 'fiable-invalid');
      // The widget's stylesheet (a constructed sheet from the tag) applies under style-src 'self'.
      assert.equal(await page.eval(() => getComputedStyle(document.querySelector('#email')).getPropertyValue('--fiable-bad').trim()), '#cf222e');
      await page.click('#f button[type=submit]');
      await page.waitFor(() => document.activeElement?.id === 'email');
      assert.equal(await page.eval(() => document.getElementById('f').dataset.submitted ?? null), null);
      assert.equal(await page.eval(violations), null, await page.eval(() => document.body.dataset.cspLast ?? ''));
    });
  });
}
