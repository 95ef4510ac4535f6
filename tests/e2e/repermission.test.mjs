// A re-permission link opened in Debian's Chromium: the REAL service
// (`fiable-lookup serve`, release build) with a SQLite ledger, a campaign
// key and a campaign; `fiable-lookup repermission` writes the links from a
// contact list; the person clicks on the page (plain HTML forms under the
// service's strict CSP, no script), the answer lands in the ledger and the
// report counts it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './browser.mjs';
import { lookupService } from './harness.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = resolve(root, process.env.CARGO_TARGET_DIR ?? 'target', 'release/fiable-lookup');
const ADMIN_KEY = randomBytes(16).toString('hex');
const TEXT = 'Je confirme vouloir recevoir la newsletter de Boutique Démo.';

let dir, svc, browser;
const cli = (...args) => spawnSync(bin, args, { encoding: 'utf8' });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fiable-repermission-'));
  assert.equal(cli('repermission', '--create-key', join(dir, 'campaign.key')).status, 0);
  writeFileSync(join(dir, 'campaign.json'), JSON.stringify({
    id: 'winback-e2e', controller: { name: 'Boutique Démo SAS', contact: 'dpo@boutique-demo.example' }, locale: 'fr',
    purposes: [{ id: 'newsletter', text: TEXT }],
  }));
  svc = await lookupService('www', [
    '--pkg', 'pkg', '--consent-db', join(dir, 'ledger.sqlite'), '--consent-key', join(dir, 'ledger.key'),
    '--consent-index-key', join(dir, 'ledger.index.key'), '--api-key', `admin:${ADMIN_KEY}`,
    '--repermission-key', join(dir, 'campaign.key'), '--repermission-campaign', join(dir, 'campaign.json'),
    '--dns-upstream', '127.0.0.1:9', '--dns-timeout-ms', '200',
  ]);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await svc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a_person_confirms_in_one_click_on_the_link_page_and_the_report_counts_it', async () => {
  writeFileSync(join(dir, 'contacts.csv'), 'email,name,purposes\nmarie.lambert@gmail.com,Lambert,newsletter\n');
  const out = join(dir, 'wave');
  const run = cli('repermission', '--contacts', join(dir, 'contacts.csv'), '--campaign', join(dir, 'campaign.json'), '--out', out,
    '--base-url', svc.url, '--repermission-key', join(dir, 'campaign.key'), '--consent-db', join(dir, 'ledger.sqlite'));
  assert.equal(run.status, 0, run.stdout + run.stderr);
  const [header, row] = readFileSync(join(out, 'outbox.csv'), 'utf8').trim().split('\n');
  assert.equal(header, 'email,phone,first_name,last_name,purposes,link');
  const link = row.split(',').at(-1);
  assert.ok(link.startsWith(`${svc.url}/v1/repermission/`) && !link.includes('marie'), link);

  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(link);
  assert.equal(await page.textContent('li[data-purpose=newsletter] .text'), TEXT);
  await page.click('li[data-purpose=newsletter] button[value=granted]');
  await page.waitForSelector('li[data-purpose=newsletter] .answer[data-decision=granted]');
  assert.equal(await page.locator('li[data-purpose=newsletter] form').count(), 0, 'answered: no more buttons');
  assert.deepEqual(errors, []);

  // In the ledger, under the person's pseudonym, with the exact text.
  const auth = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };
  const m = await (await fetch(`${svc.url}/v1/match`, { method: 'POST', headers: auth, body: JSON.stringify({ email: 'marie.lambert@gmail.com' }) })).json();
  const access = await (await fetch(`${svc.url}/v1/subjects/${m.matches[0].subject}/consents`, { headers: auth })).json();
  const [{ record, subject_data }] = access.consents;
  assert.deepEqual([record.form, record.purposes[0].text, record.purposes[0].decision], [{ id: 'repermission', version: 'winback-e2e' }, TEXT, 'granted']);
  assert.equal(subject_data.email, 'marie.lambert@gmail.com');

  const report = cli('repermission', '--report', '--out', out, '--consent-db', join(dir, 'ledger.sqlite'));
  assert.equal(report.status, 0, report.stderr);
  assert.equal(readFileSync(join(out, 'report.csv'), 'utf8'), 'purpose,asked,confirmed,refused,silent\nnewsletter,1,1,0,0\n');
  await page.close();
});
