// Consent to record a call, end to end: the advisor page (www/advisor.html)
// on the phone channel in Debian's Chromium, against the REAL service
// (`fiable-lookup serve`, the release build) with a SQLite ledger of its own.
// The call's first action is the customer's answer on recording; it lands in
// the ledger as a record of its own (channel phone, the sentence read out as
// the purpose text, the time of the click), before the usual purposes'
// record, under the same pseudonym. Read back through the admin API and
// checked with `fiable-lookup verify`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './browser.mjs';
import { lookupService } from './harness.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = resolve(root, process.env.CARGO_TARGET_DIR ?? 'target', 'release/fiable-lookup');
const ADVISOR_KEY = randomBytes(16).toString('hex');
const ADMIN_KEY = randomBytes(16).toString('hex');
const SENTENCE = 'Cet appel peut être enregistré par Boutique Démo pour la qualité du service et la formation de nos conseillers. Acceptez-vous que cet appel soit enregistré ?';

let dir, db, svc, browser;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fiable-call-recording-'));
  db = join(dir, 'consent.sqlite');
  svc = await lookupService('www', [
    '--pkg', 'pkg', '--consent-db', db, '--consent-key', join(dir, 'receipts.key'), '--consent-index-key', join(dir, 'index.key'),
    '--api-key', `advisor:${ADVISOR_KEY}`, '--api-key', `admin:${ADMIN_KEY}`, '--dns-upstream', '127.0.0.1:9', '--dns-timeout-ms', '200',
  ]);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await svc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function api(method, path, body) {
  const res = await fetch(svc.url + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

/** The advisor page on the phone channel, the key typed earlier in the tab. */
async function phonePage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && !/^Failed to load resource/.test(m.text()) && errors.push(m.text()));
  await page.addInitScript((key) => sessionStorage.setItem('fiable-advisor-key', key), ADVISOR_KEY);
  await page.goto(`${svc.url}/advisor.html`);
  await page.waitForSelector('#customer.fiable-ready', { timeout: 15000 });
  await page.check('[name=channel][value=phone]');
  await page.waitForFunction(() => !document.getElementById('recording').hidden && document.getElementById('c-email').disabled);
  await page.waitForSelector('#customer.fiable-ready', { timeout: 15000 });
  return { page, errors, context };
}

async function fill(page, p) {
  const C = (n) => `#customer [name=${n}]`;
  await page.fill(C('first_name'), p.first_name);
  await page.fill(C('last_name'), p.last_name);
  await page.fill(C('email'), p.email);
}

/** Submits and waits for the page's own handler (both records answered first). */
async function submit(page, n) {
  await page.click('#customer button[type=submit]');
  await page.waitForFunction((k) => document.getElementById('customer').dataset.submitted === String(k), n);
}

/** The records of the one subject the email matches, oldest first. */
async function recordsOf(email) {
  const m = await api('POST', '/v1/match', { email });
  assert.equal(m.status, 200);
  assert.equal(m.body.matches.length, 1, 'one person, one pseudonym');
  const access = await api('GET', `/v1/subjects/${m.body.matches[0].subject}/consents`);
  assert.equal(access.status, 200);
  return access.body.consents.map((c) => ({ ...c.record, subject_data: c.subject_data }));
}

test('phone_call_recording_agreed_first_then_the_purposes_two_records_in_the_ledger', async () => {
  const { page, errors, context } = await phonePage();
  // Before the recording answer the purposes cannot be pressed, and a submit is held with a prompt.
  await fill(page, { first_name: 'Louise', last_name: 'Martin', email: 'louise.martin@gmail.com' });
  await page.click('#customer button[type=submit]');
  await page.waitForFunction(() => /enregistrement de l'appel/.test(document.querySelector('.fiable-call-recording').textContent));
  assert.equal(await page.evaluate(() => document.getElementById('customer').dataset.submitted), undefined, 'the submit was held');
  assert.ok(await page.isDisabled('#c-sms'));
  const before = Date.now();
  await page.click('#rec-agree');
  assert.equal(await page.getAttribute('#rec-agree', 'aria-pressed'), 'true');
  assert.ok(await page.isDisabled('#rec-refuse'), 'one answer per call');
  assert.ok(!(await page.isDisabled('#c-sms')));
  await page.click('#c-sms');
  await submit(page, 1);
  const [call, purposes, ...more] = await recordsOf('louise.martin@gmail.com');
  assert.equal(more.length, 0);
  assert.deepEqual(call.purposes.map((p) => [p.id, p.decision, p.affirmative_action, p.text]), [['call_recording', 'granted', true, SENTENCE]]);
  assert.equal(call.channel, 'phone');
  assert.deepEqual(call.collector, { advisor_id: 'C-042', store_id: 'paris-11' });
  assert.ok(Date.parse(call.acted_at) >= before - 1000 && Date.parse(call.acted_at) <= Date.parse(purposes.acted_at), 'the click came first');
  assert.equal(call.subject_data.email, 'louise.martin@gmail.com');
  assert.equal(purposes.channel, 'phone');
  assert.deepEqual(purposes.purposes.map((p) => [p.id, p.decision]), [['email', 'refused'], ['sms', 'granted'], ['postal', 'refused']]);
  // A second submit of the same call does not record the recording answer twice.
  await page.fill('#customer [name=first_name]', 'Louisa');
  await submit(page, 2);
  const again = await recordsOf('louise.martin@gmail.com');
  assert.deepEqual(again.map((r) => r.purposes[0].id), ['call_recording', 'email', 'email']);
  assert.deepEqual(errors, []);
  await context.close();
});

test('phone_call_recording_refused_is_recorded_too_and_the_next_call_asks_again', async () => {
  const { page, errors, context } = await phonePage();
  await page.click('#rec-refuse');
  assert.equal(await page.getAttribute('#rec-refuse', 'aria-pressed'), 'true');
  await fill(page, { first_name: 'Paul', last_name: 'Bernard', email: 'paul.bernard@orange.fr' });
  await submit(page, 1);
  const [call, purposes] = await recordsOf('paul.bernard@orange.fr');
  assert.deepEqual(call.purposes.map((p) => [p.id, p.decision, p.text]), [['call_recording', 'refused', SENTENCE]]);
  assert.equal(call.channel, 'phone');
  assert.deepEqual(purposes.purposes.map((p) => p.decision), ['refused', 'refused', 'refused']);
  // The next call (the form reset) asks again.
  await page.evaluate(() => document.getElementById('customer').reset());
  assert.equal(await page.getAttribute('#rec-refuse', 'aria-pressed'), 'false');
  assert.ok(!(await page.isDisabled('#rec-agree')));
  assert.ok(await page.isDisabled('#c-email'));
  // In the store, no recording question: the purposes are free.
  await page.check('[name=channel][value=store]');
  await page.waitForFunction(() => document.getElementById('recording').hidden);
  await page.waitForSelector('#customer.fiable-ready');
  assert.ok(!(await page.isDisabled('#c-email')));
  const v = spawnSync(bin, ['verify', '--ledger', db], { encoding: 'utf8' });
  assert.equal(v.status, 0, v.stdout + v.stderr);
  assert.deepEqual(errors, []);
  await context.close();
});
