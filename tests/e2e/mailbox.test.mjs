// The mailbox check in the widget, against real parts: `fiable-lookup serve
// --mailbox-probe` (release build, as `make test` makes it), dnsmasq giving
// the test zone's MX, and exim4 on loopback with its own configuration in a
// temporary directory (the same recipients as lookup/tests/common/mta.rs:
// alice a mailbox, others 550 5.1.1, all.<zone> a catch-all, grey 450).
// The demo page is served with "mailboxCheck": true added to its config.
// Everything is stopped at the end; `timeout` stops the daemons anyway.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './browser.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = process.env.FIABLE_LOOKUP_BIN ?? resolve(root, process.env.CARGO_TARGET_DIR ?? 'target', 'release/fiable-lookup');
/** One address: these tests are about mail, and the index builds at once. */
const BAN = 'id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;code_insee_ancienne_commune;nom_ancienne_commune;x;y;lon;lat;type_position;alias;nom_ld;libelle_acheminement;nom_afnor;source_position;source_nom_voie;certification_commune;cad_parcelles\n'
  + '75111_8358_00001;75111_8358;1;;Rue de la Roquette;75011;75111;Paris 11e Arrondissement;;;0;0;2.37;48.85;entrée;;;PARIS;RUE DE LA ROQUETTE;commune;commune;1;\n';
const dnsmasqBin = process.env.FIABLE_DNSMASQ ?? (existsSync('/usr/sbin/dnsmasq') ? '/usr/sbin/dnsmasq' : 'dnsmasq');
const eximBin = process.env.FIABLE_EXIM ?? '/usr/sbin/exim4';
const ZONE = 'fiable-test.com';
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

let dir, exim, dns, svc, url, browser;

const freePort = (udp) => new Promise((ok, ko) => {
  if (udp) {
    const s = createSocket('udp4').bind(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
  } else {
    const s = createServer().once('error', ko).listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
  }
});

/** True once something on 127.0.0.1:port greets with `220`. */
const greets = (port) => new Promise((ok) => {
  const s = connect(port, '127.0.0.1');
  const done = (v) => { s.destroy(); ok(v); };
  s.once('data', (b) => done(b.toString().startsWith('220')));
  s.once('error', () => done(false));
  setTimeout(() => done(false), 500);
});

const eximConf = (d, port, user) => `primary_hostname = mx.${ZONE}
spool_directory = ${d}/spool
log_file_path = ${d}/log/%slog
exim_user = ${user}
exim_group = ${user}
keep_environment =
local_interfaces = 127.0.0.1
daemon_smtp_ports = ${port}
domainlist local_domains = mail.${ZONE}
domainlist catchall_domains = all.${ZONE}
acl_smtp_rcpt = acl_rcpt
never_users = root
host_lookup =
begin acl
acl_rcpt:
  defer   local_parts = grey
          message = 450 4.7.1 greylisted, try again later
  accept  domains = +catchall_domains
  accept  domains = +local_domains
          local_parts = alice
  deny    domains = +local_domains
          message = 550 5.1.1 no such user here
  deny    message = 550 5.7.1 relaying denied
`;

const stop = async (child) => {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((ok) => child.once('exit', ok));
};

before(async () => {
  assert.ok(existsSync(bin), `${bin} is missing: cargo build --release -p fiable-lookup (make test does)`);
  assert.ok(existsSync(eximBin), `${eximBin} is missing: scripts/setup.sh test installs exim4-daemon-light`);
  dir = mkdtempSync(join(tmpdir(), 'fiable-mailbox-e2e-'));
  chmodSync(dir, 0o755);
  for (const sub of ['spool', 'log']) {
    mkdirSync(join(dir, sub));
    chmodSync(join(dir, sub), 0o777);
  }
  let user = 'Debian-exim';
  try { execFileSync('id', [user], { stdio: 'ignore' }); } catch { user = 'exim'; }
  const smtpPort = await freePort(false);
  writeFileSync(join(dir, 'conf'), eximConf(dir, smtpPort, user));
  exim = spawn('timeout', ['600', eximBin, '-C', join(dir, 'conf'), '-bdf', '-oX', String(smtpPort)], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !(await greets(smtpPort)); i++) await sleep(50);
  assert.ok(await greets(smtpPort), 'exim did not start');

  const dnsPort = await freePort(true);
  dns = spawn('timeout', ['600', dnsmasqBin, '--no-daemon', '--conf-file=/dev/null', `--port=${dnsPort}`, '--listen-address=127.0.0.1',
    '--bind-interfaces', '--no-resolv', '--no-hosts', '--pid-file', `--local=/${ZONE}/`, '--local-ttl=60',
    `--host-record=mx.${ZONE},127.0.0.1`, `--mx-host=mail.${ZONE},mx.${ZONE},10`, `--mx-host=all.${ZONE},mx.${ZONE},10`], { stdio: 'ignore' });

  const port = await freePort(false);
  url = `http://127.0.0.1:${port}`;
  writeFileSync(join(dir, 'ban.csv'), BAN);
  svc = spawn(bin, ['serve', '--bind', `127.0.0.1:${port}`, '--dns-upstream', `127.0.0.1:${dnsPort}`, '--dns-timeout-ms', '1000',
    '--dns-canaries', '', '--mailbox-probe', '--mailbox-probe-port', String(smtpPort), '--mailbox-probe-timeout-ms', '3000',
    '--ban', join(dir, 'ban.csv'), '--consent-db', join(dir, 'ledger.sqlite'), '--consent-key', join(dir, 'ledger.key')], { cwd: root, stdio: 'ignore' });
  for (let i = 0; ; i++) {
    if (svc.exitCode !== null) assert.fail(`fiable-lookup serve exited with ${svc.exitCode}`);
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) break;
    assert.ok(i < 300, 'fiable-lookup serve did not come up');
    await sleep(100);
  }
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await stop(svc);
  await stop(dns);
  await stop(exim);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The demo page with the mailbox check turned on in its config. */
async function open() {
  const page = await browser.newPage();
  const asked = [];
  page.on('request', (r) => r.url().includes('/v1/email/') && asked.push(new URL(r.url()).pathname + new URL(r.url()).search));
  await page.route(`${url}/`, async (route) => {
    const res = await route.fetch();
    const html = (await res.text()).replace('"lookup": "/",', '"lookup": "/", "mailboxCheck": true,');
    assert.ok(html.includes('"mailboxCheck": true'), 'the demo config changed: mailboxCheck was not added');
    await route.fulfill({ response: res, body: html });
  });
  await page.goto(`${url}/`);
  await page.waitForSelector('#signup.fiable-ready', { timeout: 15000 });
  return { page, asked };
}

const S = (name) => `#signup [name=${name}]`;

/** Types `address`, leaves the field, waits until the mailbox check was asked and answered. */
async function blurWith(page, address) {
  const answered = page.waitForResponse((r) => r.url().includes('/v1/email/mailbox'), { timeout: 10000 });
  await page.fill(S('email'), address);
  await page.locator(S('phone')).focus();
  const r = await answered;
  await sleep(100); // the verdict is painted after the answer
  return r.json();
}

test('mailbox_that_does_not_exist_is_an_error_others_stay_silent', async () => {
  const { page, asked } = await open();
  const r = await blurWith(page, `nobody@mail.${ZONE}`);
  assert.equal(r.result, 'does_not_exist');
  await page.waitForFunction(() => document.querySelector('#signup [name=email]').classList.contains('fiable-invalid'));
  assert.equal(await page.textContent(`${S('email')} + .fiable-hint`),
    'Cette boîte e-mail n\u2019existe pas\u00a0: vérifiez ce qui précède le «\u00a0@\u00a0».');
  // The domain first, then the whole address: the service asks the mail server.
  assert.deepEqual(asked, [`/v1/email/domain?d=mail.${ZONE}`, `/v1/email/mailbox?address=nobody%40mail.${ZONE}`]);
  for (const [address, result] of [[`alice@mail.${ZONE}`, 'exists'], [`x@all.${ZONE}`, 'accept_all'], [`grey@mail.${ZONE}`, 'unknown']]) {
    const r = await blurWith(page, address);
    assert.equal(r.result, result, address);
    assert.equal(await page.getAttribute(S('email'), 'aria-invalid'), null, `${address}: no error`);
    assert.equal(await page.textContent(`${S('email')} + .fiable-hint`), '', `${address}: nothing said`);
  }
  await page.close();
});

test('without_mailboxCheck_in_the_config_the_address_never_leaves_for_the_mail_server', async () => {
  const page = await browser.newPage();
  const asked = [];
  page.on('request', (r) => r.url().includes('/v1/email/') && asked.push(new URL(r.url()).pathname));
  await page.goto(`${url}/`);
  await page.waitForSelector('#signup.fiable-ready', { timeout: 15000 });
  await page.fill(S('email'), `nobody@mail.${ZONE}`);
  await page.locator(S('phone')).focus();
  await page.waitForResponse((r) => r.url().includes('/v1/email/domain'));
  await sleep(300);
  assert.deepEqual(asked, ['/v1/email/domain']);
  await page.close();
});
