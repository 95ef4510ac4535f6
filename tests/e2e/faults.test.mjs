// Every remote answer fails open, proven by fault injection: Debian's
// Chromium talks to a fault-injecting proxy (./faults.mjs) in front of the
// REAL service (`fiable-lookup serve`, the release build `make test` makes),
// and each fault is put on every route the pages call: the mail-domain
// check, the address routes, the consent ledger, the advisor's duplicate
// check. A second service asks a resolver that says NXDOMAIN to everything
// (dnsmasq `--address=/#/`, what an offline laptop or a captive portal
// gives). For each fault, a person fills the demo form with valid data and
// sends it: the form submits, no field is marked invalid because of the
// fault, the consent record is queued and reaches the ledger once the fault
// clears (exactly one entry), and nothing is logged as an uncaught error.
// The advisor page, under the same faults, says calmly that the duplicate
// check is unavailable and that the consents will be sent, never blocks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './browser.mjs';
import { lookupService } from './harness.mjs';
import { FAULTS, dnsmasq, faultProxy } from './faults.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = resolve(root, process.env.CARGO_TARGET_DIR ?? 'target', 'release/fiable-lookup');
const ADMIN_KEY = randomBytes(16).toString('hex');
/** The routes the demo and advisor pages call; each gets the fault. */
const ROUTES = ['/v1/email/', '/v1/address/', '/v1/consents', '/v1/match'];
const ZONE = 'fiable-test.com';

/** Screenshots of each fault, as the person sees it. */
const artifacts = fileURLToPath(new URL('../artifacts/', import.meta.url));
let dir, good, liar, truthful, lying, proxy, browser;

/** A service with a ledger of its own in `dir`/`name`, asking DNS on `dnsPort`. */
async function service(name, dnsPort) {
  const db = join(dir, `${name}.sqlite`);
  const svc = await lookupService('www', [
    '--consent-db', db, '--consent-key', join(dir, `${name}.key`), '--consent-index-key', join(dir, `${name}.index.key`),
    '--api-key', 'advisor:demo-advisor-key', '--api-key', `admin:${ADMIN_KEY}`,
    '--dns-upstream', `127.0.0.1:${dnsPort}`, '--dns-timeout-ms', '500',
  ]);
  return { ...svc, db };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fiable-faults-'));
  mkdirSync(artifacts, { recursive: true });
  // The truthful resolver: the canary gmail.com receives mail, the test zone is local.
  good = await dnsmasq([`--local=/${ZONE}/`, '--mx-host=gmail.com,gmail-smtp-in.l.google.com,5']);
  liar = await dnsmasq(['--address=/#/']);
  truthful = await service('truthful', good.port);
  lying = await service('lying', liar.port);
  proxy = await faultProxy(truthful.url);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await proxy?.close();
  await truthful?.stop();
  await lying?.stop();
  await good?.stop();
  await liar?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `fiable-lookup export` of a service's ledger: its entries. */
function exported(svc) {
  const r = spawnSync(bin, ['export', '--consent-db', svc.db], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').slice(1).map((l) => JSON.parse(l));
}

/**
 * A page through the proxy, in a context of its own (its own consent
 * queue). Errors: uncaught exceptions and console errors, except the
 * browser's own "Failed to load resource" lines, which Chromium prints for
 * any failed request and no page code can silence.
 */
async function open(path) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`uncaught: ${e}`));
  page.on('console', (m) => m.type() === 'error' && !/^Failed to load resource/.test(m.text()) && errors.push(m.text()));
  await page.addInitScript(() => {
    window.consentEvents = [];
    document.addEventListener('fiable:consent', (e) => window.consentEvents.push({ ...e.detail }));
  });
  await page.goto(proxy.url + path);
  return { page, errors, context };
}

const invalidFields = (page, form) => page.$$eval(`${form} [aria-invalid=true]`, (els) => els.map((e) => e.name));
const submitted = (page, form) => page.waitForFunction((f) => document.querySelector(f).dataset.submitted === '1', form, { timeout: 15000 });
const delivered = (page, id) => page.waitForFunction((rid) => window.consentEvents.some((e) => e.status === 'delivered' && e.id === rid), id, { timeout: 30000 });

/** Waits until `f()` holds (5 s at most). */
async function until(f, what) {
  for (let i = 0; !f(); i++) {
    assert.ok(i < 50, `never: ${what}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

/** Someone new for each test (the ledger keeps them all). */
let n = 0;
const person = () => {
  n += 1;
  return { first: 'Jean', last: `Dupont${'abcdefghijklmnopqrstuvwxyz'[n % 26]}`, email: `jean.dupont.${n}@gmail.com` };
};

/**
 * The demo form, filled and sent as a person would while `fault` (or the
 * lying resolver) is on; `svc` is the service whose ledger gets the record.
 */
async function demoUnder(fault, svc) {
  proxy.target = svc.url;
  proxy.resetHits();
  for (const r of ROUTES) if (fault) proxy.fault(r, fault);
  else proxy.watch(r);
  const p = person();
  const { page, errors, context } = await open('/');
  const S = (name) => `#signup [name=${name}]`;
  await page.waitForSelector('#signup.fiable-ready', { timeout: 15000 });
  await page.selectOption(S('civility'), 'M.');
  await page.fill(S('first_name'), p.first);
  await page.fill(S('last_name'), p.last);
  await page.locator(S('email')).pressSequentially(p.email);
  await page.locator(S('phone')).focus(); // leaving the email field asks about its domain
  await page.locator(S('phone')).pressSequentially('06 12 34 56 78');
  await page.fill(S('birth_date'), '23/11/1990');
  await page.locator(S('street')).pressSequentially('12 rue de la Roq'); // the address autocomplete asks while typing
  // (A 429 pauses every call to the service for its Retry-After: then the search is not sent.)
  if (fault !== '429') await until(() => proxy.hits('/v1/address/') >= 1, 'the address search was asked');
  await page.fill(S('street'), '12 rue de la Roquette');
  await page.fill(S('postcode'), '75011');
  await page.fill(S('city'), 'Paris');
  await page.check(S('consent_newsletter'));
  assert.ok(proxy.hits('/v1/email/') >= 1, 'the domain was asked');
  await page.click('#signup button[type=submit]');
  await submitted(page, '#signup');
  // Nothing marked invalid because of the fault; the email is not called non-existent.
  assert.deepEqual(await invalidFields(page, '#signup'), []);
  assert.doesNotMatch(await page.textContent(`${S('email')} + .fiable-hint`), /existe pas|reçoit pas/);
  assert.ok(await page.$eval(S('email'), (el) => el.classList.contains('fiable-valid')), 'the email keeps its local verdict');
  const status = await page.inputValue(S('fiable_consent_receipt_status'));
  const id = await page.inputValue(S('fiable_consent_receipt'));
  assert.match(id, /^[0-9a-f-]{36}$/);
  const shown = await page.textContent('#consent-receipt');
  if (fault) {
    // The consent route fails too: the record waits in the page.
    assert.equal(status, 'queued');
    assert.equal(shown, `Vos choix seront transmis dès que le service répondra (enregistrement n° ${id}).`);
    assert.equal(exported(svc).filter((e) => e.id === id).length, 0);
    await page.screenshot({ path: join(artifacts, `faults-demo-${fault}.png`), fullPage: true });
    proxy.clear();
  }
  await delivered(page, id);
  await page.waitForFunction(() => document.getElementById('consent-receipt').dataset.status === 'delivered');
  assert.match(await page.textContent('#consent-receipt'), /^Vos choix sont enregistrés\. Reçu n° /);
  assert.equal(exported(svc).filter((e) => e.id === id).length, 1, 'exactly one ledger entry');
  assert.deepEqual(errors, []);
  await context.close();
}

for (const fault of FAULTS) {
  test(`demo_form_submits_under_${fault}_and_its_consent_arrives_once_the_fault_clears`, async () => {
    await demoUnder(fault, truthful);
  });
}

test('demo_form_submits_when_the_resolver_says_nxdomain_to_everything', async () => {
  // The service probes its canaries at start: degraded once the first probe is in.
  let h;
  for (let i = 0; i < 50; i++) {
    h = await (await fetch(`${lying.url}/healthz`)).json();
    if (h.dns.status !== 'checking') break;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  assert.deepEqual([h.status, h.dns.status], ['degraded', 'degraded'], JSON.stringify(h));
  assert.match(h.dns.reason, /NXDOMAIN for every canary/);
  const d = await (await fetch(`${lying.url}/v1/email/domain?d=gmail.com`)).json();
  assert.deepEqual([d.status, d.code], ['unknown', 'email.domain_unknown']);
  await demoUnder(null, lying);
});

/** The advisor page under `fault` (or the lying resolver), delivering to `svc`. */
async function advisorUnder(fault, svc) {
  proxy.target = svc.url;
  for (const r of ROUTES) if (fault) proxy.fault(r, fault);
  const p = person();
  const { page, errors, context } = await open('/advisor.html');
  const C = (name) => `#customer [name=${name}]`;
  await page.waitForSelector('#customer.fiable-ready', { timeout: 15000 });
  const box = page.locator('#customer .fiable-duplicate');
  await page.locator(C('email')).pressSequentially(p.email);
  await page.fill(C('last_name'), p.last);
  await page.fill(C('first_name'), p.first);
  await page.locator(C('postcode')).pressSequentially('75011');
  await page.locator(C('phone')).focus();
  const unavailable = 'Recherche de doublons indisponible pour le moment\u00a0: la saisie continue normalement.';
  if (fault) {
    // The duplicate check cannot be made: a calm line, not a warning, and nothing blocked.
    await page.waitForFunction((t) => document.querySelector('#customer .fiable-duplicate').textContent === t, unavailable, { timeout: 15000 });
    assert.equal(await box.evaluate((el) => el.classList.contains('fiable-warning')), false);
    await page.screenshot({ path: join(artifacts, `faults-advisor-${fault}.png`) });
  } else {
    // The duplicate check answers (nobody known): nothing to say.
    await page.waitForTimeout(1000);
    assert.equal(await box.textContent(), '');
  }
  await page.click('#c-email');
  await page.click('#customer button[type=submit]');
  await submitted(page, '#customer');
  assert.deepEqual(await invalidFields(page, '#customer'), []);
  const id = await page.inputValue(C('fiable_consent_receipt'));
  if (fault) {
    assert.equal(await page.inputValue(C('fiable_consent_receipt_status')), 'queued');
    assert.equal(await page.textContent('#consent-receipt'), `Consentements en attente d'envoi (enregistrement n° ${id}) : ils partiront dès que le service répondra.`);
    proxy.clear();
  }
  await delivered(page, id);
  await page.waitForFunction(() => document.getElementById('consent-receipt').dataset.status === 'delivered');
  assert.equal(exported(svc).filter((e) => e.id === id).length, 1, 'exactly one ledger entry');
  if (fault) {
    // The next change asks again, and the answer replaces the calm line.
    await page.locator(C('phone')).pressSequentially('06 98 76 54 32');
    await page.locator(C('civility')).focus();
    await page.waitForFunction((t) => document.querySelector('#customer .fiable-duplicate').textContent !== t, unavailable, { timeout: 15000 });
  }
  assert.deepEqual(errors, []);
  await context.close();
}

for (const fault of FAULTS) {
  test(`advisor_page_under_${fault}_says_the_duplicate_check_is_unavailable_and_queues_the_consents`, async () => {
    await advisorUnder(fault, truthful);
  });
}

test('advisor_page_works_when_the_resolver_says_nxdomain_to_everything', async () => {
  await advisorUnder(null, lying);
});
