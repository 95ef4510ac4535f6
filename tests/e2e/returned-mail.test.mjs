// Returned mail (NPAI) end to end against the REAL service (`fiable-lookup
// serve`, the release build `make test` makes first) with a ledger of its own
// in a temp dir, and Debian's Chromium on the demo pages: the shop reports a
// letter that came back, then the person's own sign-up form warns on the
// street field (only the email and the address typed are sent), and the
// advisor's duplicate warning gives the day it came back. The service's DNS
// port answers nothing: mail-domain checks stay "unknown".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './browser.mjs';
import { holdBack } from './harness.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = resolve(root, process.env.CARGO_TARGET_DIR ?? 'target', 'release/fiable-lookup');
const ADVISOR_KEY = randomBytes(16).toString('hex');
const ADMIN_KEY = randomBytes(16).toString('hex');
const EMAIL = 'camille.lefevre@gmail.com';

let dir, svc, url, browser;

const freePort = () => new Promise((ok, ko) => {
  const s = createServer().once('error', ko).listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => ok(port));
  });
});

before(async () => {
  assert.ok(existsSync(bin), `${bin} is missing: build it with cargo build --release -p fiable-lookup (make test does)`);
  dir = mkdtempSync(join(tmpdir(), 'fiable-npai-e2e-'));
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  svc = spawn(bin, [
    'serve', '--bind', `127.0.0.1:${port}`, '--www', 'www', '--pkg', 'pkg',
    '--consent-db', join(dir, 'consent.sqlite'), '--consent-key', join(dir, 'receipts.key'),
    '--api-key', `advisor:${ADVISOR_KEY}`, '--api-key', `admin:${ADMIN_KEY}`,
    '--dns-upstream', '127.0.0.1:9', '--dns-timeout-ms', '200',
  ], { cwd: root, stdio: 'ignore' });
  for (let i = 0; ; i++) {
    if (svc.exitCode !== null) assert.fail(`fiable-lookup serve exited with ${svc.exitCode}`);
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) break;
    assert.ok(i < 300, 'fiable-lookup serve did not come up');
    await new Promise((ok) => setTimeout(ok, 100));
  }
  browser = await launch();
});

after(async () => {
  await browser?.close();
  if (svc && svc.exitCode === null) {
    svc.kill('SIGTERM');
    await new Promise((ok) => svc.once('exit', ok));
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function api(method, path, body, key = ADVISOR_KEY) {
  const res = await fetch(url + path, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

/** Camille (or `email`) is a customer (a consent record with her email), and a letter to her came back. */
async function knownCustomerWhoseMailCameBack(email = EMAIL) {
  const record = JSON.parse(readFileSync(join(root, 'consent/tests/fixtures/consent_record.json'), 'utf8'));
  delete record.withdraws;
  delete record.record_id;
  Object.assign(record, { channel: 'web', subject: '', subject_data: { email } });
  for (const p of record.purposes) p.text_sha256 = '';
  const r = await api('POST', '/v1/consents', record);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const report = await api('POST', '/v1/address/returned', {
    email, address: { text: '8 Boulevard Voltaire, 75011 PARIS' }, returned_on: '2026-11-02', reason: 'npai',
  });
  assert.equal(report.status, 201, JSON.stringify(report.body));
  assert.equal(report.body.subject, r.body.subject);
  return r.body.subject;
}

const S = (n) => `#signup [name=${n}]`;

/** On the demo form, once ready: the email and an address typed, the street left for the phone field. */
async function typeAddressAndLeave(page, email) {
  await page.goto(`${url}/`);
  await page.waitForSelector('#signup.fiable-ready', { timeout: 15000 });
  for (const [name, value] of [['email', email], ['postcode', '75011'], ['city', 'Paris'], ['street', '8 bd Voltaire']]) await page.fill(S(name), value);
  await page.locator(S('phone')).focus();
}

test('the_persons_own_form_warns_on_the_street_field_and_the_advisor_sees_the_day', async () => {
  const subject = await knownCustomerWhoseMailCameBack();

  const page = await browser.newPage();
  const errors = [];
  const sent = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && !/^Failed to load resource/.test(m.text()) && errors.push(m.text()));
  page.on('request', (r) => r.url().includes('/v1/address/returned') && sent.push({ path: new URL(r.url()).pathname, body: r.postData() }));
  await typeAddressAndLeave(page, EMAIL);
  await page.waitForFunction(() => document.querySelector('#signup [name=street]').classList.contains('fiable-warning'));
  assert.equal(await page.textContent(`${S('street')} + .fiable-hint`), 'Un courrier envoyé à cette adresse nous est revenu\u00a0: merci de la vérifier.');
  assert.equal(await page.getAttribute(S('street'), 'aria-invalid'), null, 'a warning, not an error');
  // What left the page: the email and the address typed, nothing else.
  assert.deepEqual(sent.map((s) => [s.path, JSON.parse(s.body)]).at(-1),
    ['/v1/address/returned/check', { email: EMAIL, address: { text: '8 bd Voltaire 75011 Paris' } }]);

  // Another number in the street: no warning.
  await page.fill(S('street'), '10 bd Voltaire');
  await page.locator(S('phone')).focus();
  await page.waitForFunction(() => document.querySelector('#signup [name=street]').classList.contains('fiable-valid'));
  assert.equal(JSON.parse(sent.at(-1).body).address.text, '10 bd Voltaire 75011 Paris');
  assert.deepEqual(errors, []);
  await page.close();

  // The advisor types her email: "probably exists already", and the day the letter came back.
  const context = await browser.newContext();
  const adv = await context.newPage();
  await adv.addInitScript((key) => sessionStorage.setItem('fiable-advisor-key', key), ADVISOR_KEY);
  await adv.goto(`${url}/advisor.html`);
  await adv.waitForSelector('#customer.fiable-ready', { timeout: 15000 });
  await adv.locator('#customer [name=email]').pressSequentially(EMAIL);
  await adv.waitForFunction(() => /revenu le/.test(document.querySelector('#customer .fiable-duplicate').textContent));
  const box = await adv.textContent('#customer .fiable-duplicate');
  assert.match(box, /existe probablement déjà/);
  assert.match(box, /Le courrier envoyé à cette adresse est revenu le 0?2\/11\/2026\u00a0: vérifiez l’adresse\./);

  // Her access export lists the report; her erasure removes it, and the form no longer warns.
  const access = await api('GET', `/v1/subjects/${subject}/consents`, null, ADMIN_KEY);
  assert.deepEqual(access.body.returned_mail.map((r) => [r.returned_on, r.reason, r.address.text]), [['2026-11-02', 'npai', '8 Boulevard Voltaire, 75011 PARIS']]);
  assert.equal((await api('DELETE', `/v1/subjects/${subject}`, null, ADMIN_KEY)).status, 200);
  const again = await fetch(`${url}/v1/address/returned/check`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: EMAIL, address: { text: '8 bd Voltaire 75011 Paris' } }) });
  assert.deepEqual(await again.json(), { returned: false });
  await context.close();
});

test('the_street_left_while_the_email_domain_is_still_asked_about_gets_its_warning_once_answered', async () => {
  // A quick person (or the browser's autofill): the address is left while
  // the email is still "pending" (its domain being asked about), when the
  // returned-mail question cannot be asked yet; the domain's answer asks it.
  const email = 'dominique.roux@gmail.com';
  await knownCustomerWhoseMailCameBack(email);
  const page = await browser.newPage();
  const sent = [];
  page.on('request', (r) => r.url().includes('/v1/address/returned') && sent.push(r.postData()));
  const { release } = await holdBack(page, '**/v1/email/domain*');
  await typeAddressAndLeave(page, email);
  await page.waitForFunction(() => document.querySelector('#signup [name=street]').classList.contains('fiable-valid'));
  assert.deepEqual(sent, [], 'not asked while the email is pending');
  release();
  await page.waitForFunction(() => document.querySelector('#signup [name=street]').classList.contains('fiable-warning'));
  assert.deepEqual(JSON.parse(sent.at(-1)), { email, address: { text: '8 bd Voltaire 75011 Paris' } });
  await page.close();
});
