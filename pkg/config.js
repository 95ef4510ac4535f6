// The widget config checker: the rules of fiable.schema.json, by hand (no
// JSON Schema library in the page). tests/node/config.test.mjs runs both on
// the same good and bad configs and expects the same answers.

export const KINDS = ['email', 'phone', 'postcode', 'city', 'first_name', 'last_name', 'civility', 'birth_date', 'country', 'street'];
const STATUSES = ['invalid', 'warning', 'pending'];
const oneOf = (list) => `one of ${list.map((k) => `"${k}"`).join(', ')}`;
const FIELD = '{ "selector": "#email", "type": "email", "required"?: true, "country"?: "FR", "block"?: ["invalid"], "minAge"?: 15, "civility"?, "postcode"?, "city"?, "housenumber"? }';
const SHAPE = '{ "locale"?: "fr", "country"?: "FR", "block"?: ["invalid"], "messages"?: { "fr": { "<code>": "text" } }, "fields": { "<name>": ' + FIELD + ' } }';

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const show = (v) => {
  if (v === undefined) return 'undefined';
  const j = JSON.stringify(v);
  return j.length > 60 ? `${j.slice(0, 57)}…` : j;
};

function string(v, path, pattern, expected) {
  if (typeof v !== 'string' || v.length === 0 || (pattern && !pattern.test(v))) return `${path} is ${show(v)}; expected ${expected}`;
  return null;
}

function keys(obj, path, allowed, shape) {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) return `unknown key ${path}.${k}; expected ${shape}`;
  return null;
}

const country = (v, path) => string(v, path, /^[A-Za-z]{2}$/, 'a two-letter ISO 3166 code such as "FR"');

function block(v, path) {
  const bad = `${path} is ${show(v)}; expected a list of distinct statuses among "invalid", "warning", "pending", such as ["invalid"]`;
  if (!Array.isArray(v) || v.some((s) => !STATUSES.includes(s)) || new Set(v).size !== v.length) return bad;
  return null;
}

function field(f, path) {
  if (!isObject(f)) return `${path} is ${show(f)}; expected ${FIELD}`;
  const e = keys(f, path, ['selector', 'type', 'required', 'country', 'block', 'minAge', 'civility', 'postcode', 'city', 'housenumber'], FIELD);
  if (e) return e;
  if (f.selector === undefined) return `${path}.selector is missing; expected a CSS selector such as "#email"`;
  if (f.type === undefined) return `${path}.type is missing; expected ${oneOf(KINDS)}`;
  return (
    string(f.selector, `${path}.selector`, null, 'a CSS selector such as "#email"') ||
    (KINDS.includes(f.type) ? null : `${path}.type is ${show(f.type)}; expected ${oneOf(KINDS)}`) ||
    (f.required === undefined || typeof f.required === 'boolean' ? null : `${path}.required is ${show(f.required)}; expected true or false`) ||
    (f.country === undefined ? null : country(f.country, `${path}.country`)) ||
    (f.block === undefined ? null : block(f.block, `${path}.block`)) ||
    (f.minAge === undefined || (Number.isInteger(f.minAge) && f.minAge >= 0 && f.minAge <= 150) ? null : `${path}.minAge is ${show(f.minAge)}; expected a whole number of years from 0 to 150`) ||
    (f.civility === undefined ? null : string(f.civility, `${path}.civility`, null, 'the name of the civility field')) ||
    ['postcode', 'city', 'housenumber'].reduce((bad, k) => bad || (f[k] === undefined ? null : string(f[k], `${path}.${k}`, null, `the name of the ${k} field`)), null)
  );
}

// 's' string, 'n' days, RegExp, enum, [{…}] list, {…}; '?' optional.
const CONSENT = {
  controller: { name: 's', contact: 's' },
  form: { id: 's', version: 's' },
  purposes: [{ id: /^[A-Za-z0-9._:-]{1,256}$/, selector: 's', label: 's?', text: 's?',
    legalBasis: ['?', 'consent', 'contract', 'legal_obligation', 'vital_interests', 'public_task', 'legitimate_interests'] }],
  advisor: { '?': 1, advisorId: 's', storeId: 's', channel: ['store', 'phone'], apiKey: 's' },
  receiptInput: 's?',
  subjectData: { '?': 1, email: 's?', phone: 's?', first_name: 's?', last_name: 's?', postcode: 's?' },
  retentionDays: 'n?',
  expiresAfterDays: 'n?',
};

function conforms(v, s, path) {
  const list = Array.isArray(s);
  const str = typeof s === 'string';
  const names = Object.keys(s).filter((k) => k !== '?');
  const shape = s.test ? `a string matching ${s}` : list ? (s[0].at ? oneOf(s.filter((k) => k !== '?')) : 'a list of { "id", "selector", … }, not empty')
    : str ? (s[0] === 'n' ? 'a whole number of days' : 'a non-empty string') : `{ ${names.map((k) => `"${k}"`).join(', ')} }`;
  const bad = `${path} is ${v === undefined ? 'missing' : show(v)}; expected ${shape}`;
  if (v === undefined) return s['?'] || s.includes?.('?') ? null : bad;
  if (s.test || str) return (s[0] === 'n' ? Number.isInteger(v) && v > 0 : typeof v === 'string' && v && (!s.test || s.test(v))) ? null : bad;
  if (list) return (s[0].at ? s.includes(v) && v !== '?' : v?.length && v.map) ? (s[0].at ? null : v.reduce((e, x, i) => e || conforms(x, s[0], `${path}[${i}]`), null)) : bad;
  return !isObject(v) ? bad : keys(v, path, names, shape) || names.reduce((e, k) => e || conforms(v[k], s[k], `${path}.${k}`), null);
}

/**
 * Checks a widget config. Returns null when it is good, else one sentence
 * naming the first bad key and the expected shape.
 */
export function checkConfig(config) {
  if (!isObject(config)) return `the config is ${show(config)}; expected ${SHAPE}`;
  const e = keys(config, 'config', ['locale', 'country', 'form', 'lookup', 'block', 'today', 'messages', 'fields', 'consent'], SHAPE);
  if (e) return e;
  const c = config;
  const top =
    (c.locale === undefined ? null : string(c.locale, 'config.locale', /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/, 'a language tag such as "fr" or "en"')) ||
    (c.country === undefined ? null : country(c.country, 'config.country')) ||
    (c.form === undefined ? null : string(c.form, 'config.form', null, 'a CSS selector such as "#signup"')) ||
    (c.lookup === undefined ? null : string(c.lookup, 'config.lookup', /^(https?:\/\/|\/)/, 'a URL such as "https://lookup.example.com"')) ||
    (c.block === undefined ? null : block(c.block, 'config.block')) ||
    (c.today === undefined ? null : string(c.today, 'config.today', /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/, 'a date such as "2026-01-31"'));
  if (top) return top;
  if (c.messages !== undefined) {
    const shape = '{ "fr": { "email.domain_typo": "Vouliez-vous dire {suggestion} ?" } }';
    if (!isObject(c.messages)) return `config.messages is ${show(c.messages)}; expected ${shape}`;
    for (const [loc, m] of Object.entries(c.messages)) {
      if (!isObject(m)) return `config.messages.${loc} is ${show(m)}; expected ${shape}`;
      for (const [code, text] of Object.entries(m)) if (typeof text !== 'string') return `config.messages.${loc}.${code} is ${show(text)}; expected a string`;
    }
  }
  if (c.fields === undefined) return `config.fields is missing; expected { "<name>": ${FIELD} }`;
  if (!isObject(c.fields) || Object.keys(c.fields).length === 0) return `config.fields is ${show(c.fields)}; expected at least one field: { "<name>": ${FIELD} }`;
  for (const [name, f] of Object.entries(c.fields)) {
    const fe = field(f, `config.fields.${name}`);
    if (fe) return fe;
  }
  if (c.consent === undefined) return null;
  if (c.lookup === undefined) return 'config.lookup is missing; expected the URL of the service recording config.consent, such as "/"';
  return conforms(c.consent, CONSENT, 'config.consent');
  return null;
}
