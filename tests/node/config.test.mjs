// The widget config: pkg/fiable.schema.json (published, for editors and the
// playground) and pkg/config.js, the checker the page runs, generated from it
// by pkg/tools/gen-config-check.mjs. Here both run on the same good and bad
// configs: the schema through a small interpreter of the keywords it uses (an
// unknown keyword fails the test rather than being ignored), so a generator
// bug shows as a disagreement; and the checked-in checker must be what the
// generator writes today.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { checkConfig } from '../../pkg/config.js';
import { KINDS } from '../../pkg/defs.js';

const schema = JSON.parse(readFileSync(new URL('../../pkg/fiable.schema.json', import.meta.url), 'utf8'));
const ANNOTATIONS = new Set(['$schema', 'title', 'description', 'default', '$defs', 'examples']);

function valid(s, v) {
  const type = (x) => (x === null ? 'null' : Array.isArray(x) ? 'array' : Number.isInteger(x) ? 'integer' : typeof x);
  for (const [k, want] of Object.entries(s)) {
    if (ANNOTATIONS.has(k)) continue;
    const ok = (() => {
      switch (k) {
        case '$ref': return valid(want.split('/').slice(1).reduce((o, p) => o[p], schema), v);
        case 'type': return want === 'number' ? typeof v === 'number' : type(v) === want;
        case 'enum': return want.some((e) => e === v);
        case 'pattern': return typeof v !== 'string' || new RegExp(want, 'u').test(v);
        case 'minLength': return typeof v !== 'string' || [...v].length >= want;
        case 'minimum': return typeof v !== 'number' || v >= want;
        case 'maximum': return typeof v !== 'number' || v <= want;
        case 'minProperties': return type(v) !== 'object' || Object.keys(v).length >= want;
        case 'required': return type(v) !== 'object' || want.every((r) => r in v);
        case 'properties': return type(v) !== 'object' || Object.entries(want).every(([p, ps]) => !(p in v) || valid(ps, v[p]));
        case 'additionalProperties': return type(v) !== 'object' || Object.keys(v).filter((p) => !(s.properties ?? {})[p])
          .every((p) => (want === false ? false : want === true ? true : valid(want, v[p])));
        case 'items': return type(v) !== 'array' || v.every((x) => valid(want, x));
        case 'minItems': return type(v) !== 'array' || v.length >= want;
        case 'dependentRequired': return type(v) !== 'object' || Object.entries(want).every(([p, need]) => !(p in v) || need.every((r) => r in v));
        case 'uniqueItems': return type(v) !== 'array' || !want || new Set(v.map((x) => JSON.stringify(x))).size === v.length;
        default: throw new Error(`the test's schema reader does not know the keyword "${k}"`);
      }
    })();
    if (!ok) return false;
  }
  return true;
}

const f = (extra = {}) => ({ email: { selector: '#email', type: 'email', ...extra } });
const C = (extra = {}) => ({ controller: { name: 'Shop SAS', contact: 'dpo@shop.example' }, form: { id: 'signup', version: '2026-11' }, purposes: [{ id: 'newsletter', selector: '#optin' }], ...extra });
const withConsent = (extra) => ({ lookup: '/', fields: f(), consent: C(extra) });
const GOOD = [
  { fields: f() },
  { locale: 'fr', country: 'FR', block: ['invalid', 'warning'], fields: f({ required: true, country: 'fr', block: [], minAge: 15 }) },
  { locale: 'fr-CA', form: '#signup', lookup: 'https://lookup.example.com', today: '2026-01-31', fields: f() },
  { messages: { fr: { 'email.domain_typo': 'Peut-être {suggestion} ?' }, en: {} }, fields: f() },
  { fields: { civ: { selector: '[name=civ]', type: 'civility' }, prenom: { selector: '#p', type: 'first_name', civility: 'civ' } } },
  { lookup: '/', fields: f(), consent: C() },
  { lookup: '/', fields: f(), consent: C({ purposes: [{ id: 'newsletter', selector: '#optin', label: '#optin-text', text: 'Oui', legalBasis: 'consent' }, { id: 'cgv', selector: '#cgv', legalBasis: 'contract' }] }) },
  { lookup: '/', fields: f(), consent: C({ receiptInput: 'receipt', subjectData: { email: 'email' }, retentionDays: 1095, expiresAfterDays: 730 }) },
  { lookup: '/', fields: f(), consent: C({ advisor: { advisorId: 'a-12', storeId: 'paris-11', channel: 'store', apiKey: 'k' } }) },
  { lookup: '/api', fields: { b: { selector: '#b', type: 'birth_date', minAge: 0 } } },
];
const BAD = [
  [null, 'the config is null'],
  [[], 'the config is []'],
  ['{}', 'the config is "{}"'],
  [{}, 'config.fields is missing'],
  [{ fields: {} }, 'config.fields is {}'],
  [{ fields: [] }, 'config.fields is []'],
  [{ feilds: f() }, 'unknown key config.feilds'],
  [{ fields: f({ type: 'emial' }) }, 'config.fields.email.type is "emial"'],
  [{ fields: { email: { selector: '#e' } } }, 'config.fields.email.type is missing'],
  [{ fields: { email: { type: 'email' } } }, 'config.fields.email.selector is missing'],
  [{ fields: f({ selector: '' }) }, 'config.fields.email.selector is ""'],
  [{ fields: f({ selector: 3 }) }, 'config.fields.email.selector is 3'],
  [{ fields: f({ requird: true }) }, 'unknown key config.fields.email.requird'],
  [{ fields: f({ required: 'yes' }) }, 'config.fields.email.required is "yes"'],
  [{ fields: f({ country: 'FRA' }) }, 'config.fields.email.country is "FRA"'],
  [{ fields: f({ minAge: 15.5 }) }, 'config.fields.email.minAge is 15.5'],
  [{ fields: f({ minAge: 151 }) }, 'config.fields.email.minAge is 151'],
  [{ fields: f({ minAge: '15' }) }, 'config.fields.email.minAge is "15"'],
  [{ fields: f({ block: 'invalid' }) }, 'config.fields.email.block is "invalid"'],
  [{ fields: { email: 'email' } }, 'config.fields.email is "email"'],
  [{ locale: 'français', fields: f() }, 'config.locale is "français"'],
  [{ locale: 3, fields: f() }, 'config.locale is 3'],
  [{ country: 'France', fields: f() }, 'config.country is "France"'],
  [{ block: ['invalid', 'invalid'], fields: f() }, 'config.block is ["invalid","invalid"]'],
  [{ block: ['error'], fields: f() }, 'config.block[0] is "error"'],
  [{ lookup: 'lookup.example.com', fields: f() }, 'config.lookup is "lookup.example.com"'],
  [{ today: '31/01/2026', fields: f() }, 'config.today is "31/01/2026"'],
  [{ form: '', fields: f() }, 'config.form is ""'],
  [{ messages: { fr: 'x' }, fields: f() }, 'config.messages.fr is "x"'],
  [{ messages: { fr: { 'email.invalid': 3 } }, fields: f() }, 'config.messages.fr.email.invalid is 3'],
  [{ messages: [], fields: f() }, 'config.messages is []'],
  [{ fields: f(), consent: C() }, 'config.lookup is missing'],
  [{ lookup: '/', fields: f(), consent: [] }, 'config.consent is []'],
  [withConsent({ purpose: [] }), 'unknown key config.consent.purpose'],
  [{ lookup: '/', fields: f(), consent: { form: { id: 's', version: '1' }, purposes: [{ id: 'n', selector: '#o' }] } }, 'config.consent.controller is missing'],
  [withConsent({ controller: 'Shop SAS' }), 'config.consent.controller is "Shop SAS"'],
  [withConsent({ controller: { name: 'Shop SAS' } }), 'config.consent.controller.contact is missing'],
  [withConsent({ form: { id: 'signup', version: '' } }), 'config.consent.form.version is ""'],
  [withConsent({ purposes: [] }), 'config.consent.purposes is []'],
  [withConsent({ purposes: [{ id: 'n' }] }), 'config.consent.purposes[0].selector is missing'],
  [withConsent({ purposes: [{ id: 'news letter', selector: '#o' }] }), 'config.consent.purposes[0].id is "news letter"'],
  // No way to declare a purpose pre-ticked (a box ticked in the page is refused by the widget at attach: tests/e2e/consent.test.mjs).
  [withConsent({ purposes: [{ id: 'n', selector: '#o', checked: true }] }), 'unknown key config.consent.purposes[0].checked'],
  [withConsent({ purposes: [{ id: 'n', selector: '#o', legalBasis: 'interest' }] }), 'config.consent.purposes[0].legalBasis is "interest"'],
  [withConsent({ purposes: [{ id: 'n', selector: '#o', text: '' }] }), 'config.consent.purposes[0].text is ""'],
  [withConsent({ advisor: { advisorId: 'a', storeId: 's', channel: 'web', apiKey: 'k' } }), 'config.consent.advisor.channel is "web"'],
  [withConsent({ advisor: { advisorId: 'a', channel: 'store', apiKey: 'k' } }), 'config.consent.advisor.storeId is missing'],
  [withConsent({ receiptInput: 3 }), 'config.consent.receiptInput is 3'],
  [withConsent({ subjectData: { mail: 'email' } }), 'unknown key config.consent.subjectData.mail'],
  [withConsent({ retentionDays: 0 }), 'config.consent.retentionDays is 0'],
  [withConsent({ expiresAfterDays: 1.5 }), 'config.consent.expiresAfterDays is 1.5'],
];

test('good configs pass both checkers', () => {
  for (const c of GOOD) {
    assert.equal(checkConfig(c), null, JSON.stringify(c));
    assert.equal(valid(schema, c), true, `schema rejects ${JSON.stringify(c)}`);
  }
});

test('bad configs fail both checkers, the message names the bad key and the expected shape', () => {
  for (const [c, start] of BAD) {
    const msg = checkConfig(c);
    assert.ok(msg?.startsWith(start), `${JSON.stringify(c)}: got ${msg}`);
    assert.match(msg, /expected/);
    assert.equal(valid(schema, c), false, `schema accepts ${JSON.stringify(c)}`);
  }
});

test('the demo page config is a good config', () => {
  const html = readFileSync(new URL('../../www/index.html', import.meta.url), 'utf8');
  const configs = [/data-config='([^']*)'/.exec(html)[1], /<script type="application\/json" data-fiable[^>]*>([^<]*)<\/script>/.exec(html)[1]];
  for (const text of configs) {
    const c = JSON.parse(text);
    assert.equal(checkConfig(c), null);
    assert.equal(valid(schema, c), true);
  }
});

test('pkg/config.js is what the generator writes from the schema today', () => {
  // Exits non-zero (and says to regenerate) when the schema changed and config.js did not.
  execFileSync(process.execPath, [new URL('../../pkg/tools/gen-config-check.mjs', import.meta.url).pathname, '--check'], { stdio: 'pipe' });
});

test("the schema's field kinds are the kinds of the core (pkg/defs.js)", () => {
  assert.deepEqual(schema.$defs.field.properties.type.enum, KINDS);
});

test('every example in the schema passes the schema (the messages quote them as what to write)', () => {
  const walk = (node) => {
    if (!node || typeof node !== 'object') return;
    for (const ex of node.examples ?? []) assert.equal(valid(node, ex), true, `example ${JSON.stringify(ex)}`);
    for (const v of Object.values(node)) walk(v);
  };
  walk(schema);
});
