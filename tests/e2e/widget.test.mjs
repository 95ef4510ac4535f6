// The widget in pages of its own (tests/e2e/pages/): strict CSP, a broken
// config, the script tag from a sub-folder, attach() from the npm entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { servedBrowser, pageErrors, holdBack } from './harness.mjs';

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
  // The stylesheet (inside the tag, a constructed sheet) applies under style-src 'self': the custom property colours the field.
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

test('a_tag_whose_form_is_not_on_the_page_fetches_no_wasm', async () => {
  // A site-wide layout carrying the tag on every page, the form on one.
  const { page, errors, requests } = await open('/t/elsewhere.html');
  await page.waitForFunction(() => document.readyState === 'complete');
  // The tag ran (before the load event: it is deferred) and said why it did not attach.
  assert.equal(errors.length, 1, errors.join('\n'));
  assert.match(errors[0], /matches no form/);
  assert.ok(!requests.some((p) => p.endsWith('.wasm')), requests.join('\n'));
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
  // The config is read before init(): a broken one never fetches the Wasm.
  assert.ok(!requests.some((p) => p.endsWith('.wasm')), requests.join('\n'));
  await page.close();
});

test('script_tag_from_a_sub_folder_attaches_to_several_forms', async () => {
  const { page, errors, requests } = await open('/t/sub/deep/index.html');
  await page.waitForFunction(() => document.querySelectorAll('form.shop.fiable-ready').length === 2, null, { timeout: 15000 });
  // The eager Wasm module: its form has only kinds that one checks.
  assert.ok(requests.includes('/cdn/fiable@0/dist/fiable_first_bg.wasm'), requests.join('\n'));
  // The stylesheet comes inside the tag, adopted as a constructed sheet: no request of its own.
  assert.ok(!requests.some((p) => p.endsWith('.css')), requests.join('\n'));
  assert.equal(await page.evaluate(() => document.adoptedStyleSheets.length), 1);
  assert.equal(await page.$eval('form.shop', (f) => getComputedStyle(f).getPropertyValue('--fiable-bad').trim()), '#cf222e');
  const second = page.locator('form.shop').nth(1);
  await second.locator('[name=email]').fill('jean@gmial.com');
  await second.locator('button').focus();
  await second.locator('.fiable-suggest').waitFor();
  await second.locator('.fiable-suggest').click();
  assert.equal(await second.locator('[name=email]').inputValue(), 'jean@gmail.com');
  // Typed, left (the cross-field rules), submitted: never the full module.
  await second.locator('button').click();
  await page.waitForFunction(() => document.querySelectorAll('form.shop')[1].querySelector('.fiable-valid'));
  assert.ok(!requests.some((p) => p.endsWith('/fiable_wasm_bg.wasm')), requests.join('\n'));
  assert.deepEqual(errors, []);
  await page.close();
});

test('two_script_tags_one_widget_each_form_attached_once', async () => {
  // Each tag is a copy of the whole bundle; the second hands its tag to the first.
  const { page, errors, requests } = await open('/t/two-tags.html');
  await page.waitForFunction(() => document.querySelectorAll('form.fiable-ready').length === 3, null, { timeout: 15000 });
  assert.deepEqual(await page.evaluate(() => [...document.forms].map((f) => f.querySelectorAll('.fiable-live').length)), [1, 1, 1]);
  assert.equal(requests.filter((p) => p.endsWith('.wasm')).length, 1, requests.join('\n'));
  assert.equal(await page.evaluate(() => document.adoptedStyleSheets.length), 1); // one stylesheet, not one per tag
  await page.fill('#c [name=email]', 'jean@');
  await page.locator('#c button').focus();
  await page.waitForFunction(() => document.querySelector('#c [name=email]').classList.contains('fiable-invalid'));
  assert.equal((await page.evaluate(() => window.fiableEvents)).filter((e) => e.type === 'fiable:invalid').length, 1);
  assert.deepEqual(errors, []);
  await page.close();
});

test('data_css_none_the_tag_adds_no_stylesheet_and_the_widget_still_works', async () => {
  // A shop that styles the widget itself opts out: no constructed sheet, no link, no request.
  const { page, errors, requests } = await open('/t/no-css.html');
  await page.waitForSelector('#f.fiable-ready', { timeout: 15000 });
  assert.equal(await page.evaluate(() => document.adoptedStyleSheets.length), 0);
  assert.equal(await page.evaluate(() => document.querySelectorAll('link[rel~="stylesheet"]').length), 0);
  assert.ok(!requests.some((p) => p.endsWith('.css')), requests.join('\n'));
  assert.equal(await page.$eval('#f', (f) => getComputedStyle(f).getPropertyValue('--fiable-bad').trim()), '');
  await page.fill('[name=email]', 'jean@');
  await page.locator('button').focus();
  await page.waitForFunction(() => document.querySelector('[name=email]').classList.contains('fiable-invalid'));
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

test('messages_follow_the_form_or_page_lang_when_the_config_names_none', async () => {
  const { page, errors } = await open('/t/npm.html');
  assert.equal(await page.evaluate(() => window.handle.ready), true);
  await page.fill('[name=phone]', '06 12');
  /** Attaches again without `locale` (the previous handle is detached) and returns the phone's message. */
  const message = () => page.evaluate(async () => {
    const h = window.fiable.attach('#f', { country: 'FR', fields: { phone: { selector: '[name=phone]', type: 'phone' } } });
    await h.ready;
    return (await h.validate()).phone.message;
  });
  assert.equal(await message(), 'Ce numéro de téléphone est trop court.'); // <html lang="fr">
  await page.evaluate(() => { document.documentElement.lang = 'en'; });
  assert.equal(await message(), 'This phone number is too short.');
  await page.evaluate(() => { document.getElementById('f').lang = 'fr'; }); // the form's own lang is nearer
  assert.equal(await message(), 'Ce numéro de téléphone est trop court.');
  assert.equal(await page.textContent('[name=phone] + .fiable-hint'), 'Ce numéro de téléphone est trop court.');
  assert.equal(await page.locator('.fiable-hint').count(), 1, 'each attach replaced the previous one');
  assert.deepEqual(errors, []);
  await page.close();
});

test('native_constraint_validation_shows_the_same_hints', async () => {
  // The same page as a shop would have it without novalidate: the browser's own validation runs first.
  const { page, errors } = await open('/t/csp.html');
  await page.waitForSelector('#f.fiable-ready', { timeout: 15000 });
  await page.evaluate(() => { document.getElementById('f').noValidate = false; });
  await page.locator('#email').pressSequentially('jane@');
  assert.equal(await page.textContent('#email + .fiable-hint'), '', 'nothing said while typing');
  await page.keyboard.press('Enter'); // implicit submission, no blur: only the browser's "invalid" event tells fiable
  await page.waitForFunction(() => document.querySelector('#email').classList.contains('fiable-invalid'));
  const [message, hint, invalid] = await page.evaluate(() => {
    const el = document.querySelector('#email');
    return [el.validationMessage, el.nextElementSibling.textContent, el.matches(':invalid')];
  });
  assert.ok(message.length > 0);
  assert.equal(hint, message);
  assert.equal(invalid, true);
  assert.equal(await page.getAttribute('#email', 'aria-invalid'), 'true');
  assert.equal(await page.getAttribute('#f', 'data-submitted'), null);
  await page.locator('#email').pressSequentially('example.com');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('f').dataset.submitted === '1');
  assert.equal(await page.evaluate(() => document.querySelector('#email').matches(':invalid')), false);
  assert.deepEqual(errors, []);
  await page.close();
});

test('focus_is_visible_and_the_look_follows_the_custom_properties', async () => {
  const { page, errors } = await open('/t/csp.html'); // no page stylesheet: only the widget's
  await page.waitForSelector('#f.fiable-ready', { timeout: 15000 });
  const style = (sel, ...props) => page.$eval(sel, (el, p) => p.map((k) => getComputedStyle(el)[k]), props);
  const theme = (prop, value) => page.evaluate(([p, v]) => document.getElementById('f').style.setProperty(p, v), [prop, value]);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'email');
  assert.deepEqual(await style('#email', 'outlineStyle', 'outlineColor'), ['solid', 'rgb(9, 105, 218)']);
  await theme('--fiable-focus', 'rgb(1, 2, 3)'); // a theme set on the form (CSSOM: allowed under the strict CSP)
  assert.deepEqual(await style('#email', 'outlineColor'), ['rgb(1, 2, 3)']);
  // The suggestion is a real button, reached and used from the keyboard, with a visible focus.
  await page.keyboard.type('jane@gmial.com');
  await page.keyboard.press('Tab');
  await page.locator('#email + .fiable-hint .fiable-suggest').waitFor();
  await page.keyboard.press('Shift+Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'fiable-suggest');
  assert.deepEqual(await style('.fiable-suggest', 'outlineStyle', 'outlineColor', 'color'), ['solid', 'rgb(1, 2, 3)', 'rgb(9, 105, 218)']);
  await theme('--fiable-link', 'rgb(7, 8, 9)');
  assert.deepEqual(await style('.fiable-suggest', 'color'), ['rgb(7, 8, 9)']);
  await page.keyboard.press('Enter');
  assert.equal(await page.inputValue('#email'), 'jane@gmail.com');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'email');
  // Status colours: the invalid border and hint take --fiable-bad.
  await page.fill('#email', 'jane@');
  await page.keyboard.press('Tab');
  await page.waitForFunction(() => document.querySelector('#email').classList.contains('fiable-invalid'));
  await theme('--fiable-bad', 'rgb(4, 5, 6)');
  assert.deepEqual(await style('#email', 'borderTopColor'), ['rgb(4, 5, 6)']);
  assert.deepEqual(await style('#email + .fiable-hint', 'color'), ['rgb(4, 5, 6)']);
  assert.equal(await page.getAttribute('body', 'data-csp-violations'), null);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a_phone_region_whose_data_does_not_load_is_pending_never_a_wrong_verdict', async () => {
  const page = await ctx.browser.newPage();
  const errors = pageErrors(page);
  const asked = [];
  page.on('request', (r) => asked.push(new URL(r.url()).pathname));
  await page.route('**/chunks/phone-41.tsv', (r) => r.abort());
  await page.goto(ctx.server.url + '/t/csp.html');
  await page.waitForSelector('#f.fiable-ready', { timeout: 15000 });
  // The form's own region (France) is fetched at ready, before any keystroke.
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('/phones-fr.tsv')));
  await page.locator('#phone').pressSequentially('0612345678');
  assert.equal(await page.inputValue('#phone'), '06 12 34 56 78');
  await page.waitForFunction(() => document.querySelector('#phone').classList.contains('fiable-valid'));
  // A Swiss number: its region's chunk fails, the check says "pending".
  await page.fill('#phone', '');
  await page.locator('#phone').pressSequentially('+41791234567');
  await page.locator('#email').focus();
  await page.waitForFunction(() => document.querySelector('#phone').classList.contains('fiable-pending'));
  assert.ok(asked.some((p) => p.endsWith('/phone-41.tsv')), asked.join('\n'));
  // Once the chunk loads, the same number is valid.
  await page.unroute('**/chunks/phone-41.tsv');
  await page.locator('#phone').focus();
  await page.locator('#phone').press('End');
  await page.keyboard.type(' ');
  await page.locator('#email').focus();
  await page.waitForFunction(() => document.querySelector('#phone').classList.contains('fiable-valid'), null, { timeout: 15000 });
  // The aborted fetches themselves are logged by the browser; nothing else may be.
  assert.deepEqual(errors.filter((e) => !/phone-41|Failed to load resource: net::ERR_FAILED/.test(e)), []);
  await page.close();
});

test('a_suggestion_applied_then_the_next_field_is_not_punished_at_its_first_keystroke', async () => {
  const { page, errors } = await open('/t/csp.html');
  await page.waitForSelector('#f.fiable-ready', { timeout: 15000 });
  // The email, left for the phone field: its typo's suggestion shows; one click fixes it.
  await page.locator('#email').click();
  await page.keyboard.type('jean@gmial.com');
  await page.locator('#phone').click();
  await page.locator('#email + .fiable-hint .fiable-suggest').click();
  assert.equal(await page.inputValue('#email'), 'jean@gmail.com');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'email', 'the click gives the focus back to the email');
  await page.waitForFunction(() => document.querySelector('#email').classList.contains('fiable-valid'));
  // The phone field was entered, then left without a keystroke: typing in it
  // later shows nothing but the reward. Every class it takes is recorded.
  await page.evaluate(() => {
    const el = document.querySelector('#phone');
    window.phoneClasses = [];
    new MutationObserver(() => window.phoneClasses.push(el.className)).observe(el, { attributes: true, attributeFilter: ['class'] });
  });
  await page.locator('#phone').click();
  await page.keyboard.type('0');
  assert.equal(await page.textContent('#phone + .fiable-hint'), '', 'no "too short" at the first digit');
  await page.keyboard.type('612345678');
  await page.waitForFunction(() => document.querySelector('#phone').classList.contains('fiable-valid'));
  const seen = await page.evaluate(() => window.phoneClasses);
  assert.deepEqual(seen.filter((c) => /fiable-(invalid|warning)/.test(c)), [], seen.join('\n'));
  // Left after an edit, a problem shows (punish late, not never).
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Tab');
  await page.waitForFunction(() => document.querySelector('#phone').classList.contains('fiable-invalid'));
  assert.equal(await page.textContent('#phone + .fiable-hint'), 'This is not a valid phone number.');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the_address_country_beats_the_form_wide_country', async () => {
  const { page, errors } = await open('/t/npm.html');
  // Belgium's phone data held back until the whole number is typed: a slow
  // network, or a person faster than it; the formatting must still come.
  const { release } = await holdBack(page, '**/chunks/phone-32.tsv');
  await page.waitForFunction(() => window.handle);
  assert.equal(await page.evaluate(() => window.handle.ready), true);
  // A form configured for France, with its own country field.
  const ready = await page.evaluate(async () => {
    const pays = document.createElement('input');
    pays.name = 'pays';
    document.getElementById('f').prepend(pays);
    const h = window.fiable.attach('#f', {
      locale: 'fr', country: 'FR',
      fields: { pays: { selector: '[name=pays]', type: 'country' }, phone: { selector: '[name=phone]', type: 'phone' } },
    });
    window.handle = h;
    return h.ready;
  });
  assert.equal(ready, true);
  await page.locator('[name=pays]').click();
  await page.keyboard.type('Belgique');
  await page.locator('[name=phone]').click();
  await page.keyboard.type('0470123456');
  assert.equal(await page.inputValue('[name=phone]'), '0470123456');
  release();
  // Formatted and checked as a Belgian number once its data is in, and once left.
  await page.waitForFunction(() => document.querySelector('[name=phone]').value === '0470 12 34 56', null, { timeout: 15000 });
  await page.keyboard.press('Tab');
  await page.waitForFunction(() => document.querySelector('[name=phone]').classList.contains('fiable-valid'), null, { timeout: 15000 });
  assert.equal(await page.evaluate(() => window.handle.values().phone), '+32470123456');
  const verdicts = await page.evaluate(() => window.handle.validate());
  assert.equal(verdicts.phone.status, 'valid', JSON.stringify(verdicts.phone));
  assert.equal(verdicts.phone.details?.country, 'BE', JSON.stringify(verdicts.phone));
  assert.deepEqual(errors, []);
  await page.close();
});
