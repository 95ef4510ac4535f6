// Smoke test of the packed npm package, as a user gets it: `npm pack pkg/`,
// install the tarball into an empty project, import "fiable" there.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = fileURLToPath(new URL('../../pkg/', import.meta.url));
let app;

// Runs a module body inside the installed project and returns what it prints as JSON.
function run(body) {
  const file = join(app, `probe-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, body);
  return JSON.parse(execFileSync(process.execPath, [file], { cwd: app, encoding: 'utf8' }));
}

before(() => {
  app = mkdtempSync(join(tmpdir(), 'fiable-smoke-'));
  execFileSync('npm', ['pack', pkgDir, '--pack-destination', app, '--silent'], { stdio: 'pipe' });
  const tarball = readdirSync(app).find((f) => f.endsWith('.tgz'));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'smoke', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--silent', `./${tarball}`], { cwd: app, stdio: 'pipe' });
  process.on('exit', () => rmSync(app, { recursive: true, force: true }));
});

test('email typo gets a one-click suggestion', () => {
  const v = run(`import { validate } from 'fiable';
    console.log(JSON.stringify(validate('email', 'jean.dupont@gmial.com')));`);
  assert.equal(v.status, 'warning');
  assert.equal(v.code, 'email.domain_typo');
  assert.equal(v.suggestion, 'jean.dupont@gmail.com');
  assert.ok(v.message.includes('jean.dupont@gmail.com'));
});

test('consecutive dots are invalid', () => {
  const v = run(`import { validate } from 'fiable';
    console.log(JSON.stringify(validate('email', 'a..b@x.fr')));`);
  assert.equal(v.status, 'invalid');
});

test('French mobile in national format', () => {
  const v = run(`import { validate } from 'fiable';
    console.log(JSON.stringify(validate('phone', '06 12 34 56 78', { country: 'FR' })));`);
  assert.equal(v.status, 'valid');
  assert.equal(v.normalized, '+33612345678');
  assert.equal(v.details.type, 'mobile');
});

test('country: null means no default country, as undefined does', () => {
  const v = run(`import { validate } from 'fiable';
    console.log(JSON.stringify([null, undefined].flatMap((country) =>
      ['06 12 34 56 78', '+33 6 12 34 56 78'].map((n) => validate('phone', n, { country })))));`);
  assert.deepEqual(v.map((x) => [x.status, x.code]), [['invalid', 'phone.missing_country'], ['valid', 'phone.valid'], ['invalid', 'phone.missing_country'], ['valid', 'phone.valid']]);
});

// validate() passes the country as two char codes and validateForm() as a
// string: both paths must give the same verdict, whatever the case typed.
test('the country reaches the check the same through validate and validateForm', () => {
  const v = run(`import { validate, validateForm } from 'fiable';
    const one = ['FR', 'fr', 'Be', 'us'].map((country) => validate('phone', '04 70 12 34 56', { country }));
    const form = ['FR', 'fr', 'Be', 'us'].map((country) => validateForm({ phone: '04 70 12 34 56' }, { fields: { phone: { type: 'phone', country } } }).phone);
    console.log(JSON.stringify({ one, form, email: [validate('email', 'Contact@Gmial.com'), validateForm({ email: 'Contact@Gmial.com' }).email] }));`);
  assert.deepEqual(v.one, v.form);
  assert.deepEqual(v.one.map((x) => [x.status, x.details?.country]), [['valid', 'FR'], ['valid', 'FR'], ['valid', 'BE'], ['invalid', undefined]]);
  assert.deepEqual(v.email[0], v.email[1]);
  assert.equal(v.email[0].suggestion, 'Contact@gmail.com');
});

test('Swiss fixed line in international format', () => {
  const v = run(`import { validate } from 'fiable';
    console.log(JSON.stringify(validate('phone', '+41 44 668 18 00')));`);
  assert.equal(v.status, 'valid');
  assert.equal(v.details.type, 'fixed_line');
  assert.equal(v.normalized, '+41446681800');
});

test('postcode and its communes', () => {
  const r = run(`import { validate, citiesForPostcode } from 'fiable';
    console.log(JSON.stringify({ v: validate('postcode', '75011', { country: 'FR' }), cities: citiesForPostcode('75011') }));`);
  assert.equal(r.v.status, 'valid');
  assert.ok(r.cities.some((c) => c.name === 'Paris' && c.insee === '75056'), JSON.stringify(r.cities));
});

test('civility and first name: Mme Jean warns, Mme Camille is silent', () => {
  const r = run(`import { validateForm } from 'fiable';
    const config = { locale: 'fr', fields: { civ: { type: 'civility' }, prenom: { type: 'first_name' } } };
    console.log(JSON.stringify({
      jean: validateForm({ civ: 'Mme', prenom: 'Jean' }, config),
      camille: validateForm({ civ: 'Mme', prenom: 'Camille' }, config) }));`);
  const warned = Object.values(r.jean).filter((v) => v.status === 'warning');
  assert.equal(warned.length, 1, JSON.stringify(r.jean));
  assert.match(warned[0].code, /civility/);
  assert.ok(Object.values(r.camille).every((v) => v.status === 'valid'), JSON.stringify(r.camille));
});

test('as-you-type phone formatting and version', () => {
  const r = run(`import { formatPhone, version } from 'fiable';
    console.log(JSON.stringify({ f: formatPhone('0612345', 'FR'), v: version() }));`);
  assert.equal(r.f, '06 12 34 5');
  assert.match(r.v, /^\d+\.\d+\.\d+/);
});

test('wrong calls throw a clear TypeError; bad values never throw', () => {
  const r = run(`import { validate } from 'fiable';
    const err = (f) => { try { f(); return null; } catch (e) { return e.constructor.name + ': ' + e.message; } };
    console.log(JSON.stringify({
      kind: err(() => validate('emial', 'x')),
      opt: err(() => validate('phone', 'x', { contry: 'FR' })),
      junk: validate('email', '\\u0000'.repeat(5000)).status }));`);
  assert.match(r.kind, /unknown kind "emial"/);
  assert.match(r.opt, /^TypeError: .*options\.contry/);
  assert.equal(r.junk, 'invalid');
});

test('data chunks are asked only where they exist', () => {
  const r = run(`import { validateAsync, chunksFor } from 'fiable';
    const it = await validateAsync('postcode', '00740', { country: 'IT' });
    console.log(JSON.stringify({ it: it.status, none: chunksFor('postcode', '00740', { country: 'IT' }) }));`);
  assert.equal(r.it, 'valid');
  assert.deepEqual(r.none, []);
});

test('the widget ships: script-tag entry, stylesheet, schema; checkConfig in Node, attach needs a page', () => {
  const r = run(`import { checkConfig, attach } from 'fiable';
    import { existsSync, readFileSync } from 'node:fs';
    const dir = 'node_modules/fiable/';
    const files = ['dist/fiable.js', 'dist/assets.js', 'dist/fiable_wasm.js', 'dist/fiable_wasm_bg.wasm', 'widget.js', 'init.js', 'field.js', 'gate.js', 'show.js', 'checks.js', 'listen.js', 'parts.js', 'dom.js', 'net.js', 'defs.js', 'config.js', 'fiable.css', 'fiable.schema.json', 'lookup.js', 'backoff.js', 'combobox.js', 'consent.js', 'advisor.js', 'consent.schema.json'];
    let thrown = null;
    try { attach('#f', {}); } catch (e) { thrown = e.message; }
    console.log(JSON.stringify({
      missing: files.filter((f) => !existsSync(dir + f)),
      schema: JSON.parse(readFileSync(dir + 'fiable.schema.json', 'utf8')).title,
      good: checkConfig({ fields: { e: { selector: '#e', type: 'email' } } }),
      bad: checkConfig({ fields: { e: { selector: '#e', type: 'emial' } } }),
      thrown }));`);
  assert.deepEqual(r.missing, []);
  assert.equal(r.schema, 'fiable widget config');
  assert.equal(r.good, null);
  assert.match(r.bad, /config\.fields\.e\.type is "emial"/);
  assert.match(r.thrown, /needs a browser page/);
});
