// The friendly API over the raw Wasm exports: argument checks, defaults,
// JSON → objects, lazy data chunks. Shared by index.js (browser/bundler)
// and node.js. Rules live in Rust; nothing here decides a verdict.
import { FULL_MODULE } from './hints.js';

/** @typedef {Omit<typeof import('./dist/fiable_wasm.js'), 'default' | 'initSync'>} Wasm The exports the checks call. */
/**
 * The Wasm module the checks call: the full one (dist/fiable_wasm.js, every
 * kind), or on a script-tag page the eager one (dist/fiable_first.js) until
 * a check asks for the full one as the chunk FULL_MODULE (init.js).
 * @type {Wasm}
 */
let raw;
/** How the full module is loaded while the eager one answers. @type {(() => Promise<Wasm>) | null} */
let fullLoader = null;
/** The chunks loaded into the eager module, loaded into the full one when it comes. @type {Map<string, Uint8Array> | null} */
let kept = null;

const OPTION_KEYS = new Set(['locale', 'country', 'minAge', 'required', 'today']);
/** @type {((name: string) => Uint8Array | Promise<Uint8Array>) | null} */
let chunkLoader = null;
const loaded = new Set();
const loading = new Map();

/** @internal The Wasm module the checks call; `full` loads the full one when `m` is the eager one. @param {Wasm} m @param {() => Promise<Wasm>} [full] */
export function useWasm(m, full) {
  raw = m;
  fullLoader = full ?? null;
  kept = full ? new Map() : null;
}

/** @internal The Wasm exports the checks call now. @returns {Wasm} */
export function wasm() {
  return raw;
}

/** @internal Sets how chunks are fetched (browser: fetch; Node: fs). */
export function setChunkLoader(fn) {
  chunkLoader = fn;
}

/** @param {string} msg @returns {never} */
function fail(msg) {
  throw new TypeError(`fiable: ${msg}`);
}

function text(value, what) {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return fail(`${what} must be a string, got ${typeof value}`);
}

const ymd = (d) => d.getFullYear() * 10000 + (d.getMonth() + 1) * 100 + d.getDate();
// Today as yyyymmdd, read only for a check that needs the date (see verdict()).
const todayNow = () => ymd(new Date(Date.now()));

function yyyymmdd(today) {
  if (typeof today === 'string') {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(today);
    if (!m) fail('options.today must be a Date or a "YYYY-MM-DD" string');
    return Number(m[1] + m[2] + m[3]);
  }
  if (today instanceof Date && !Number.isNaN(today.getTime())) return ymd(today);
  return fail('options.today must be a Date or a "YYYY-MM-DD" string');
}

function defaultLocale() {
  return (typeof document !== 'undefined' && document.documentElement.lang) || 'en';
}

// A country crosses into the Wasm as its two char codes (0 = none; opts() checks the option itself).
const cc = (c) => (typeof c === 'string' && c.length === 2 ? (c.charCodeAt(0) << 8) | c.charCodeAt(1) : 0);
const isLetter = (c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

function opts(options, where = 'options') {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object' || Array.isArray(options)) fail(`${where} must be an object`);
  for (const k in options) {
    if (!OPTION_KEYS.has(k)) fail(`unknown option ${where}.${k}; expected one of ${[...OPTION_KEYS].join(', ')}`);
  }
  const { locale = defaultLocale(), minAge = 0, required = false } = options;
  // null, like undefined, is how JavaScript says "none": no default country.
  const country = options.country ?? '';
  if (typeof locale !== 'string') fail(`${where}.locale must be a string such as "fr" or "en"`);
  if (typeof country !== 'string' || (country !== '' && !(country.length === 2 && isLetter(country.charCodeAt(0)) && isLetter(country.charCodeAt(1)))))
    fail(`${where}.country must be a two-letter ISO 3166 code such as "FR"`);
  if (!Number.isInteger(minAge) || minAge < 0 || minAge > 150) fail(`${where}.minAge must be a whole number of years`);
  if (typeof required !== 'boolean') fail(`${where}.required must be true or false`);
  // 0: no date given; the clock is read only where a check needs it (see verdict()).
  return { locale, country, minAge, required, today: options.today === undefined ? 0 : yyyymmdd(options.today) };
}

/**
 * Checks one value. Returns a verdict object, never throws for a bad value
 * (only for a wrong call, such as an unknown kind).
 */
export function validate(kind, value, options) {
  // No options: the defaults without building an options object.
  if (options === undefined) return verdict(kindIndex(kind), text(value, 'value'), localeIndex(defaultLocale()), 0, 0, false, 0);
  const o = opts(options);
  const c = o.country;
  // The country as its two char codes: a number crosses into the Wasm, a string is copied.
  return verdict(kindIndex(kind), text(value, 'value'), localeIndex(o.locale), c ? (c.charCodeAt(0) << 8) | c.charCodeAt(1) : 0, o.minAge, o.required, o.today);
}

// Without a date (today 0) a check whose kind reads it answers an empty
// record (src/lib.rs check): only then is the clock read and the check made
// again, and the other kinds, most checks, never pay for Date.now().
function verdict(k, value, loc, country, minAge, required, today) {
  return fromRecord(raw.check(k, value, loc, country, minAge, required, today)
    || (!today && raw.check(k, value, loc, country, minAge, required, todayNow())) || fail('unknown kind index'));
}

// A verdict record (Rust `Verdict::to_record`) as the object JSON.parse would
// give for the same verdict, same keys in the same order: read part by part
// (indexOf and slice: no array of parts, no closure per call) into object
// literals, a fraction of JSON.parse's cost on every keystroke.
let rec = ''; // the record being read
let at = 0; // where its next part starts
/** The next part, its first `skip` characters (a mark) left out. */
function part(skip = 0) {
  const start = at;
  at = rec.indexOf('\u001f', start) + 1 || rec.length + 1;
  return rec.slice(start + skip, at - 1);
}
/** A text detail's value, its key skipped (the literal below names it). */
const textDetail = () => ((at = rec.indexOf('\u001f', at) + 1), part(1));

function fromRecord(r) {
  if (r.charCodeAt(0) === 123) return JSON.parse(r); // "{": text holding a separator came as JSON
  rec = r;
  at = 0;
  const v = { field: part(), status: part(), code: part(), message: part() };
  // Suggestion and normalized form: "+" and the text, or nothing.
  if (r.charCodeAt(at) === 43) v.suggestion = part(1);
  else at++;
  if (r.charCodeAt(at) === 43) v.normalized = part(1);
  else at++;
  if (at < r.length) {
    // A valid phone's first four details, always these (core/src/phone/mod.rs
    // check): a literal, where keys read from the record would each be looked
    // up in the engine's string table.
    const d = r.startsWith('type\u001f', at)
      ? { type: textDetail(), country: textDetail(), national: textDetail(), international: textDetail() }
      : {};
    while (at < r.length) d[part()] = detail(part());
    v.details = d;
  }
  return v;
}

function detail(x) {
  switch (x.charCodeAt(0)) {
    case 115: return x.slice(1); // s: text
    case 110: return x === 'nnull' ? null : Number(x.slice(1)); // n: number
    case 116: return true; // t
    case 102: return false; // f
    default: return x.length > 1 ? x.slice(1).split('\u001e') : []; // l: list
  }
}

// Kind names and locale tags resolved once by the Wasm (the rules stay in
// Rust) and cached here: a check then passes numbers, not strings.
const kinds = new Map();
const locales = new Map();
function kindIndex(kind) {
  let i = kinds.get(kind);
  if (i === undefined) {
    i = raw.kindIndex(String(kind)); // throws, naming the kinds, for an unknown one
    kinds.set(kind, i);
  }
  return i;
}
function localeIndex(tag) {
  let i = locales.get(tag);
  if (i === undefined) {
    if (locales.size > 64) locales.clear();
    i = raw.localeIndex(tag);
    locales.set(tag, i);
  }
  return i;
}

// Control characters are never valid in a field; they would break the record framing.
// eslint-disable-next-line no-control-regex -- these two characters are what it replaces
const clean = (s) => s.replace(/[\u001e\u001f]/g, '\ufffd');

/**
 * Checks a whole form and applies the cross-field rules
 * (civility ↔ first name, postcode ↔ city, phone country ↔ address country).
 * `config.fields` maps a field name to `{ type, country?, required?, minAge? }`;
 * a value whose name is itself a kind (`email`, `phone`…) needs no config.
 * Both arguments come from callers' JS unchecked, hence checked here.
 * @param {Record<string, unknown>} values
 * @param {Partial<import('./index.d.ts').FormConfig>} [config]
 * @returns {Record<string, import('./index.d.ts').Verdict>}
 */
export function validateForm(values, config = {}) {
  if (!values || typeof values !== 'object') fail('validateForm(values): values must be an object');
  if (!config || typeof config !== 'object') fail('validateForm(values, config): config must be an object');
  const fields = config.fields ?? {};
  const o = opts({ locale: config.locale, country: config.country, today: config.today }, 'config');
  const names = new Set([...Object.keys(fields), ...Object.keys(values)]);
  const recs = [];
  for (const name of names) {
    const f = fields[name] ?? { type: name };
    if (typeof f !== 'object' || typeof f.type !== 'string') fail(`config.fields.${name}.type must be a field kind such as "email"`);
    if (!fields[name] && !isKind(f.type)) continue; // an unrelated value, e.g. a CSRF token
    const fo = opts({ country: f.country, required: f.required, minAge: f.minAge, today: config.today }, `config.fields.${name}`);
    recs.push([clean(name), f.type, clean(text(values[name], `values.${name}`)), fo.country, fo.required ? '1' : '0', String(fo.minAge)].join('\u001f'));
  }
  return JSON.parse(raw.checkFormRaw(recs.join('\u001e'), o.locale, o.country, o.today || todayNow()));
}

/**
 * Like validateForm, but first loads the data its checks need.
 * @param {Record<string, unknown>} values
 * @param {Partial<import('./index.d.ts').FormConfig>} [config]
 */
export async function validateFormAsync(values, config = {}) {
  const fields = config?.fields ?? {};
  const need = new Set();
  const names = [...new Set([...Object.keys(fields), ...Object.keys(values ?? {})])];
  const typeOf = (name) => fields[name]?.type ?? name;
  // Each field's country as the core's form rule gives it (the address country before the form's).
  const address = names.filter((n) => typeOf(n) === 'country').map((n) => clean(text(values?.[n], `values.${n}`))).join('\u001f');
  for (const name of names) {
    const type = typeOf(name);
    if (!isKind(type)) continue;
    const n = raw.fieldCountry(kindIndex(type), cc(fields[name]?.country), address, cc(config?.country));
    const country = n ? String.fromCharCode(n >> 8, n & 255) : '';
    for (const c of chunksFor(type, values?.[name], { locale: config?.locale, country: country || undefined })) need.add(c);
  }
  await loadData([...need]);
  return validateForm(values, config);
}

function isKind(name) {
  try {
    raw.chunksFor(name, '', '', 1);
    return true;
  } catch {
    return false;
  }
}

/** Formats a phone number as it is typed ("0612" → "06 12"). */
export function formatPhone(value, country = '') {
  if (typeof country !== 'string') fail('formatPhone(value, country): country must be a string such as "FR"');
  return raw.formatPhone(text(value, 'value'), country);
}

/** The communes of a French postcode, `[{ name, insee, postcode }]` (needs its data chunk: see loadData). */
export function citiesForPostcode(postcode) {
  return JSON.parse(raw.citiesRaw(text(postcode, 'postcode')));
}

/** The package version. */
export function version() {
  return raw.version();
}

/** Loads data chunks by name (e.g. "firstnames-j", "communes-75"); resolves when loaded. */
export async function loadData(names) {
  await Promise.all(names.filter((n) => n && !loaded.has(n)).map(loadOne));
}

function loadOne(name) {
  if (!loading.has(name)) {
    if (!chunkLoader) fail('call init() before loading data');
    const p = name === FULL_MODULE ? loadFull() : Promise.resolve(chunkLoader(name)).then((bytes) => {
      raw.loadChunk(name, bytes);
      kept?.set(name, bytes);
      loaded.add(name);
    });
    p.catch(() => loading.delete(name)); // allow a retry after a network error
    loading.set(name, p);
  }
  return loading.get(name);
}

/** @internal Loads a chunk from bytes already at hand. */
export function loadDataSync(name, bytes) {
  raw.loadChunk(name, bytes);
  kept?.set(name, bytes);
  loaded.add(name);
}

// The full module, given the chunks the eager one holds (their bytes, not
// fetched again), then called instead of it. Only the eager module's
// chunksFor names it, so there is always a loader.
async function loadFull() {
  if (!fullLoader) return;
  const m = await fullLoader();
  for (const [name, bytes] of kept ?? []) m.loadChunk(name, bytes);
  useWasm(m);
}

/**
 * The data chunks a check of `kind` on `value` (with these options) would
 * use and that are not loaded, the locale's texts among them (the Wasm
 * carries French; English is the chunk `text-en`).
 */
export function chunksFor(kind, value, options) {
  const o = opts(options);
  const s = raw.chunksFor(String(kind), text(value, 'value'), o.country, localeIndex(o.locale));
  return s ? s.split(',') : [];
}

/** @internal The chunks the texts of a locale need that are not loaded (none for French). */
export function textChunks(locale = defaultLocale()) {
  const s = raw.chunksFor('email', '', '', localeIndex(locale));
  return s ? s.split(',') : [];
}

/** Like validate, but first loads the data the check needs (communes, first names, the locale's texts). */
export async function validateAsync(kind, value, options) {
  await loadData(chunksFor(kind, value, options));
  return validate(kind, value, options);
}
