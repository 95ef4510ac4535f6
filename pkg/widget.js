// The DOM layer of fiable: attach(form, config) wires a form's fields to the checks.
//
// Why JavaScript and not Rust/web-sys: every DOM call crosses the JS↔Wasm
// boundary anyway, and web-sys bindings would add tens of KB to a Wasm that is
// already over its size budget. The rules stay in Rust: a keystroke's local
// check is one `validate` call into Wasm, cross-field rules are `validateForm`.
// This file only wires events, shows verdicts and applies suggestions: it
// decides nothing about an email or a phone (the tables below say which
// generic behaviour a kind gets, nothing more).
//
// "Reward early, punish late": a valid value is shown at once; warnings and
// errors only once the field was left (blur) or the form submitted. Only the
// statuses in `block` (default ["invalid"]) stop a submit. Fails open: a bad
// config, a Wasm that cannot load, a data chunk that cannot be fetched leave
// the form working as if fiable were not there.
//
// With `lookup` (the service's base URL) the widget also asks what a browser
// cannot know, and never depends on the answer (./lookup.js, loaded only then:
// email domains and unknown postcodes on blur, the street autocomplete).
//
// attach() wires the parts: field.js finds the fields and gives each its
// state, dom.js paints verdicts, gate.js holds a submit; the lazily loaded
// modules all receive one `Widget` object, typed in seam.js.
import { validate, validateForm, loadData, chunksFor, formatPhone } from './api.js';
import { init, assetsBeside } from './init.js';
import { checkConfig } from './config.js';
import { fieldsOf } from './field.js';
import { submitGate } from './gate.js';
import { setValue, rewrite, paint, clearField } from './dom.js';

/** @typedef {import('./seam.js').Field} Field */
/** @typedef {import('./seam.js').Widget} Widget */
/** @typedef {import('./seam.js').Verdict} Verdict */
/** @typedef {import('./seam.js').WidgetConfig} WidgetConfig */
/** @typedef {import('./index.d.ts').WidgetHandle} WidgetHandle */

/** Kinds formatted as they are typed (the formatter lives in Rust). */
const AS_YOU_TYPE = { phone: (/** @type {string} */ value, /** @type {Field} */ f) => formatPhone(value, f.country) };
/** Kinds whose value is replaced by the verdict's `normalized` on blur. */
const NORMALIZE_ON_BLUR = new Set(['first_name', 'last_name']);
/** Kinds whose verdict `details.cities` feed the suggestions of the city field (a combobox). */
const OFFERS_CITIES = new Set(['postcode']);

let uid = 0;
/** @type {WeakMap<HTMLFormElement, WidgetHandle>} */
const attached = new WeakMap();

/** @param {string} [reason] @returns {WidgetHandle} */
function inert(reason) {
  if (reason) console.error(`fiable: ${reason}. fiable is not attached; the form works without it.`);
  return { ready: Promise.resolve(false), detach() {}, validate: async () => ({}), values: () => ({}) };
}

/**
 * Attaches fiable to a form. Returns a handle: `detach()`, `validate()` (all
 * fields, with the cross-field rules; resolves to the verdicts by field name),
 * `values()` (normalised values by field name), `ready` (resolves true once
 * the checks run, false if fiable could not start).
 * @param {HTMLFormElement | string} formOrSelector
 * @param {WidgetConfig} config
 * @returns {WidgetHandle}
 */
export function attach(formOrSelector, config) {
  // Server-side rendering: a clear error rather than "document is not defined".
  if (typeof document === 'undefined') throw new TypeError('fiable: attach() needs a browser page; on the server (SSR) call it from an effect, or use validate/validateForm');
  const found = typeof formOrSelector === 'string' ? document.querySelector(formOrSelector) : formOrSelector;
  if (!(found instanceof HTMLFormElement)) return inert(`attach(form): ${JSON.stringify(String(formOrSelector))} is not a form`);
  const bad = checkConfig(config);
  if (bad) return inert(bad);
  const form = found;
  attached.get(form)?.detach();

  const locale = config.locale || form.closest('[lang]')?.getAttribute('lang') || 'en';
  const lang = locale.toLowerCase().split('-')[0];
  const id = `fiable-${uid + 1}`;
  const made = fieldsOf(form, config, id);
  if (typeof made === 'string') return inert(made);
  const fields = made;
  uid++;

  /** @type {(() => void)[]} */
  const undo = [];
  /** @type {import('./seam.js').On} */
  const on = (target, type, fn, opts) => {
    target.addEventListener(type, fn, opts);
    undo.push(() => target.removeEventListener(type, fn, opts));
  };
  let ready = false;
  let detached = false;
  /** The remote checks (./lookup.js) once loaded, with `lookup` only. @type {import('./seam.js').RemoteChecks | null} */
  let rc = null;
  /** ./consent.js: with `consent`, or to send a queued record. @type {import('./seam.js').ConsentCapture | null} */
  let cc = null;
  /** @type {Promise<void> | null} */
  let ccLoad = null;

  const live = document.createElement('div');
  live.className = 'fiable-live';
  live.setAttribute('role', 'status');
  live.setAttribute('aria-live', 'polite');
  form.append(live);

  const cityField = fields.find((f) => f.type === 'city');

  for (const f of fields) {
    const { el, hint } = f;
    el.after(hint);
    const described = el.getAttribute('aria-describedby');
    el.setAttribute('aria-describedby', described ? `${described} ${hint.id}` : hint.id);
    el.classList.add('fiable-field');
    undo.push(() => {
      hint.remove();
      if (described === null) el.removeAttribute('aria-describedby');
      else el.setAttribute('aria-describedby', described);
      clearField(el);
    });
    on(el, 'input', (e) => {
      if (!ready || e.isComposing || e === echo) return;
      rc?.forget(f);
      reformat(f, e);
      check(f);
    });
    on(el, 'change', () => {
      if (!ready || el instanceof HTMLInputElement) return; // a <select> commits on change, an input on blur
      f.touched = true;
      check(f).then(crossCheck);
    });
    on(el, 'blur', () => {
      if (!ready) return;
      f.touched = true;
      if (NORMALIZE_ON_BLUR.has(f.type)) {
        const v = local(f);
        if (v && v.normalized && v.normalized !== el.value && v.status === 'valid') setValue(el, v.normalized);
      }
      check(f).then(crossCheck).then(() => rc?.ask(f));
    });
  }
  undo.push(() => fields.forEach((f) => rc?.forget(f)));
  // The city field: a combobox of the postcode's communes (./combobox.js, loaded only then).
  /** @type {string[]} */
  let cities = [];
  /** @type {(() => void) | null} */
  let offer = null;
  undo.push(() => {
    live.remove();
    form.classList.remove('fiable-ready');
  });

  /** @param {Field} f */
  const opts = (f) => ({ locale, country: f.country, required: f.required, minAge: f.minAge, today: config.today });
  const formConfig = () => ({
    locale, country: config.country, today: config.today,
    fields: Object.fromEntries(fields.map((f) => [f.name, { type: /** @type {import('./index.d.ts').Kind} */ (f.type), country: f.country, required: f.required, minAge: f.minAge }])),
  });
  const valuesNow = () => Object.fromEntries(fields.map((f) => [f.name, f.el.value]));
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

  /** The local check of one field (loads its data chunks first when needed). @param {Field} f */
  async function check(f) {
    const seq = ++f.seq;
    const need = chunks(f);
    if (need.length) {
      await loadData(need).catch(() => {}); // fail open: no data, the check does what it can
      if (seq !== f.seq || detached) return;
    }
    const v = local(f);
    if (v) show(f, v);
  }

  /** The whole form with the cross-field rules (after a blur, a change of a select). */
  async function crossCheck() {
    if (detached) return;
    await loadData(missing()).catch(() => {});
    if (detached) return;
    const seqs = fields.map((f) => f.seq);
    const verdicts = validateForm(valuesNow(), formConfig());
    fields.forEach((f, i) => {
      if (seqs[i] === f.seq && verdicts[f.name]) show(f, verdicts[f.name]);
    });
  }

  /** @param {Verdict} v */
  function message(v) {
    const own = config.messages?.[locale]?.[v.code] ?? config.messages?.[lang]?.[v.code];
    if (own === undefined) return v.message;
    return own.replaceAll('{suggestion}', v.suggestion ?? '').replaceAll('{value}', v.normalized ?? '');
  }

  /** @param {Field} f */
  const blocks = (f) => !!f.verdict && f.block.has(f.verdict.status);

  /**
   * Records a verdict (messages overridden), shows it when it is time ("reward early, punish late"); returns it.
   * @param {Field} f
   * @param {Verdict} verdict
   */
  function show(f, verdict) {
    f.base = verdict;
    if (rc) verdict = rc.amend(f, verdict);
    const v = { ...verdict, message: message(verdict) };
    f.verdict = v;
    const { el } = f;
    el.setCustomValidity?.(blocks(f) ? v.message || v.code : '');
    if (OFFERS_CITIES.has(f.type)) offerCities(v.details?.cities);
    const empty = el.value.trim() === '';
    const status = empty && v.status === 'valid' ? '' : v.status === 'valid' || f.touched ? v.status : '';
    const key = status && `${status}\u001f${v.code}\u001f${v.message}\u001f${v.suggestion ?? ''}`;
    if (key !== f.shown) {
      f.shown = key;
      paint(f, v, status, live);
    }
    return v;
  }

  /** The postcode's communes: offered in the city field; a single one fills it when empty and not being typed in. @param {unknown} list */
  function offerCities(list) {
    if (!cityField) return;
    cities = Array.isArray(list) ? list : [];
    const { el } = cityField;
    if (document.activeElement === el) offer?.();
    else if (cities.length === 1 && el.value === '') setValue(el, cities[0]);
  }

  /** The input event reformat() sends after its own write (not checked twice). @type {Event | null} */
  let echo = null;
  /** Phone formatted as typed (the caret kept in place). @param {Field} f @param {InputEvent} e */
  function reformat(f, e) {
    const fmt = AS_YOU_TYPE[/** @type {'phone'} */ (f.type)];
    if (!fmt || (e.inputType ?? '').startsWith('delete')) return;
    const { el } = f;
    const after = fmt(el.value, f);
    if (after === el.value) return;
    rewrite(el, after);
    // A framework whose listener ran before ours (Vue's v-model) holds the unformatted value: tell it.
    echo = new Event('input', { bubbles: true });
    el.dispatchEvent(echo);
    echo = null;
  }

  function verdictsNow() {
    const verdicts = validateForm(valuesNow(), formConfig());
    for (const f of fields) {
      f.touched = true;
      const v = verdicts[f.name];
      if (v) verdicts[f.name] = show(f, v);
    }
    return verdicts;
  }

  // Constraint validation run by the browser (a form without novalidate): show the same hints.
  on(form, 'invalid', (e) => {
    const f = fields.find((x) => x.el === e.target);
    if (f && ready) {
      f.touched = true;
      f.shown = '';
      if (f.verdict) show(f, f.verdict);
    }
  }, true);

  const gate = submitGate(form, on, {
    ready: () => ready,
    detached: () => detached,
    missing,
    held: () => [ccLoad, ...fields.map((f) => f.inflight)],
    blocking: () => {
      verdictsNow();
      const first = fields.find(blocks);
      if (first) {
        first.el.focus();
        live.textContent = first.verdict?.message ?? '';
      }
      return !!first;
    },
    consent: () => cc,
  });

  /** The widget's side, as each lazily loaded module receives it (seam.js). @type {Widget} */
  const w = {
    form, config, locale, lang, id, fields, live, on, undo, show, check, crossCheck, setValue,
    values: () => handle.values(),
    cities: () => cities,
    detached: () => detached,
    gating: () => gate.gating(),
  };
  // The lazy modules this form needs: `ready` waits for them (each failing alone, quietly).
  const parts = [];
  if (cityField?.el instanceof HTMLInputElement && !cityField.el.getAttribute('list')) {
    const city = cityField;
    parts.push(import('./combobox.js').then((m) => {
      if (!detached) offer = m.cityBox(city, w);
    }, (e) => console.debug('fiable: no city suggestions', e)));
  }
  if (config.lookup) {
    parts.push(import('./lookup.js').then((m) => {
      if (!detached) rc = m.remoteChecks(w);
    }, (e) => console.debug('fiable: no remote checks', e)));
  }
  let queued;
  try {
    queued = config.lookup && Object.keys(localStorage).some((k) => k.startsWith('fiable.consent:'));
  } catch {} // no storage, no queue
  if (config.consent || queued) {
    ccLoad = import('./consent.js').then((m) => {
      if (!detached) cc = m.consentCapture(w);
    }, (e) => console.error('fiable: no consent capture', e)).finally(() => (ccLoad = null));
    parts.push(ccLoad);
  }

  const started = Promise.all([init(), ...parts]).then(
    () => {
      if (detached) return false;
      ready = true;
      for (const f of fields) if (f.el.value !== '') check(f);
      // The data the empty fields will need (a phone field's own region):
      // fetched now, so the first keystroke finds it; a failure only means
      // those checks answer "pending" until a later fetch succeeds.
      loadData(missing()).catch(() => {});
      form.classList.add('fiable-ready');
      form.dispatchEvent(new CustomEvent('fiable:ready', { bubbles: true }));
      return true;
    },
    (e) => {
      console.error('fiable: the checks could not start; the form works without them.', e);
      handle.detach();
      return false;
    },
  );

  /** @type {WidgetHandle} */
  const handle = {
    ready: started,
    detach() {
      if (detached) return;
      detached = true;
      ready = false;
      for (const u of undo.reverse()) u();
      attached.delete(form);
    },
    async validate() {
      if (!(await started) || detached) return {};
      await loadData(missing()).catch(() => {});
      return verdictsNow();
    },
    values() {
      if (!ready) return valuesNow();
      const verdicts = validateForm(valuesNow(), formConfig());
      return Object.fromEntries(fields.map((f) => [f.name, verdicts[f.name]?.normalized ?? f.el.value]));
    },
  };
  attached.set(form, handle);
  return handle;
}

/**
 * The script-tag entry (dist/fiable.js) calls this: attaches to the forms
 * named by the tag's data-form with its data-config, and to each
 * <script type="application/json" data-fiable data-form="…"> config.
 */
export function autoAttach(script) {
  // The files sit beside the tag's own dist/fiable.js, wherever it is served from.
  assetsBeside(script?.src);
  const jobs = [];
  if (script?.dataset.config !== undefined) jobs.push([script.dataset.form, script.dataset.config, 'data-config']);
  for (const el of /** @type {NodeListOf<HTMLScriptElement>} */ (document.querySelectorAll('script[type="application/json"][data-fiable]'))) {
    jobs.push([el.dataset.form, el.textContent, '<script type="application/json" data-fiable>']);
  }
  const run = () => {
    for (const [selector, text, where] of jobs) {
      let config;
      try {
        config = JSON.parse(text);
      } catch (e) {
        inert(`the config in ${where} is not JSON (${/** @type {Error} */ (e).message})`);
        continue;
      }
      const sel = selector || config?.form;
      if (!sel) {
        inert(`no form to attach to; expected data-form="#signup" on ${where} or "form": "#signup" in the config`);
        continue;
      }
      let forms;
      try {
        forms = document.querySelectorAll(sel);
      } catch {
        inert(`the form selector ${JSON.stringify(sel)} is not a valid CSS selector`);
        continue;
      }
      if (forms.length === 0) inert(`the form selector ${JSON.stringify(sel)} matches no form`);
      for (const form of forms) attach(form, config);
    }
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', run, { once: true });
  else run();
}
