// Running the checks of an attached form: one field's local check (a call
// into the Wasm, after its data chunks), the whole form with the cross-field
// rules, and the verdicts of every field at once (a submit, handle.validate()).
// The rules are all in Rust; this says only which call to make, and when a
// late answer is stale (each field's `seq`).

import { validate, validateForm, loadData, chunksFor } from './api.js';
import { HINT } from './hints.js';
import { happened } from './show.js';

/** @typedef {import('./seam.js').Field} Field */
/** @typedef {import('./seam.js').Verdict} Verdict */
/** @typedef {import('./seam.js').State} State */

/**
 * @typedef {object} Checks
 * @property {(f: Field) => Verdict | null} local The local verdict of one field now (null if the call threw).
 * @property {(f: Field) => Promise<void>} check The local check of one field, shown (its data chunks loaded first).
 * @property {() => Promise<void>} crossCheck The whole form with the cross-field rules, shown.
 * @property {() => Record<string, Verdict>} all Every field's verdict now, shown as on a submit (the hint machine told so).
 * @property {() => string[]} missing Data chunks the fields' values need and the page has not loaded.
 * @property {() => Record<string, string>} values Normalised values by field name (the raw ones before `ready`).
 */

/**
 * The checks of the form `s` describes; `show` records and shows a verdict.
 * @param {State} s
 * @param {(f: Field, v: Verdict) => Verdict} show
 * @returns {Checks}
 */
export function checksOf(s, show) {
  const { config, locale, fields } = s;
  /** @param {Field} f */
  const opts = (f) => ({ locale, country: f.country, required: f.required, minAge: f.minAge, today: config.today });
  const formConfig = () => ({
    locale, country: config.country, today: config.today,
    fields: Object.fromEntries(fields.map((f) => [f.name, { type: /** @type {import('./index.d.ts').Kind} */ (f.type), country: f.country, required: f.required, minAge: f.minAge }])),
  });
  const valuesNow = () => Object.fromEntries(fields.map((f) => [f.name, f.el.value]));
  const verdicts = () => validateForm(valuesNow(), formConfig());
  /** @param {Field} f @returns {string[]} */
  const chunks = (f) => chunksFor(f.type, f.el.value, { country: f.country });
  const missing = () => [...new Set(fields.flatMap(chunks))];

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
    async check(f) {
      const seq = ++f.seq;
      const need = chunks(f);
      if (need.length) {
        await loadData(need).catch(() => {}); // fail open: no data, the check does what it can
        if (seq !== f.seq || s.detached) return;
      }
      const v = local(f);
      if (v) show(f, v);
    },
    async crossCheck() {
      if (s.detached) return;
      await loadData(missing()).catch(() => {});
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
