// Running the checks of an attached form: one field's local check (a call
// into the Wasm, after its data chunks), the whole form with the cross-field
// rules, and the verdicts of every field at once (a submit, handle.validate()).
// The rules are all in Rust; this says only which call to make, and when a
// late answer is stale (each field's `seq`).

import { validate, validateForm, loadData, chunksFor, wasm } from './api.js';
import { HINT, FULL_MODULE, UNKNOWN_COUNTRY } from './hints.js';
import { happened } from './show.js';

/** @typedef {import('./seam.js').Field} Field */
/** @typedef {import('./seam.js').Verdict} Verdict */
/** @typedef {import('./seam.js').State} State */

/**
 * @typedef {object} Checks
 * @property {(f: Field) => Verdict | null} local The local verdict of one field now (null if the call threw).
 * @property {(f: Field, arrived?: () => void) => Promise<void>} check The local check of one field, shown (its data chunks loaded first; `arrived` runs when they came late and the value is still current).
 * @property {() => Promise<void>} crossCheck The whole form with the cross-field rules, shown.
 * @property {() => Record<string, Verdict>} all Every field's verdict now, shown as on a submit (the hint machine told so).
 * @property {() => string[]} missing Data chunks the fields' values need and the page has not loaded.
 * @property {() => Promise<void>} fetchMissing Loads them (then, when the full Wasm module was among them, what it needs in turn); never rejects.
 * @property {(f: Field) => string[]} chunks Data chunks the field's check needs and the page has not loaded.
 * @property {() => Record<string, string>} values Normalised values by field name (the raw ones before `ready`).
 * @property {(f: Field) => string | null} country The country the field is checked with now (the core's form rule); null when only the full Wasm module can tell.
 */

/**
 * The checks of the form `s` describes; `show` records and shows a verdict.
 * @param {State} s
 * @param {(f: Field, v: Verdict) => Verdict} show
 * @returns {Checks}
 */
export function checksOf(s, show) {
  const { config, locale, fields } = s;
  const countryFields = fields.filter((f) => f.type === 'country');
  /** Kind indices, asked of the Wasm on first use (attach() runs before it has loaded). @type {Map<Field, number>} */
  const kinds = new Map();
  const kindOf = (/** @type {Field} */ f) => kinds.get(f) ?? kinds.set(f, wasm().kindIndex(f.type)).get(f) ?? 0;
  // A country crosses into the Wasm as its two char codes (0 = none).
  const cc = (/** @type {string | undefined} */ c) => (c ? (c.charCodeAt(0) << 8) | c.charCodeAt(1) : 0);
  /** The country the core's form rule gives the field: its own, else the address country (phones, postcodes, cities), else the form's. @param {Field} f */
  // Asked again only when a country field's value changed or the full Wasm
  // module came, not on every keystroke in the field itself (kind, own and
  // form countries are fixed).
  /** @type {Map<Field, { address: string, wasm: object, country: string | null }>} */
  const countries = new Map();
  const country = (f) => {
    const address = countryFields.map((x) => x.el.value).join('\u001f');
    const known = countries.get(f);
    if (known?.address === address && known.wasm === wasm()) return known.country;
    const n = wasm().fieldCountry(kindOf(f), cc(f.fc.country), address, cc(config.country));
    const c = n === UNKNOWN_COUNTRY ? null : n ? String.fromCharCode(n >> 8, n & 255) : '';
    countries.set(f, { address, wasm: wasm(), country: c });
    return c;
  };
  /** @param {Field} f */
  const opts = (f) => ({ locale, country: country(f) ?? '', required: f.required, minAge: f.minAge, today: config.today });
  // Each field's own country only: the core chooses between the address country and the form's.
  const formConfig = () => ({
    locale, country: config.country, today: config.today,
    fields: Object.fromEntries(fields.map((f) => [f.name, { type: /** @type {import('./index.d.ts').Kind} */ (f.type), country: f.fc.country, required: f.required, minAge: f.minAge }])),
  });
  const valuesNow = () => Object.fromEntries(fields.map((f) => [f.name, f.el.value]));
  const verdicts = () => validateForm(valuesNow(), formConfig());
  /** @param {Field} f @returns {string[]} */
  const chunks = (f) => {
    const c = country(f);
    const need = chunksFor(f.type, f.el.value, { locale, country: c ?? '' });
    return c === null ? [...need, FULL_MODULE] : need;
  };
  const missing = () => [...new Set(fields.flatMap(chunks))];
  // What `need()` lists, then, when the full Wasm module was among it, what
  // the full module needs in turn (a postcode's communes). Fails open.
  const fetchFor = async (/** @type {() => string[]} */ need) => {
    const first = need();
    await loadData(first).catch(() => {});
    if (first.includes(FULL_MODULE)) await loadData(need()).catch(() => {});
  };

  /** @param {Field} f @returns {Verdict | null} */
  function local(f) {
    try {
      return validate(f.type, f.el.value, opts(f));
    } catch (e) {
      console.error(e);
      return null;
    }
  }

  return {
    local,
    missing,
    chunks,
    country,
    fetchMissing: () => fetchFor(missing),
    async check(f, arrived) {
      const seq = ++f.seq;
      if (chunks(f).length) {
        await fetchFor(() => chunks(f)); // fail open: no data, the check does what it can
        if (seq !== f.seq || s.detached) return;
        arrived?.();
      }
      const v = local(f);
      if (v) show(f, v);
    },
    async crossCheck() {
      if (s.detached) return;
      await fetchFor(missing);
      if (s.detached) return;
      const seqs = fields.map((f) => f.seq);
      const all = verdicts();
      fields.forEach((f, i) => {
        if (seqs[i] === f.seq && all[f.name]) show(f, all[f.name]);
      });
    },
    all() {
      const all = verdicts();
      for (const f of fields) {
        happened(f, HINT.submit);
        const v = all[f.name];
        if (v) all[f.name] = show(f, v);
      }
      return all;
    },
    values() {
      if (!s.ready) return valuesNow();
      const all = verdicts();
      return Object.fromEntries(fields.map((f) => [f.name, all[f.name]?.normalized ?? f.el.value]));
    },
  };
}
