// The widget with the REAL lookup service: `fiable-lookup serve` (built by
// `make test` before this runs) serves the demo page, the package and the API
// on 127.0.0.1 and a free port; its mail-domain checks ask a dnsmasq started
// here on loopback, so nothing touches the internet. Both are stopped at the
// end (the service earlier: the last test kills it to see the form without it).
// dnsmasq is required (apt-get install dnsmasq, or set FIABLE_DNSMASQ).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './browser.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = resolve(root, process.env.CARGO_TARGET_DIR ?? 'target', 'release/fiable-lookup');
const dnsmasqBin = process.env.FIABLE_DNSMASQ ?? (existsSync('/usr/sbin/dnsmasq') ? '/usr/sbin/dnsmasq' : 'dnsmasq');
const ZONE = 'fiable-test.com';
/** In the service's full disposable list, not in the core's short one: only the service knows. */
const DISPOSABLE = '0-180.com';

let dns, svc, url, browser;

const freeTcpPort = () => new Promise((ok, ko) => {
  const s = createServer().once('error', ko).listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => ok(port));
  });
});

const freeUdpPort = () => new Promise((ok) => {
  const s = createSocket('udp4').bind(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => ok(port));
  });
});

/** One DNS query for probe.<zone>; true when anything answers within 200 ms. */
function probe(port) {
  const q = Buffer.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0,
    ...`probe.${ZONE}`.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]), 0, 0, 1, 0, 1]);
  return new Promise((ok) => {
    const s = createSocket('udp4');
    const done = (v) => { clearTimeout(t); s.close(); ok(v); };
    const t = setTimeout(() => done(false), 200);
    s.once('message', () => done(true));
    s.send(q, port, '127.0.0.1');
  });
}

const exited = (child) => new Promise((ok) => (child.exitCode !== null || child.signalCode !== null ? ok() : child.once('exit', ok)));

async function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await exited(child);
}

before(async () => {
  assert.ok(existsSync(bin), `${bin} is missing: build it with cargo build --release -p fiable-lookup (make test does)`);
  for (let attempt = 0; !dns && attempt < 5; attempt++) {
    const port = await freeUdpPort();
    const child = spawn(dnsmasqBin, [
      '--no-daemon', '--conf-file=/dev/null', `--port=${port}`, '--listen-address=127.0.0.1', '--bind-interfaces',
      '--no-resolv', '--no-hosts', '--pid-file', '--log-facility=-', '--local-ttl=60',
      `--local=/${ZONE}/`, // everything else in the zone: NXDOMAIN
      `--mx-host=mail.${ZONE},mx.mail.${ZONE},10`,
      '--mx-host=gmail.com,gmail-smtp-in.l.google.com,5',
      `--mx-host=${DISPOSABLE},mx.${DISPOSABLE},10`,
      `--mx-host=nullmx.${ZONE},.,0`, // RFC 7505: no mail here
    ], { stdio: 'ignore' });
    child.on('error', () => {});
    for (let i = 0; i < 50 && child.exitCode === null; i++) {
      if (await probe(port)) {
        dns = { child, port };
        break;
      }
    }
    if (!dns) await stop(child);
  }
  assert.ok(dns, `dnsmasq (${dnsmasqBin}) would not start: the lookup tests need it (apt-get install dnsmasq, or set FIABLE_DNSMASQ)`);

  const port = await freeTcpPort();
  url = `http://127.0.0.1:${port}`;
  svc = spawn(bin, ['serve', '--bind', `127.0.0.1:${port}`, '--dns-upstream', `127.0.0.1:${dns.port}`, '--dns-timeout-ms', '1000'],
    { cwd: root, stdio: 'ignore' });
  for (let i = 0; ; i++) {
    if (svc.exitCode !== null) assert.fail(`fiable-lookup serve exited with ${svc.exitCode}`);
    const up = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (up) break;
    assert.ok(i < 300, 'fiable-lookup serve did not come up');
    await new Promise((ok) => setTimeout(ok, 100));
  }
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await stop(svc);
  await stop(dns?.child);
});

/**
 * The demo page from the service (or `from`); uncaught errors and console errors other than the browser's
 * network lines are collected; `prepare(page)` runs before the page loads (routes).
 */
async function open({ from = url, prepare } = {}) {
  const page = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
  const errors = [];
  const asked = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && !/^Failed to load resource/.test(m.text()) && errors.push(m.text()));
  page.on('request', (r) => r.url().includes('/v1/') && asked.push(r.url()));
  await prepare?.(page);
  await page.goto(`${from}/`);
  await page.waitForSelector('#signup.fiable-ready', { timeout: 15000 });
  return { page, errors, asked };
}

const S = (name) => `#signup [name=${name}]`;
const hint = (name) => `${S(name)} + .fiable-hint`;

/** Records the statuses (and the live region's text) the email field goes through. */
const recordVerdicts = (page) => page.evaluate(() => {
  window.seen = [];
  document.querySelector('#signup [name=email]').addEventListener('fiable:verdict', (e) => {
    window.seen.push({ status: e.detail.status, code: e.detail.code, live: document.querySelector('#signup .fiable-live').textContent });
  });
});
const waitCode = (page, code) => page.waitForFunction((c) => window.seen.some((v) => v.code === c), code);

test('street_autocomplete_keyboard_and_mouse', async () => {
  const { page, errors, asked } = await open();
  const street = page.locator(S('street'));
  assert.equal(await street.getAttribute('role'), 'combobox');
  assert.equal(await street.getAttribute('aria-expanded'), 'false');
  const listbox = page.locator(`#${await street.getAttribute('aria-controls')}`);
  assert.equal(await listbox.getAttribute('role'), 'listbox');
  await street.pressSequentially('12 r de la roquette');
  await listbox.locator('[role=option]').first().waitFor();
  assert.equal(await street.getAttribute('aria-expanded'), 'true');
  assert.match(await listbox.locator('[role=option]').first().textContent(), /^12 Rue de la Roquette 75011 Paris$/);
  assert.ok((await listbox.locator('[role=option]').count()) <= 6);
  // Keyboard only: ArrowDown selects the first option, Enter chooses it (and does not submit).
  await page.keyboard.press('ArrowDown');
  const first = listbox.locator('[role=option]').first();
  assert.equal(await first.getAttribute('aria-selected'), 'true');
  assert.equal(await street.getAttribute('aria-activedescendant'), await first.getAttribute('id'));
  await page.keyboard.press('End');
  assert.equal(await listbox.locator('[role=option]').last().getAttribute('aria-selected'), 'true');
  await page.keyboard.press('Home');
  assert.equal(await first.getAttribute('aria-selected'), 'true');
  await page.keyboard.press('Enter');
  assert.equal(await street.inputValue(), '12 Rue de la Roquette');
  await page.waitForFunction(() => document.querySelector('#signup [name=postcode]').value === '75011');
  assert.equal(await page.inputValue(S('city')), 'Paris');
  assert.equal(await street.getAttribute('aria-expanded'), 'false');
  assert.equal(await street.getAttribute('aria-activedescendant'), null);
  await page.waitForFunction(() => document.querySelector('#signup [name=postcode]').classList.contains('fiable-valid'));
  await page.waitForFunction(() => document.querySelector('#signup [name=city]').classList.contains('fiable-valid'));
  assert.equal(await page.getAttribute('#signup', 'data-submitted'), null);
  // Only the typed fragment left the page (and, once valid, the postcode narrows the search).
  assert.ok(asked.every((u) => new URL(u).pathname === '/v1/address/search'), asked.join('\n'));
  assert.equal(new URL(asked.at(-1)).searchParams.get('limit'), '6');

  // Escape closes; the mouse chooses; the typed number is never dropped.
  await street.fill('');
  await street.pressSequentially('7 r de la roquette');
  await listbox.locator('[role=option]').first().waitFor();
  assert.equal(new URL(asked.at(-1)).searchParams.get('postcode'), '75011');
  await page.keyboard.press('Escape');
  assert.equal(await street.getAttribute('aria-expanded'), 'false');
  await page.keyboard.press('ArrowDown');
  assert.equal(await street.getAttribute('aria-expanded'), 'true');
  await listbox.locator('[role=option]').first().click();
  assert.match(await street.inputValue(), /^7 .*Roquette$/);
  assert.equal(await page.evaluate(() => document.activeElement.name), 'street');
  // Leaving the field closes the list.
  await street.pressSequentially(' ');
  await page.keyboard.press('Backspace');
  await page.locator(S('phone')).focus();
  assert.equal(await street.getAttribute('aria-expanded'), 'false');
  assert.deepEqual(errors, []);
  await page.close();
});

test('email_domain_not_found_pending_then_invalid_only_the_domain_sent', async () => {
  const { page, errors, asked } = await open();
  await page.fill(S('last_name'), 'Dupont'); // the only other required field
  await recordVerdicts(page);
  await page.fill(S('email'), 'jean.dupont@nope.fiable-test.com');
  await page.locator(S('phone')).focus();
  await waitCode(page, 'email.domain_not_found');
  const seen = await page.evaluate(() => window.seen);
  const pending = seen.findIndex((v) => v.status === 'pending');
  assert.ok(pending >= 0 && pending < seen.findIndex((v) => v.code === 'email.domain_not_found'), JSON.stringify(seen));
  assert.equal(seen[pending].live, 'Vérification du domaine…');
  assert.equal(seen.at(-1).status, 'invalid');
  await page.waitForFunction(() => document.querySelector('#signup [name=email]').classList.contains('fiable-invalid'));
  assert.equal(await page.textContent(hint('email')), 'Ce domaine n\u2019existe pas\u00a0: vérifiez ce qui suit le «\u00a0@\u00a0».');
  assert.equal(await page.getAttribute(S('email'), 'aria-invalid'), 'true');
  assert.deepEqual(asked.map((u) => new URL(u).pathname + new URL(u).search), ['/v1/email/domain?d=nope.fiable-test.com']);
  // The invalid domain blocks the submit, like any invalid verdict.
  await page.click('#signup button[type=submit]');
  await page.waitForFunction(() => document.activeElement?.name === 'email');
  assert.equal(await page.getAttribute('#signup', 'data-submitted'), null);
  // A domain that receives mail: valid again (and each domain is asked once per page).
  await page.fill(S('email'), 'jean.dupont@gmail.com');
  await page.locator(S('phone')).focus();
  await page.waitForFunction(() => window.seen.at(-1).status === 'valid' && window.seen.some((v) => v.live === 'Vérification du domaine…'));
  await page.fill(S('email'), 'jean.dupont@nope.fiable-test.com');
  await page.locator(S('phone')).focus();
  await page.waitForFunction(() => document.querySelector('#signup [name=email]').classList.contains('fiable-invalid'));
  assert.equal(asked.length, 2, asked.join('\n'));
  assert.deepEqual(errors, []);
  await page.close();
});

test('email_disposable_domain_warns_null_mx_is_invalid', async () => {
  const { page, errors } = await open();
  await recordVerdicts(page);
  await page.fill(S('email'), `jean@${DISPOSABLE}`);
  await page.locator(S('phone')).focus();
  await waitCode(page, 'email.disposable');
  const seen = await page.evaluate(() => window.seen);
  assert.ok(seen.some((v) => v.status === 'pending'), JSON.stringify(seen));
  assert.equal(seen.at(-1).status, 'warning');
  assert.match(await page.textContent(hint('email')), /^Cette adresse semble jetable/);
  assert.equal(await page.getAttribute(S('email'), 'aria-invalid'), null); // a warning does not block
  // A domain that says it takes no mail (null MX).
  await page.fill(S('email'), `jean@nullmx.${ZONE}`);
  await page.locator(S('phone')).focus();
  await waitCode(page, 'email.domain_no_mail');
  assert.equal(await page.textContent(hint('email')), 'Ce domaine ne reçoit pas d\u2019e-mails\u00a0: vérifiez l\u2019adresse.');
  assert.deepEqual(errors, []);
  await page.close();
});

const pathOf = (u) => new URL(u).pathname + new URL(u).search;

test('postcode_the_page_cannot_place_is_asked_of_the_service_and_fills_the_city', async () => {
  // The commune table of Paris does not reach the page (a blocked chunk): the page cannot place 75011, the service can.
  const { page, errors, asked } = await open({ prepare: (p) => p.route('**/communes-75.tsv', (r) => r.abort()) });
  await page.fill(S('postcode'), '75011');
  await page.locator(S('phone')).focus();
  await page.waitForFunction(() => document.querySelector('#signup [name=city]').value === 'Paris 11e Arrondissement');
  assert.deepEqual(asked.map(pathOf), ['/v1/address/postcode?postcode=75011']);
  await page.waitForFunction(() => document.querySelector('#signup [name=postcode]').classList.contains('fiable-valid'));
  // Asked once per postcode and page: leaving the field again asks nothing more.
  await page.locator(S('postcode')).focus();
  await page.locator(S('phone')).focus();
  await page.locator(S('city')).focus();
  assert.equal(asked.length, 1);
  assert.deepEqual(errors, []);
  await page.close();
});

test('postcode_known_to_the_page_is_not_sent_unknown_one_keeps_the_local_warning', async () => {
  const { page, errors, asked } = await open();
  await page.fill(S('postcode'), '75011');
  await page.locator(S('phone')).focus();
  await page.waitForFunction(() => document.querySelector('#signup [name=city]').value === 'Paris');
  // Unknown to the page's table (a CEDEX code could be): the service is asked; the index does not know it either.
  const answered = page.waitForResponse((r) => r.url().includes('/v1/address/postcode'));
  await page.fill(S('postcode'), '75999');
  await page.locator(S('phone')).focus();
  const r = await answered;
  assert.deepEqual(await r.json(), { postcode: '75999', found: false, covered: true, communes: [] });
  await page.waitForFunction(() => document.querySelector('#signup [name=postcode]').classList.contains('fiable-warning'));
  assert.equal(await page.textContent(hint('postcode')), "Aucune commune n'a ce code postal.");
  assert.equal(await page.inputValue(S('city')), 'Paris'); // nothing to fill from a postcode nobody knows
  // The first request is the unknown postcode's: 75011, which the page could place, never left it.
  assert.deepEqual(asked.map(pathOf), ['/v1/address/postcode?postcode=75999']);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a_429_pauses_every_lookup_for_retry_after_local_checks_carry_on', async () => {
  // A service that allows a burst of 3 requests, then one per 100 s.
  const port = await freeTcpPort();
  const dir = mkdtempSync(join(tmpdir(), 'fiable-429-'));
  const slow = spawn(bin, ['serve', '--bind', `127.0.0.1:${port}`, '--dns-upstream', `127.0.0.1:${dns.port}`, '--dns-timeout-ms', '1000',
    '--rate-limit', '0.01', '--rate-burst', '3', '--consent-db', join(dir, 'ledger.sqlite'), '--consent-key', join(dir, 'ledger.key')],
  { cwd: root, stdio: 'ignore' });
  try {
    const from = `http://127.0.0.1:${port}`;
    for (let i = 0; !(await fetch(`${from}/healthz`).then((r) => r.ok, () => false)); i++) {
      assert.ok(i < 300 && slow.exitCode === null, 'fiable-lookup serve did not come up');
      await new Promise((ok) => setTimeout(ok, 100));
    }
    const { page, errors, asked } = await open({ from });
    const statuses = [];
    page.on('response', (r) => r.url().includes('/v1/') && statuses.push(r.status()));
    const skipped = [];
    page.on('console', (m) => m.type() === 'debug' && /asked to slow down/.test(m.text()) && skipped.push(m.text()));
    // Street searches until the service says 429.
    for (let n = 1; !statuses.includes(429); n++) {
      assert.ok(n < 10, `no 429 after ${statuses.length} answers: ${statuses}`);
      const answered = page.waitForResponse((r) => r.url().includes('/v1/address/search'));
      await page.fill(S('street'), `${n} rue de la roquette`);
      await answered;
    }
    const sent = asked.length;
    // Everything that would ask the service now stays local: the search...
    await page.fill(S('street'), '99 rue de la roquette');
    await waitFor(() => skipped.length >= 1);
    // ...the email's domain (valid locally, shown as valid without asking)...
    await page.fill(S('email'), 'jean.dupont@gmail.com');
    await page.locator(S('phone')).focus();
    await waitFor(() => skipped.length >= 2);
    await page.waitForFunction(() => document.querySelector('#signup [name=email]').classList.contains('fiable-valid'));
    // ...and a postcode the page cannot place keeps its local warning.
    await page.fill(S('postcode'), '75999');
    await page.locator(S('phone')).focus();
    await waitFor(() => skipped.length >= 3);
    await page.waitForFunction(() => document.querySelector('#signup [name=postcode]').classList.contains('fiable-warning'));
    assert.equal(asked.length, sent, asked.slice(sent).join('\n'));
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await stop(slow);
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Waits (polling the test's own state) until `cond()` holds. */
async function waitFor(cond) {
  for (let i = 0; !cond(); i++) {
    assert.ok(i < 200, 'condition not reached');
    await new Promise((ok) => setTimeout(ok, 25));
  }
}

test('garbage_and_server_errors_fail_open', async () => {
  const { page, errors } = await open();
  await page.route('**/v1/email/domain?*', (r) => r.fulfill({ status: 200, contentType: 'application/json', body: '{"status": "inval' }));
  await page.route('**/v1/address/search?*', (r) => r.fulfill({ status: 503, body: 'down' }));
  await recordVerdicts(page);
  await page.fill(S('email'), 'jean@mail.fiable-test.com');
  await page.locator(S('phone')).focus();
  await page.waitForFunction(() => window.seen.some((v) => v.status === 'pending') && window.seen.at(-1).status === 'valid');
  const failed = page.waitForResponse((r) => r.url().includes('/v1/address/search'));
  await page.locator(S('street')).pressSequentially('12 r de la roquette');
  await failed;
  assert.equal(await page.locator(`${S('street')} ~ [role=listbox] [role=option]`).count(), 0);
  assert.equal(await page.getAttribute(S('street'), 'aria-expanded'), 'false');
  assert.deepEqual(errors, []);
  await page.close();
});

test('service_down_form_still_works_and_submits', async () => {
  const { page, errors } = await open();
  // Fill while the service is up (the page and its data chunks come from it).
  await page.selectOption(S('civility'), 'M.');
  await page.fill(S('first_name'), 'Jean');
  await page.fill(S('last_name'), 'Dupont');
  await page.fill(S('phone'), '06 12 34 56 78');
  await page.fill(S('birth_date'), '23/11/1990');
  await page.fill(S('postcode'), '75011');
  await page.waitForFunction(() => document.querySelector('#signup [name=city]').value === 'Paris');
  // The email rules' domain lists are a chunk served with the page: typed once while it is up.
  const lists = page.waitForResponse((r) => r.url().includes('email-domains'));
  await page.fill(S('email'), 'jean.dupont@gmail.co');
  await lists;
  await stop(svc);
  const searched = page.waitForEvent('requestfailed', (r) => r.url().includes('/v1/address/search'));
  await page.locator(S('street')).pressSequentially('12 r de la roquette');
  await searched;
  assert.equal(await page.locator(`${S('street')} ~ [role=listbox] [role=option]`).count(), 0);
  assert.equal(await page.getAttribute(S('street'), 'aria-expanded'), 'false');
  // The email's domain cannot be checked: the local verdict stands.
  await recordVerdicts(page);
  const asked = page.waitForEvent('requestfailed', (r) => r.url().includes('/v1/email/domain'));
  await page.fill(S('email'), 'jean.dupont@gmail.com');
  await page.locator(S('phone')).focus();
  await asked;
  await page.waitForFunction(() => window.seen.some((v) => v.status === 'pending') && window.seen.at(-1).status === 'valid');
  await page.click('#signup button[type=submit]');
  await page.waitForFunction(() => document.getElementById('signup').dataset.submitted === '1');
  const out = JSON.parse((await page.textContent('#out')).replace(/^submit #signup\n/, ''));
  assert.equal(out.street, '12 r de la roquette');
  assert.equal(out.email, 'jean.dupont@gmail.com');
  assert.deepEqual(errors, []);
  await page.close();
});
