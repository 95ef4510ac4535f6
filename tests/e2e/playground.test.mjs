// The config playground (www/playground.html) and the docs page (www/docs.html)
// in headless Chromium, under the strict CSP of serve.mjs. Every wait is on a
// DOM state (the playground's #pg-status[data-state], the preview form's
// fiable-ready class), never on time.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import { servedBrowser, pageErrors } from './harness.mjs';

const ctx = servedBrowser();
const artifacts = new URL('../artifacts/', import.meta.url);
before(() => mkdirSync(artifacts, { recursive: true }));

async function open(path) {
  const page = await ctx.browser.newPage();
  const errors = pageErrors(page);
  // A CSP violation would be a console error too; this catches the event as well.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.cspViolations = [...(window.cspViolations ?? []), `${e.violatedDirective} ${e.blockedURI}`];
    });
  });
  const response = await page.goto(ctx.server.url + path);
  return { page, errors, response };
}

/** Puts a config in the textarea and waits for the playground to judge it. */
async function edit(page, text, state) {
  await page.fill('#pg-config', text);
  await page.waitForSelector(`#pg-status[data-state="${state}"]`);
}

const VALID = {
  locale: 'fr',
  country: 'FR',
  fields: {
    email: { selector: '#email', type: 'email', required: true },
    phone: { selector: '#tel', type: 'phone' },
  },
  lookup: '/',
  consent: {
    controller: { name: 'Shop SAS', contact: 'dpo@shop.example' },
    form: { id: 'signup', version: '2026-11' },
    purposes: [{ id: 'newsletter', selector: '#optin', text: "J'accepte de recevoir la newsletter" }],
  },
};

test('playground_loads_clean_under_csp_with_a_live_form', async () => {
  const { page, errors, response } = await open('/playground.html');
  assert.match(response.headers()['content-security-policy'], /script-src 'self' 'wasm-unsafe-eval'; style-src 'self'/);
  await page.waitForSelector('#pg-status[data-state="ok"]');
  await page.waitForSelector('#pg-preview form.fiable-ready');
  // The prefilled config is the one the form was built from; inputs typed for their kind.
  const config = JSON.parse(await page.inputValue('#pg-config'));
  assert.equal(config.locale, 'fr');
  for (const [name, f] of Object.entries(config.fields)) {
    assert.equal(await page.locator(`#pg-preview form ${f.selector}`).count(), 1, `${name}: ${f.selector}`);
  }
  assert.equal(await page.getAttribute('#pg-preview #email', 'type'), 'email');
  assert.equal(await page.getAttribute('#pg-preview #email', 'autocomplete'), 'email');
  assert.equal(await page.getAttribute('#pg-preview #prenom', 'autocomplete'), 'given-name');
  assert.match(await page.textContent('#pg-preview label:has(#prenom)'), /First name/);
  // The widget runs on it.
  await page.fill('#pg-preview #email', 'jean@gmial.com');
  await page.locator('#pg-preview #nom').focus();
  await page.locator('#pg-preview .fiable-suggest').waitFor();
  await page.screenshot({ path: new URL('playground-live-form.png', artifacts).pathname, fullPage: true });
  assert.deepEqual(errors, []);
  assert.equal(await page.evaluate(() => window.cspViolations), undefined);
  await page.close();
});

test('playground_syntax_error_has_a_position_and_no_form', async () => {
  const { page, errors } = await open('/playground.html');
  await page.waitForSelector('#pg-preview form.fiable-ready');
  // A missing comma on line 3.
  await edit(page, '{\n  "locale": "fr"\n  "fields": {}\n}', 'syntax');
  const title = await page.textContent('#pg-status-title');
  assert.match(title, /ligne 3, colonne 3/);
  assert.match(await page.textContent('#pg-status-en'), /line 3, column 3/);
  assert.match(await page.textContent('#pg-status-where'), /3 │ {3}"fields": \{\}\n {6}\^/);
  assert.equal(await page.$('#pg-preview form'), null);
  assert.equal(await page.isDisabled('#pg-copy'), true);
  // Truncated input: the end is the position.
  await edit(page, '{ "fields": {', 'syntax');
  assert.match(await page.textContent('#pg-status-title'), /ligne 1, colonne 14/);
  assert.match(await page.textContent('#pg-status-fr'), /trop tôt/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('playground_bad_key_shows_the_checker_message', async () => {
  const { page, errors } = await open('/playground.html');
  await page.waitForSelector('#pg-preview form.fiable-ready');
  await edit(page, '{\n  "fields": {\n    "email": { "selector": "#email", "type": "emial" }\n  }\n}', 'config');
  assert.match(await page.textContent('#pg-status-en'), /config\.fields\.email\.type is "emial"; expected one of "email", "phone"/);
  const fr = await page.textContent('#pg-status-fr');
  assert.match(fr, /fields\.email\.type/);
  assert.match(fr, /Vouliez-vous dire "email"/);
  assert.match(await page.textContent('#pg-status-title'), /ligne 3/);
  assert.equal(await page.$('#pg-preview form'), null);
  await page.screenshot({ path: new URL('playground-config-error.png', artifacts).pathname, fullPage: true });
  // An unknown key: named, with the closest known one.
  await edit(page, '{ "fields": { "email": { "selector": "#email", "type": "email", "requird": true } } }', 'config');
  assert.match(await page.textContent('#pg-status-en'), /unknown key config\.fields\.email\.requird/);
  await page.waitForFunction(() => /Vouliez-vous dire « required »/.test(document.getElementById('pg-status-fr').textContent));
  assert.deepEqual(errors, []);
  await page.close();
});

test('playground_valid_edit_reattaches_formats_the_phone_and_updates_the_snippet', async () => {
  const { page, errors } = await open('/playground.html');
  await page.waitForSelector('#pg-preview form.fiable-ready');
  const before = Number(await page.getAttribute('#pg-preview', 'data-version'));
  // Add a phone field to the prefilled config.
  const config = JSON.parse(await page.inputValue('#pg-config'));
  assert.equal(config.fields.phone, undefined);
  config.fields.phone = { selector: '#tel', type: 'phone' };
  await edit(page, JSON.stringify(config, null, 2), 'ok');
  await page.waitForSelector('#pg-preview form.fiable-ready #tel');
  assert.ok(Number(await page.getAttribute('#pg-preview', 'data-version')) > before);
  assert.equal(await page.locator('#pg-preview form').count(), 1, 'the old form is gone');
  assert.equal(await page.getAttribute('#pg-preview #tel', 'type'), 'tel');
  assert.equal(await page.getAttribute('#pg-preview #tel', 'autocomplete'), 'tel');
  await page.locator('#pg-preview #tel').pressSequentially('0612345678');
  assert.equal(await page.inputValue('#pg-preview #tel'), '06 12 34 56 78');
  // Only one set of hints: the previous attach was detached.
  assert.equal(await page.locator('#pg-preview #tel + .fiable-hint').count(), 1);
  assert.equal(await page.locator('#pg-preview .fiable-live').count(), 1);

  // The snippet: a script tag whose data-config is the config, apostrophes included.
  await edit(page, JSON.stringify(VALID), 'ok');
  await page.waitForSelector('#pg-preview form.fiable-ready #tel');
  const snippet = await page.textContent('#pg-snippet');
  assert.match(snippet, /^<script src="http:\/\/127\.0\.0\.1:\d+\/pkg\/dist\/fiable\.js" defer data-form="#signup" data-config='/);
  assert.match(snippet, /"phone": \{\n\s+"selector": "#tel",\n\s+"type": "phone"\n\s+\}/);
  const parsed = await page.evaluate((html) => {
    const s = new DOMParser().parseFromString(html, 'text/html').querySelector('script');
    return { form: s.dataset.form, config: JSON.parse(s.dataset.config), src: s.getAttribute('src'), defer: s.defer };
  }, snippet);
  assert.deepEqual(parsed.config, VALID);
  assert.equal(parsed.form, '#signup');
  assert.equal(parsed.defer, true);
  assert.equal(await page.isDisabled('#pg-copy'), false);
  await page.click('#pg-copy');
  await page.waitForFunction(() => document.getElementById('pg-copied').textContent !== '');
  assert.deepEqual(errors, []);
  await page.close();
});

test('docs_page_lists_every_top_level_schema_property', async () => {
  const schema = JSON.parse(await readFile(new URL('../../pkg/fiable.schema.json', import.meta.url), 'utf8'));
  const { page, errors } = await open('/docs.html');
  await page.waitForSelector('#doc-reference[data-state="ready"]');
  const keys = await page.$$eval('#doc-config-table tr.top', (rows) => rows.map((r) => r.dataset.key));
  assert.deepEqual(keys, Object.keys(schema.properties));
  // Nested keys too: every field option, with the enum of the kinds.
  for (const k of Object.keys(schema.$defs.field.properties)) {
    assert.equal(await page.locator(`#doc-config-table tr[data-key="fields.<name>.${k}"]`).count(), 1, k);
  }
  const kinds = await page.textContent('#doc-config-table tr[data-key="fields.<name>.type"]');
  for (const kind of schema.$defs.field.properties.type.enum) assert.ok(kinds.includes(`"${kind}"`), kind);
  assert.equal(await page.locator('#doc-config-table tr[data-key="consent.purposes[].text"]').count(), 1);
  assert.match(await page.textContent('#config-locale'), /Message language/);
  // The verdicts shown are computed by the package in the page.
  await page.waitForFunction(() => document.getElementById('doc-live').textContent.includes('"normalized": "+33612345678"'));
  assert.deepEqual(errors, []);
  assert.equal(await page.evaluate(() => window.cspViolations), undefined);
  await page.close();
});
