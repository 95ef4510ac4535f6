// Consent capture in headless Chromium against a small consent service that
// speaks the contract (consent-server.mjs, a real HTTP server on 127.0.0.1
// that can be switched down and up): the record is queued before it is sent,
// the form is never held hostage by the service, a queued record is
// delivered exactly once later (next page load, `online`), a pre-ticked box
// is refused, the wording recorded is the one shown, advisor capture and the
// duplicate warning, the demo pages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { consentServer } from './consent-server.mjs';
import { launch } from './browser.mjs';

const ADVISOR_KEY = 'demo-advisor-key';
let srv, browser;

before(async () => {
  srv = await consentServer({
    keys: { [ADVISOR_KEY]: 'advisor' },
    match: (q) => (q.email === 'marie.lefevre@example.fr' ? [{ subject: 'subj-1', score: 1, on: ['email'] }] : []),
  });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  srv?.close();
});

const sha256 = (s) => createHash('sha256').update(s, 'utf8').digest('hex');
const consents = () => srv.requests.filter((r) => r.path === '/v1/consents');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A page in a context of its own (its own localStorage); errors other than the browser's network lines are collected. */
async function open(path, context) {
  context ??= await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && !/^Failed to load resource/.test(m.text()) && errors.push(m.text()));
  await page.goto(srv.url + path);
  return { page, errors, context };
}

async function fill(page, form = '#f') {
  const S = (n) => `${form} [name=${n}]`;
  await page.fill(S('first_name'), 'Marie');
  await page.fill(S('last_name'), 'Lefèvre');
  await page.fill(S('email'), 'marie.lefevre@exemple.fr');
  await page.fill(S('phone'), '06 12 34 56 78');
  await page.fill(S('postcode'), '75011');
}

const queued = (page) => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('fiable.consent:')).map((k) => JSON.parse(localStorage.getItem(k))));
const submitted = (page, n, form = '#f') => page.waitForFunction(([f, k]) => document.querySelector(f).dataset.submitted === String(k), [form, n]);

test('service_down_the_form_submits_the_record_is_queued_then_delivered_once_on_the_next_load', async () => {
  const { page, errors, context } = await open('/t/consent.html');
  await page.waitForSelector('#f.fiable-ready', { timeout: 15000 });
  await fill(page);
  await page.check('#news'); // the person ticks the newsletter, not the SMS
  await srv.down();
  const before = consents().length;
  await page.click('#f button[type=submit]');
  await submitted(page, 1);
  assert.equal(consents().length, before, 'the service was down: nothing reached it');
  // The shop's handler got the form, with the id the record is queued under.
  const [sent] = await page.evaluate(() => window.sent);
  assert.match(sent.fiable_consent_receipt, UUID);
  assert.equal(sent.fiable_consent_receipt_status, 'queued');
  const [entry, ...more] = await queued(page);
  assert.equal(more.length, 0);
  assert.match(entry.key, UUID);
  const record = JSON.parse(entry.body);
  assert.equal(record.record_id, sent.fiable_consent_receipt);
  assert.equal(record.subject, '');
  assert.deepEqual(record.subject_data, { email: 'marie.lefevre@exemple.fr', phone: '+33612345678', first_name: 'Marie', last_name: 'Lefèvre', postcode: '75011', country: 'FR' });
  assert.deepEqual(record.purposes.map(({ id, decision, affirmative_action, legal_basis }) => ({ id, decision, affirmative_action, legal_basis })), [
    { id: 'newsletter', decision: 'granted', affirmative_action: true, legal_basis: 'consent' },
    { id: 'sms', decision: 'refused', affirmative_action: false, legal_basis: 'consent' },
  ]);
  // The label's rendered text, verbatim: its hidden part is not what the person saw.
  assert.equal(record.purposes[0].text, "J'accepte de recevoir la newsletter de Boutique SAS par e-mail");
  assert.equal(record.purposes[0].text_sha256, sha256(record.purposes[0].text));
  assert.deepEqual([record.channel, record.collector, record.form, record.locale, record.retention_days], ['web', { site: '127.0.0.1' }, { id: 'test-signup', version: '3' }, 'fr', 1095]);
  assert.deepEqual((await page.evaluate(() => window.consentEvents)).map((e) => [e.on, e.status, e.id]), [['f', 'queued', record.record_id]]);

  await srv.up();
  await page.reload(); // a beacon may leave on page hide; the new page sends the queue again: one record either way
  await page.waitForSelector('#f.fiable-ready', { timeout: 15000 });
  await page.waitForFunction(() => window.consentEvents.some((e) => e.status === 'delivered'));
  assert.deepEqual(await queued(page), []);
  const attempts = consents().slice(before);
  console.log(`# delivery attempts [beacon?, status]: ${JSON.stringify(attempts.map((a) => [a.beacon, a.status]))}`);
  assert.ok(attempts.length >= 1);
  assert.deepEqual([...new Set(attempts.map((r) => r.key))], [entry.key], 'every attempt carries the same Idempotency-Key');
  assert.equal(attempts.filter((r) => r.status === 201).length, 1, 'stored once');
  assert.ok(attempts.every((r) => r.status === 201 || r.status === 200));
  for (const r of attempts.filter((a) => a.beacon)) assert.match(r.contentType, /^text\/plain/);
  assert.equal(srv.ledger.get(entry.key).record.record_id, record.record_id);
  const [delivered] = await page.evaluate(() => window.consentEvents);
  assert.deepEqual([delivered.on, delivered.status, delivered.receipt.id], ['document', 'delivered', record.record_id]);
  assert.deepEqual(errors, []);
  await context.close();
});

test('service_back_while_the_page_stays_online_delivers_and_fills_the_receipt', async () => {
  // Timers frozen: the backoff retry never fires, so only the `online` event can deliver.
  const context = await browser.newContext();
  await context.clock.install();
  const { page, errors } = await open('/t/consent.html', context);
  await page.waitForSelector('#f.fiable-ready', { timeout: 15000 });
  await fill(page);
  await page.check('#sms');
  await page.clock.pauseAt(await page.evaluate(() => Date.now() + 1000));
  await srv.down();
  const before = consents().length;
  await page.click('#f button[type=submit]');
  await submitted(page, 1);
  assert.equal((await queued(page)).length, 1);
  await srv.up();
  await context.setOffline(true);
  await context.setOffline(false); // the `online` event
  await page.waitForFunction(() => document.querySelector('[name=fiable_consent_receipt_status]').value === 'delivered');
  const id = await page.inputValue('[name=fiable_consent_receipt]');
  const stored = [...srv.ledger.values()].filter((e) => e.receipt.id === id);
  assert.equal(stored.length, 1);
  assert.deepEqual(stored[0].record.purposes.map((p) => p.decision), ['refused', 'granted']);
  assert.equal(consents().slice(before).filter((r) => r.status === 201).length, 1);
  assert.deepEqual(await queued(page), []);
  const events = await page.evaluate(() => window.consentEvents);
  assert.deepEqual(events.map((e) => [e.on, e.status]), [['f', 'queued'], ['f', 'delivered']]);
  assert.equal(events[1].receipt.id, id);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a_429_is_obeyed_the_record_waits_for_retry_after_then_is_delivered_once', async () => {
  // Time is the page's fake clock: the retry is scheduled, and only fastForward fires it.
  const context = await browser.newContext();
  await context.clock.install();
  const { page, errors } = await open('/t/consent.html', context);
  await page.waitForSelector('#f.fiable-ready', { timeout: 15000 });
  await fill(page);
  await page.check('#sms');
  await page.clock.pauseAt(await page.evaluate(() => Date.now() + 1000));
  const before = consents().length;
  srv.throttle(1, 120);
  await page.click('#f button[type=submit]');
  await submitted(page, 1);
  await page.waitForFunction(() => window.consentEvents?.some((e) => e.status === 'queued'));
  assert.deepEqual(consents().slice(before).map((r) => r.status), [429]);
  assert.equal((await queued(page)).length, 1);
  // The backoff alone would retry within 2 s; the service asked for 120 s: a minute on, still nothing sent.
  const posted = [];
  page.on('request', (r) => r.url().includes('/v1/consents') && posted.push(r.url()));
  await page.clock.fastForward(60_000);
  await page.evaluate(() => 0);
  assert.deepEqual(posted, []);
  await page.clock.fastForward(61_000);
  await page.waitForFunction(() => document.querySelector('[name=fiable_consent_receipt_status]').value === 'delivered');
  assert.deepEqual(consents().slice(before).map((r) => r.status), [429, 201]);
  assert.deepEqual(await queued(page), []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('service_up_unticked_is_refused_and_the_text_is_the_one_shown_at_submit', async () => {
  const { page, errors, context } = await open('/t/consent.html');
  await page.waitForSelector('#f.fiable-ready', { timeout: 15000 });
  await fill(page);
  // The page changes a wording after load: what counts is what the person saw when submitting.
  await page.evaluate(() => { document.getElementById('sms-text').textContent = 'J\u2019accepte de recevoir des offres par SMS (2 par mois au plus)'; });
  const before = consents().length;
  await page.click('#f button[type=submit]');
  await submitted(page, 1);
  const [sent] = await page.evaluate(() => window.sent);
  assert.equal(sent.fiable_consent_receipt_status, 'delivered', 'the receipt came before the shop handler ran');
  const mine = consents().slice(before);
  assert.equal(mine.length, 1);
  assert.equal(mine[0].status, 201);
  assert.match(mine[0].contentType, /^application\/json/);
  const record = mine[0].body;
  assert.equal(sent.fiable_consent_receipt, srv.ledger.get(mine[0].key).receipt.id);
  assert.deepEqual(record.purposes.map((p) => [p.id, p.decision, p.affirmative_action]), [['newsletter', 'refused', false], ['sms', 'refused', false]]);
  assert.equal(record.purposes[1].text, 'J\u2019accepte de recevoir des offres par SMS (2 par mois au plus)');
  assert.deepEqual(await queued(page), []);
  // The same answers submitted again: the same record, not a second one.
  await page.click('#f button[type=submit]');
  await submitted(page, 2);
  assert.equal(consents().length, before + 1);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a_box_ticked_by_a_script_is_not_the_persons_act_the_service_rejects_it_and_it_is_dropped', async () => {
  const { page, errors, context } = await open('/t/consent.html');
  await page.waitForSelector('#f.fiable-ready', { timeout: 15000 });
  await fill(page);
  await page.evaluate(() => { document.getElementById('news').checked = true; });
  const before = consents().length;
  await page.click('#f button[type=submit]');
  await submitted(page, 1);
  await page.waitForFunction(() => window.consentEvents.some((e) => e.status === 'rejected'));
  assert.equal(consents()[before].status, 422);
  assert.equal(consents().length, before + 1, 'a 422 is not retried');
  assert.deepEqual(await queued(page), [], 'a rejected record leaves the queue');
  assert.equal(errors.length, 1, errors.join('\n'));
  assert.match(errors[0], /rejected a consent record \(HTTP 422 consent\.invalid: purposes\[0\]\.affirmative_action: consent\.granted_without_action\)/);
  assert.equal(await page.inputValue('[name=fiable_consent_receipt]'), '');
  await context.close();
});

test('pre_ticked_box_one_console_error_the_form_works_without_consent_capture', async () => {
  const { page, errors, context } = await open('/t/consent-preticked.html');
  await page.waitForSelector('#f.fiable-ready', { timeout: 15000 });
  await page.waitForFunction(() => document.readyState === 'complete');
  await fill(page);
  assert.equal(await page.inputValue('[name=phone]'), '06 12 34 56 78');
  const before = consents().length;
  await page.click('#f button[type=submit]');
  await submitted(page, 1);
  assert.equal(errors.length, 1, errors.join('\n'));
  assert.match(errors[0], /config\.consent\.purposes\[0\]: "#news" is ticked before the person acted; a pre-ticked box is not consent/);
  assert.match(errors[0], /consent is not recorded on this form/);
  assert.equal(consents().length, before);
  const [sent] = await page.evaluate(() => window.sent);
  assert.equal(sent.fiable_consent_receipt, undefined);
  assert.deepEqual(await queued(page), []);
  await context.close();
});

test('advisor_page_duplicate_warning_and_one_click_capture_in_store_then_on_the_phone', async () => {
  const { page, errors, context } = await open('/advisor.html');
  // The page carries no key: it asks for it, and captures nothing before.
  assert.equal(await page.isVisible('#advisor-key-hint'), true);
  assert.equal(await page.$('#customer.fiable-ready'), null);
  // Typed, then left with Tab: one native change event, as an advisor does. (A
  // synthetic change while the field kept focus made a second one fire on the
  // next click, re-attaching the form mid-test: its warning box gone a moment.)
  await page.fill('#advisor-key', ADVISOR_KEY);
  await page.locator('#advisor-key').press('Tab');
  await page.waitForSelector('#customer.fiable-ready', { timeout: 15000 });
  assert.equal(await page.isVisible('#advisor-key-hint'), false);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('fiable-advisor-key')), ADVISOR_KEY);
  const C = (n) => `#customer [name=${n}]`;
  const warning = page.locator('#customer .fiable-duplicate');
  assert.equal(await warning.getAttribute('role'), 'status');
  assert.equal(await warning.getAttribute('aria-live'), 'polite');
  // As the advisor types the email of a customer the ledger knows: the warning, without blocking anything.
  await page.locator(C('email')).pressSequentially('marie.lefevre@example.fr');
  await page.waitForFunction(() => /existe probablement déjà \(correspondance\s: e-mail\)/.test(document.querySelector('#customer .fiable-duplicate').textContent));
  const asked = srv.requests.filter((r) => r.path === '/v1/match');
  assert.ok(asked.length >= 1);
  assert.ok(asked.every((r) => r.bearer === ADVISOR_KEY && r.status === 200));
  assert.equal(asked.at(-1).body.email, 'marie.lefevre@example.fr');
  await page.selectOption(C('civility'), 'Mme');
  await page.fill(C('first_name'), 'Marie');
  await page.fill(C('last_name'), 'Lefèvre');
  await page.fill(C('phone'), '06 12 34 56 78');
  await page.fill(C('postcode'), '75011');
  // One click relays the customer's answer.
  await page.click('#c-email');
  assert.equal(await page.getAttribute('#c-email', 'aria-pressed'), 'true');
  const before = consents().length;
  await page.click('#customer button[type=submit]');
  await submitted(page, 1, '#customer');
  let mine = consents().slice(before);
  assert.equal(mine.length, 1);
  assert.deepEqual([mine[0].status, mine[0].bearer], [201, ADVISOR_KEY]);
  let r = mine[0].body;
  assert.deepEqual([r.channel, r.collector], ['store', { advisor_id: 'C-042', store_id: 'paris-11' }]);
  assert.deepEqual(r.purposes.map((p) => [p.id, p.decision, p.affirmative_action]), [['email', 'granted', true], ['sms', 'refused', false], ['postal', 'refused', false]]);
  assert.equal(r.purposes[0].text, "J'accepte de recevoir par e-mail les offres et actualités de Boutique Démo.");
  assert.equal(r.subject_data.email, 'marie.lefevre@example.fr');
  await page.locator('#consent-receipt').waitFor();
  assert.match(await page.textContent('#consent-receipt'), new RegExp(`Reçu n° ${srv.ledger.get(mine[0].key).receipt.id}`));

  // On the phone now, another customer: a record of channel phone; no duplicate warning for them.
  await page.check('[name=channel][value=phone]');
  await page.waitForFunction(() => document.querySelector('#c-email').getAttribute('aria-pressed') === 'false');
  await page.fill(C('email'), 'nouveau.client@example.fr');
  await page.fill(C('last_name'), 'Dupond');
  // The call's first answer: recording (its own record, sent first; call-recording.test.mjs has the details).
  await page.click('#rec-agree');
  await page.click('#c-sms');
  await page.click('#customer button[type=submit]');
  await submitted(page, 2, '#customer');
  mine = consents().slice(before + 1);
  assert.equal(mine.length, 2);
  assert.deepEqual(mine[0].body.purposes.map((p) => [p.id, p.decision]), [['call_recording', 'granted']]);
  r = mine[1].body;
  assert.equal(r.channel, 'phone');
  assert.deepEqual(r.purposes.map((p) => p.decision), ['refused', 'granted', 'refused']);
  await page.waitForFunction(() => document.querySelector('#customer .fiable-duplicate').textContent === '');
  assert.deepEqual(errors, []);
  await context.close();
});

test('demo_signup_page_records_its_consent_boxes_and_shows_the_receipt', async () => {
  const { page, errors, context } = await open('/');
  await page.waitForSelector('#signup.fiable-ready', { timeout: 15000 });
  const S = (n) => `#signup [name=${n}]`;
  await page.fill(S('first_name'), 'Jean');
  await page.fill(S('last_name'), 'Dupont');
  await page.fill(S('email'), 'jean.dupont@gmail.com');
  await page.fill(S('postcode'), '75011');
  await page.check(S('consent_newsletter'));
  const before = consents().length;
  await page.click('#signup button[type=submit]');
  await page.waitForFunction(() => document.getElementById('signup').dataset.submitted === '1');
  const mine = consents().slice(before);
  assert.equal(mine.length, 1);
  const r = mine[0].body;
  assert.deepEqual(r.purposes.map((p) => [p.id, p.decision, p.text]), [
    ['newsletter', 'granted', "J'accepte de recevoir la newsletter de Boutique Démo par e-mail"],
    ['partners', 'refused', "J'accepte de recevoir par e-mail les offres des partenaires de Boutique Démo"],
  ]);
  assert.deepEqual(r.form, { id: 'signup', version: '2026-11' });
  const id = srv.ledger.get(mine[0].key).receipt.id;
  assert.equal(await page.isVisible('#consent-receipt'), true);
  assert.equal(await page.textContent('#consent-receipt'), `Vos choix sont enregistrés. Reçu n° ${id}`);
  assert.equal(JSON.parse((await page.textContent('#out')).replace(/^submit #signup\n/, '')).fiable_consent_receipt, id);
  await page.screenshot({ path: new URL('../artifacts/demo-consent-receipt.png', import.meta.url).pathname });
  assert.deepEqual(errors, []);
  await context.close();
});
