// Consent end to end against the REAL service: `fiable-lookup serve` (the
// release build `make test` makes first) on 127.0.0.1, with a ledger, keys
// and API keys of its own in a temp dir, serving www/ and pkg/ as `make demo`
// does; Debian's Chromium fills the demo pages. What the widget sent is read
// back through the admin API, `fiable-lookup export` and `verify`, never
// from the browser alone. The service is stopped and started again on the
// same port and ledger (down → queued → up → delivered once; a refused
// advisor key), and stopped at the end. Its mail-domain checks ask a DNS
// port where nothing listens: "unknown", the local verdict stands.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './browser.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = resolve(root, process.env.CARGO_TARGET_DIR ?? 'target', 'release/fiable-lookup');
/** The advisor key the test starts the service with, and types into the advisor page (kept in its sessionStorage). */
const ADVISOR_KEY = 'demo-advisor-key';
const ADMIN_KEY = randomBytes(16).toString('hex');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const sha256 = (s) => createHash('sha256').update(s, 'utf8').digest('hex');

let dir, db, port, url, svc, browser;

const freePort = () => new Promise((ok, ko) => {
  const s = createServer().once('error', ko).listen(0, '127.0.0.1', () => {
    const { port: p } = s.address();
    s.close(() => ok(p));
  });
});

/** Starts the service on `port` with the test's ledger; `advisorKey` is the advisor key it accepts. */
async function start(advisorKey = ADVISOR_KEY) {
  assert.equal(svc, null, 'the service is already running');
  const child = spawn(bin, [
    'serve', '--bind', `127.0.0.1:${port}`, '--www', 'www', '--pkg', 'pkg',
    '--consent-db', db, '--consent-key', join(dir, 'receipts.key'), '--consent-index-key', join(dir, 'index.key'),
    '--api-key', `advisor:${advisorKey}`, '--api-key', `admin:${ADMIN_KEY}`,
    '--dns-upstream', '127.0.0.1:9', '--dns-timeout-ms', '200',
  ], { cwd: root, stdio: 'ignore' });
  const exited = new Promise((ok) => child.once('exit', ok));
  svc = { child, exited, advisorKey };
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) assert.fail(`fiable-lookup serve exited with ${child.exitCode}`);
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) return;
    if (i >= 300) {
      await stop();
      assert.fail('fiable-lookup serve did not come up');
    }
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

/** SIGTERM, then waits for the process to be gone (the port is free again). */
async function stop() {
  if (!svc) return;
  const { child, exited } = svc;
  svc = null;
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await exited;
}

before(async () => {
  assert.ok(existsSync(bin), `${bin} is missing: build it with cargo build --release -p fiable-lookup (make test does)`);
  dir = mkdtempSync(join(tmpdir(), 'fiable-consent-e2e-'));
  db = join(dir, 'consent.sqlite');
  port = await freePort();
  url = `http://127.0.0.1:${port}`;
  svc = null;
  await start();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The admin API (or any route) with a key; resolves to { status, body }. */
async function api(method, path, { key = ADMIN_KEY, body } = {}) {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

/** The subjects `/v1/match` finds for an email (admin key). */
const matchEmail = async (email) => (await api('POST', '/v1/match', { body: { email } })).body.matches;

/** `fiable-lookup verify` of the ledger file (the service may be running) against the service's public key. */
function verify(publicKey) {
  const r = spawnSync(bin, ['verify', '--ledger', db, '--public-key', publicKey], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

/** `fiable-lookup export`: the ledger entries (after the header line). */
function exported() {
  const r = spawnSync(bin, ['export', '--consent-db', db], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const [head, ...lines] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(head.format, 'fiable-consent-ledger/1');
  return lines;
}

/** Polls `f` until it returns a non-empty array (10 s at most). */
async function waitFor(f) {
  for (let i = 0; ; i++) {
    const got = f();
    if (got.length) return got;
    assert.ok(i < 100, 'the condition never held');
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

const publicKey = async () => (await (await fetch(`${url}/v1/consents/public-key`)).json()).public_key;

/** A page in a context of its own (its own localStorage); errors other than the browser's network lines are collected. */
async function open(path, context) {
  context ??= await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && !/^Failed to load resource/.test(m.text()) && errors.push(m.text()));
  // Every fiable:consent the page sees, from its first script on.
  // The advisor typed the key earlier in this tab (www/advisor.js keeps it in sessionStorage).
  await page.addInitScript((key) => sessionStorage.setItem('fiable-advisor-key', key), ADVISOR_KEY);
  await page.addInitScript(() => {
    window.consentEvents = [];
    document.addEventListener('fiable:consent', (e) => window.consentEvents.push({ on: e.target.id || 'document', ...e.detail }));
  });
  await page.goto(url + path);
  return { page, errors, context };
}

const queued = (page) => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('fiable.consent:')).map((k) => JSON.parse(localStorage.getItem(k))));
const hidden = async (page, form) => ({
  id: await page.inputValue(`${form} [name=fiable_consent_receipt]`),
  status: await page.inputValue(`${form} [name=fiable_consent_receipt_status]`),
});
const submitted = (page, form, n) => page.waitForFunction(([f, k]) => document.querySelector(f).dataset.submitted === String(k), [form, n]);

/** Fills the demo sign-up form validly for `p`, ticks the newsletter box only. */
async function fillSignup(page, p) {
  const S = (n) => `#signup [name=${n}]`;
  await page.waitForSelector('#signup.fiable-ready', { timeout: 15000 });
  await page.selectOption(S('civility'), 'Mme');
  await page.fill(S('first_name'), p.first_name);
  await page.fill(S('last_name'), p.last_name);
  await page.fill(S('email'), p.email);
  await page.fill(S('phone'), p.phone_typed);
  await page.fill(S('postcode'), p.postcode);
  await page.check(S('consent_newsletter'));
}

const NEWSLETTER = "J'accepte de recevoir la newsletter de Boutique Démo par e-mail";
const PARTNERS = "J'accepte de recevoir par e-mail les offres des partenaires de Boutique Démo";
const camille = { first_name: 'Camille', last_name: 'Lefèvre', email: 'camille.lefevre@gmail.com', phone_typed: '06 12 34 56 78', phone: '+33612345678', postcode: '75011' };
const people = {};

test('signup_on_the_demo_page_is_delivered_to_the_ledger_with_the_exact_wording_and_sealed_contact_data', async () => {
  const { page, errors, context } = await open('/');
  await fillSignup(page, camille);
  await page.click('#signup button[type=submit]');
  await submitted(page, '#signup', 1);
  const { id, status } = await hidden(page, '#signup');
  assert.equal(status, 'delivered', 'the receipt came before the page handler ran');
  assert.match(id, UUID, 'the record id the widget chose is the receipt id');
  const [event, ...more] = await page.evaluate(() => window.consentEvents);
  assert.equal(more.length, 0);
  assert.deepEqual([event.on, event.status, event.id, event.receipt.id], ['signup', 'delivered', id, id]);
  assert.equal(await page.textContent('#consent-receipt'), `Vos choix sont enregistrés. Reçu n° ${id}`);
  // The page's own handler got the receipt id with the form.
  assert.equal(JSON.parse((await page.textContent('#out')).replace(/^submit #signup\n/, '')).fiable_consent_receipt, id);
  assert.deepEqual(await queued(page), []);

  // The ledger, through the admin API: the subject by email, as an advisor's search would find it.
  const [found, ...others] = await matchEmail(camille.email);
  assert.equal(others.length, 0);
  // The public endpoint gives no pseudonym back, but the capability to withdraw.
  assert.equal(event.receipt.subject, undefined);
  assert.match(event.receipt.withdraw_token, /^[0-9a-f]{64}$/);
  assert.deepEqual(found.on, ['email']);
  const access = await api('GET', `/v1/subjects/${found.subject}/consents`);
  assert.equal(access.status, 200);
  assert.equal(access.body.erased, false);
  assert.equal(access.body.consents.length, 1);
  const [{ record, receipt, subject_data }] = access.body.consents;
  // The ledger's copy names the subject (admin view); the page's carries the withdrawal capability instead.
  const { subject: heldFor, ...held } = receipt;
  const { withdraw_token: _token, ...got } = event.receipt;
  assert.deepEqual(held, got, 'the receipt the page got is the one the ledger holds');
  assert.equal(heldFor, found.subject);
  assert.equal(record.record_id, id);
  assert.deepEqual(record.purposes.map((p) => [p.id, p.decision, p.text, p.affirmative_action]), [
    ['newsletter', 'granted', NEWSLETTER, true],
    ['partners', 'refused', PARTNERS, false],
  ]);
  for (const p of record.purposes) assert.equal(p.text_sha256, sha256(p.text));
  assert.deepEqual([record.channel, record.collector, record.form, record.locale, record.retention_days],
    ['web', { site: '127.0.0.1' }, { id: 'signup', version: '2026-11' }, 'fr', 1095]);
  // Contact data: sealed in the ledger, decrypted for the admin only.
  assert.equal(record.subject_data, undefined);
  assert.ok(record.sealed?.ciphertext);
  assert.deepEqual(subject_data, { email: camille.email, phone: camille.phone, first_name: 'Camille', last_name: 'Lefèvre', postcode: '75011', country: 'FR' });
  assert.ok(!JSON.stringify(exported()).includes(camille.email), 'no email in clear in the ledger');
  // The advisor key reads nothing of a subject; no key, nothing either.
  assert.equal((await api('GET', `/v1/subjects/${found.subject}/consents`, { key: ADVISOR_KEY })).status, 401);
  assert.equal((await fetch(`${url}/v1/subjects/${found.subject}/consents`)).status, 401);

  const v = verify(await publicKey());
  assert.equal(v.code, 0, v.out);
  assert.match(v.out, /OK, 1 entries/);
  people.camille = { subject: found.subject, id };
  assert.deepEqual(errors, []);
  await context.close();
});

test('service_down_the_form_submits_queued_service_up_reload_delivers_exactly_once', async () => {
  const louis = { first_name: 'Louis', last_name: 'Dupond', email: 'louis.dupond@gmail.com', phone_typed: '07 98 76 54 32', phone: '+33798765432', postcode: '75012' };
  const context = await browser.newContext();
  // Timers frozen in the page: the backoff retry never fires, so delivery can only come from the reload.
  await context.clock.install();
  const { page, errors } = await open('/', context);
  await fillSignup(page, louis);
  await page.clock.pauseAt(await page.evaluate(() => Date.now() + 1000));
  await stop();
  assert.equal(await fetch(`${url}/healthz`).then(() => 'up', () => 'down'), 'down');
  await page.click('#signup button[type=submit]');
  await submitted(page, '#signup', 1);
  const { id, status } = await hidden(page, '#signup');
  assert.equal(status, 'queued');
  assert.match(id, UUID);
  const [entry, ...more] = await queued(page);
  assert.equal(more.length, 0);
  assert.equal(JSON.parse(entry.body).record_id, id);
  assert.equal(await page.textContent('#consent-receipt'), `Vos choix seront transmis dès que le service répondra (enregistrement n° ${id}).`);

  await start();
  // Leaving the page beacons the queued record (the widget's pagehide handler;
  // timers are frozen, so nothing else sends it): the beacon reaches the ledger...
  await page.evaluate(() => dispatchEvent(new PageTransitionEvent('pagehide')));
  const ledgered = await waitFor(() => exported().filter((e) => e.id === id));
  assert.equal(ledgered.length, 1);
  // ...but its fate is unknown to the page: the record stays queued, and the
  // next page load posts it again with the same Idempotency-Key: a replay.
  assert.deepEqual((await queued(page)).map((e) => e.key), [entry.key]);
  await page.reload();
  await page.waitForFunction((rid) => window.consentEvents.some((e) => e.status === 'delivered' && e.id === rid), id);
  assert.deepEqual(await queued(page), []);
  const [delivered] = await page.evaluate(() => window.consentEvents);
  assert.deepEqual([delivered.on, delivered.status, delivered.receipt.id], ['document', 'delivered', id]);
  assert.equal(delivered.receipt.seq, ledgered[0].seq, 'the receipt of the beacon\'s entry, given again');

  // Exactly one ledger entry for that record, whatever arrived.
  assert.equal(exported().filter((e) => e.id === id).length, 1);
  const [found] = await matchEmail(louis.email);
  const access = await api('GET', `/v1/subjects/${found.subject}/consents`);
  assert.deepEqual(access.body.consents.map((c) => c.record.record_id), [id]);
  assert.equal(access.body.consents[0].subject_data.phone, louis.phone);
  assert.deepEqual(access.body.consents[0].record.purposes.map((p) => p.decision), ['granted', 'refused']);
  const v = verify(await publicKey());
  assert.equal(v.code, 0, v.out);
  assert.match(v.out, /OK, 2 entries/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('service_back_while_the_page_stays_the_online_event_delivers_and_fills_the_hidden_input', async () => {
  const ines = { first_name: 'Inès', last_name: 'Martin', email: 'ines.martin@gmail.com', phone_typed: '06 11 22 33 44', phone: '+33611223344', postcode: '75015' };
  const context = await browser.newContext();
  await context.clock.install();
  const { page, errors } = await open('/', context);
  await fillSignup(page, ines);
  await page.clock.pauseAt(await page.evaluate(() => Date.now() + 1000));
  await stop();
  await page.click('#signup button[type=submit]');
  await submitted(page, '#signup', 1);
  const { id, status } = await hidden(page, '#signup');
  assert.equal(status, 'queued');
  await start();
  assert.equal(exported().filter((e) => e.id === id).length, 0, 'nothing reached the ledger while it was down');
  await context.setOffline(true);
  await context.setOffline(false); // the `online` event
  await page.waitForFunction(() => document.querySelector('#signup [name=fiable_consent_receipt_status]').value === 'delivered');
  assert.equal(await page.inputValue('#signup [name=fiable_consent_receipt]'), id);
  assert.equal(await page.textContent('#consent-receipt'), `Vos choix sont enregistrés. Reçu n° ${id}`);
  assert.deepEqual((await page.evaluate(() => window.consentEvents)).map((e) => [e.on, e.status, e.id]), [['signup', 'queued', id], ['signup', 'delivered', id]]);
  assert.deepEqual(await queued(page), []);
  assert.equal(exported().filter((e) => e.id === id).length, 1);
  const v = verify(await publicKey());
  assert.equal(v.code, 0, v.out);
  assert.deepEqual(errors, []);
  await context.close();
});

test('advisor_page_duplicate_warning_from_the_real_match_and_one_click_capture_in_store', async () => {
  assert.ok(people.camille, 'the sign-up test ran first: its person is the known customer');
  const { page, errors, context } = await open('/advisor.html');
  await page.waitForSelector('#customer.fiable-ready', { timeout: 15000 });
  const C = (n) => `#customer [name=${n}]`;
  const warning = page.locator('#customer .fiable-duplicate');
  assert.equal(await warning.textContent(), '');
  // The advisor types the email of the customer who signed up on the web.
  await page.locator(C('email')).pressSequentially(camille.email);
  await page.waitForFunction(() => /existe probablement déjà \(correspondance\s: e-mail\)/.test(document.querySelector('#customer .fiable-duplicate').textContent));
  assert.ok(await warning.evaluate((el) => el.classList.contains('fiable-warning')));
  await page.selectOption(C('civility'), 'Mme');
  await page.fill(C('first_name'), camille.first_name);
  await page.fill(C('last_name'), camille.last_name);
  await page.fill(C('postcode'), camille.postcode);
  // One click relays the customer's answer: SMS yes, the others no.
  await page.click('#c-sms');
  assert.equal(await page.getAttribute('#c-sms', 'aria-pressed'), 'true');
  const shown = (await page.textContent('#w-sms')).trim();
  await page.click('#customer button[type=submit]');
  await submitted(page, '#customer', 1);
  const { id, status } = await hidden(page, '#customer');
  assert.equal(status, 'delivered');
  assert.equal(await page.textContent('#consent-receipt'), `Consentements enregistrés. Reçu n° ${id}`);

  // The same person in the ledger: the store record joins her web sign-up.
  const access = await api('GET', `/v1/subjects/${people.camille.subject}/consents`);
  assert.deepEqual(access.body.consents.map((c) => c.record.record_id), [people.camille.id, id]);
  const { record, subject_data } = access.body.consents[1];
  assert.deepEqual([record.channel, record.collector, record.form], ['store', { advisor_id: 'C-042', store_id: 'paris-11' }, { id: 'advisor-capture', version: '2026-11' }]);
  assert.deepEqual(record.purposes.map((p) => [p.id, p.decision, p.affirmative_action]), [['email', 'refused', false], ['sms', 'granted', true], ['postal', 'refused', false]]);
  assert.equal(record.purposes[1].text, shown);
  assert.equal(record.purposes[1].text, "J'accepte de recevoir par SMS les offres de Boutique Démo.");
  assert.equal(subject_data.email, camille.email);
  // A store record without a key is refused by the service itself (not only by the page).
  const anon = await fetch(`${url}/v1/consents`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'no-key-1' }, body: JSON.stringify({ ...record, record_id: '', sealed: undefined, subject: '', subject_data }) });
  assert.equal(anon.status, 401);
  assert.equal((await anon.json()).error.code, 'auth.required');
  const v = verify(await publicKey());
  assert.equal(v.code, 0, v.out);
  assert.deepEqual(errors, []);
  await context.close();
});

test('advisor_key_refused_401_the_page_says_so_and_the_record_stays_queued_until_a_valid_key', async (t) => {
  t.after(async () => {
    if (svc?.advisorKey === ADVISOR_KEY) return;
    await stop();
    await start(); // the next tests find the service as it was
  });
  // The service now knows another advisor key: the page's is refused.
  await stop();
  await start('another-advisor-key');
  const { page, errors, context } = await open('/advisor.html');
  await page.waitForSelector('#customer.fiable-ready', { timeout: 15000 });
  const C = (n) => `#customer [name=${n}]`;
  await page.check('[name=channel][value=phone]');
  await page.locator(C('email')).pressSequentially('paul.bernard@gmail.com');
  await page.fill(C('last_name'), 'Bernard');
  // The duplicate check is refused too: said once in the console, no warning shown.
  await waitFor(() => errors.filter((e) => /refused the advisor API key \(401\)/.test(e)));
  assert.equal(await page.textContent('#customer .fiable-duplicate'), '');
  // On the phone the call's first answer is on recording: its own record, queued too.
  await page.click('#rec-refuse');
  await page.click('#c-postal');
  await page.click('#customer button[type=submit]');
  await submitted(page, '#customer', 1);
  const { id, status } = await hidden(page, '#customer');
  assert.equal(status, 'queued', 'a refused key is not a refused record: it waits');
  const entries = await queued(page);
  assert.deepEqual(entries.map((e) => JSON.parse(e.body).purposes[0].id).sort(), ['call_recording', 'email']);
  const entry = entries.find((e) => e.id === id);
  assert.equal(entry.advisor, true);
  assert.equal(JSON.parse(entry.body).channel, 'phone');
  assert.equal(exported().filter((e) => e.id === id).length, 0);
  const event = (await page.evaluate(() => window.consentEvents)).find((e) => e.id === id);
  assert.deepEqual([event.status, event.id, event.error?.code], ['queued', id, 'auth.required']);
  assert.match(await page.textContent('#consent-receipt'), new RegExp(`clé conseiller.*refusée.*n° ${id}`, 'i'));
  assert.equal(errors.length, 2, errors.join('\n'));
  assert.match(errors[1], /consent service refused the API key \(HTTP 401\); the record stays queued/);
  await page.close(); // its backoff timer goes with it

  // The right key again: the next advisor page of that browser sends it.
  await stop();
  await start();
  const again = await open('/advisor.html', context);
  await again.page.waitForFunction((rid) => window.consentEvents.some((e) => e.status === 'delivered' && e.id === rid), id);
  assert.deepEqual(await queued(again.page), []);
  const [stored, ...twice] = exported().filter((e) => e.id === id);
  assert.equal(twice.length, 0);
  assert.equal(JSON.parse(stored.record).channel, 'phone');
  assert.deepEqual(again.errors, []);
  await context.close();
});

test('erasure_then_access_says_erased_match_finds_nobody_and_the_chain_still_verifies', async () => {
  assert.ok(people.camille, 'the sign-up test ran first');
  const { subject } = people.camille;
  const before = exported().length;
  assert.equal((await api('DELETE', `/v1/subjects/${subject}`, { key: ADVISOR_KEY })).status, 401, 'an advisor cannot erase');
  const erased = await api('DELETE', `/v1/subjects/${subject}`);
  assert.equal(erased.status, 200);
  assert.equal(erased.body.subject, subject);
  assert.equal(erased.body.records, 2, 'her web sign-up and the store capture');
  const access = await api('GET', `/v1/subjects/${subject}/consents`);
  assert.equal(access.body.erased, true);
  assert.equal(access.body.erasure.erased_at, erased.body.erased_at);
  const records = access.body.consents.filter((c) => c.record.record_id !== erased.body.receipt.id);
  assert.equal(records.length, 2);
  for (const c of records) {
    assert.equal(c.erased, true);
    assert.equal(c.subject_data, undefined);
  }
  // The proof stays: who agreed to what wording, without who.
  assert.equal(records[0].record.purposes[0].text, NEWSLETTER);
  assert.deepEqual(await matchEmail(camille.email), []);
  assert.deepEqual((await api('POST', '/v1/match', { key: ADVISOR_KEY, body: { email: camille.email } })).body.matches, []);
  assert.equal(exported().length, before + 1, 'erasure appends a record, deletes none');
  // A second erasure answers the first again.
  const replay = await api('DELETE', `/v1/subjects/${subject}`);
  assert.deepEqual([replay.status, replay.body.receipt.id], [200, erased.body.receipt.id]);
  const v = verify(await publicKey());
  assert.equal(v.code, 0, v.out);
  assert.match(v.out, new RegExp(`OK, ${before + 1} entries`));
});
