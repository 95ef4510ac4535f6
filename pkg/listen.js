// The events of an attached form's fields: a keystroke checks the field (a
// phone reformatted as typed first), leaving it (blur; a <select>'s change)
// also runs the cross-field rules and then asks the lookup service, and the
// browser's own constraint validation shows the same hints. Before `ready`
// (the Wasm still on its way) nothing is checked, but what happened is kept
// (`Field.early`) and told to the hint state machine at ready: a field typed
// in and still focused then is not punished early, one typed in and left is.

import { formatPhone } from './api.js';
import { setValue, rewrite, decorate, writing } from './dom.js';
import { happened } from './show.js';
import { HINT } from './hints.js';

/** @typedef {import('./seam.js').Field} Field */
/** @typedef {import('./seam.js').Verdict} Verdict */
/** @typedef {import('./seam.js').State} State */

/** Kinds formatted as they are typed (the formatter lives in Rust), with the field's country. */
const AS_YOU_TYPE = { phone: (/** @type {string} */ value, /** @type {string} */ country) => formatPhone(value, country) };
/** Kinds whose value is replaced by the verdict's `normalized` on blur. */
const NORMALIZE_ON_BLUR = new Set(['first_name', 'last_name']);

/**
 * Wires the fields of `s` (listeners removed, hints taken off, by detach).
 * @param {State} s
 * @param {import('./checks.js').Checks} c
 * @param {(f: Field, v: Verdict) => Verdict} show
 */
export function listen(s, c, show) {
  const { fields, on, undo } = s;
  /** The input event reformat() sends after its own write (not checked twice). @type {Event | null} */
  let echo = null;

  /** Phone formatted as typed (the caret kept in place). @param {Field} f @param {InputEvent} e */
  function reformat(f, e) {
    const fmt = AS_YOU_TYPE[/** @type {'phone'} */ (f.type)];
    if (!fmt || (e.inputType ?? '').startsWith('delete')) return;
    const { el } = f;
    const after = fmt(el.value, c.country(f) ?? '');
    if (after === el.value) return;
    rewrite(el, after);
    // A framework whose listener ran before ours (Vue's v-model) holds the unformatted value: tell it.
    echo = new Event('input', { bubbles: true });
    el.dispatchEvent(echo);
    echo = null;
  }

  /** Keeps a hint event that came before ready (a repeat of the last one changes nothing; the latest 32 kept). @param {Field} f @param {number} ev */
  const early = (f, ev) => {
    if (f.early[f.early.length - 1] !== ev && f.early.push(ev) > 32) f.early.shift();
  };

  for (const f of fields) {
    const { el } = f;
    undo.push(decorate(f));
    on(el, 'input', (e) => {
      if (e.isComposing || e === echo) return;
      if (!s.ready) return early(f, e.isTrusted ? HINT.input : HINT.page);
      s.rc?.forget(f);
      // The person's keystroke, fiable's own write (a suggestion, a chosen address), or the page's script.
      happened(f, writing ?? (e.isTrusted ? HINT.input : HINT.page));
      reformat(f, e);
      // A region's data that arrives after the last keystroke still formats
      // what was typed (a country just chosen, a slow network).
      c.check(f, () => reformat(f, e));
    });
    on(el, 'change', () => {
      if (el instanceof HTMLInputElement) return; // a <select> commits on change, an input on blur
      if (!s.ready) return (early(f, HINT.input), early(f, HINT.blur));
      happened(f, HINT.input);
      happened(f, HINT.blur);
      c.check(f).then(c.crossCheck);
    });
    on(el, 'blur', () => {
      if (!s.ready) return early(f, HINT.blur);
      happened(f, HINT.blur);
      if (NORMALIZE_ON_BLUR.has(f.type)) {
        const v = c.local(f);
        // Still leaving: the same event again changes nothing.
        if (v && v.normalized && v.normalized !== el.value && v.status === 'valid') setValue(el, v.normalized, HINT.blur);
      }
      c.check(f).then(c.crossCheck).then(() => s.rc?.ask(f));
    });
  }
  undo.push(() => fields.forEach((f) => s.rc?.forget(f)));

  // Constraint validation run by the browser (a form without novalidate): show the same hints.
  on(s.form, 'invalid', (e) => {
    const f = fields.find((x) => x.el === e.target);
    if (f && s.ready) {
      happened(f, HINT.submit);
      f.shown = '';
      if (f.verdict) show(f, f.verdict);
    }
  }, true);
}
