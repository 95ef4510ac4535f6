// Showing a verdict: the page's own wording (config.messages) over the
// core's, and what the lookup service added. When it shows ("reward early,
// punish late") is the core's rule, a small state machine per field
// (core/src/hint.rs): this tells it what happened (`happened`) and has dom.js
// paint what it says to show.

import { setValue, paint } from './dom.js';
import { wasm } from './api.js';
import { HINT, SHOWS, SHOWN_AT, ANNOUNCE, STATUSES } from './hints.js';

/** @typedef {import('./seam.js').Field} Field */
/** @typedef {import('./seam.js').Verdict} Verdict */
/** @typedef {import('./seam.js').State} State */

/** Kinds whose verdict `details.cities` feed the suggestions of the city field (a combobox). */
const OFFERS_CITIES = new Set(['postcode']);

/**
 * Tells the field's hint state machine what happened.
 * @param {Field} f
 * @param {number} event One of HINT.
 */
export const happened = (f, event) => {
  f.stage = wasm().hint(f.stage, event);
};

/** Whether the verdict shown stops a submit. @param {Field} f */
export const blocks = (f) => !!f.verdict && f.block.has(f.verdict.status);

/**
 * Returns `show(f, verdict)`: records a local verdict (remote facts and the
 * page's messages applied), shows it when it is time, and returns it.
 * @param {State} s
 * @param {Field | undefined} cityField The field the postcode's communes are offered in.
 * @returns {(f: Field, verdict: Verdict) => Verdict}
 */
export function shows(s, cityField) {
  const { config, locale, lang, live } = s;

  /** @param {Verdict} v */
  function message(v) {
    const own = config.messages?.[locale]?.[v.code] ?? config.messages?.[lang]?.[v.code];
    if (own === undefined) return v.message;
    return own.replaceAll('{suggestion}', v.suggestion ?? '').replaceAll('{value}', v.normalized ?? '');
  }

  /** The postcode's communes: offered in the city field; a single one fills it when empty and not being typed in. @param {unknown} list */
  function offerCities(list) {
    if (!cityField) return;
    const cities = (s.cities = Array.isArray(list) ? list : []);
    const { el } = cityField;
    if (document.activeElement === el) s.offer?.();
    else if (cities.length === 1 && el.value === '') setValue(el, cities[0], HINT.page);
  }

  return (f, verdict) => {
    f.base = verdict;
    if (s.rc) verdict = s.rc.amend(f, verdict);
    const v = { ...verdict, message: message(verdict) };
    f.verdict = v;
    const { el } = f;
    el.setCustomValidity?.(blocks(f) ? v.message || v.code : '');
    if (OFFERS_CITIES.has(f.type)) offerCities(v.details?.cities);
    happened(f, HINT.verdict + STATUSES.indexOf(v.status) + (el.value.trim() === '' ? HINT.empty : 0));
    const status = SHOWS[(f.stage >> SHOWN_AT) & 7] ?? '';
    const key = status && `${status}\u001f${v.code}\u001f${v.message}\u001f${v.suggestion ?? ''}`;
    if (key !== f.shown) {
      f.shown = key;
      paint(f, v, status, live, (f.stage & ANNOUNCE) !== 0);
    }
    return v;
  };
}
