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
import { init, validate, validateForm, loadData, chunksFor, formatPhone } from './index.js';
import { checkConfig } from './config.js';

/** Kinds formatted as they are typed (the formatter lives in Rust). */
const AS_YOU_TYPE = { phone: (value, f) => formatPhone(value, f.country) };
/** Kinds whose value is replaced by the verdict's `normalized` on blur. */
const NORMALIZE_ON_BLUR = new Set(['first_name', 'last_name']);
/** Kinds whose verdict `details.cities` feed the suggestions of the city field (a combobox). */
const OFFERS_CITIES = new Set(['postcode']);
const STATUSES = ['valid', 'warning', 'invalid', 'pending'];

let uid = 0;
const attached = new WeakMap();

/** Writes past the instance's `value` (React tracks those writes, then misses the input event). */
function write(el, value) {
  const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(el), 'value')?.set;
  if (setter) setter.call(el, value);
  else el.value = value;
}

/** Sets a value the way a person would, so React/Vue-controlled inputs follow. */
function setValue(el, value) {
  write(el, value);
  el.dispatchEvent(new Event('input', { bubbles: true }));
  el.dispatchEvent(new Event('change', { bubbles: true }));
}

/** Non-separator characters: what the caret is counted in when a value is reformatted. */
const significant = (s) => s.replace(/[\s.\-/()]/g, '').length;

function inert(reason) {
  if (reason) console.error(`fiable: ${reason}. fiable is not attached; the form works without it.`);
  return { ready: Promise.resolve(false), detach() {}, validate: async () => ({}), values: () => ({}) };
}

/**
 * Attaches fiable to a form. Returns a handle: `detach()`, `validate()` (all
 * fields, with the cross-field rules; resolves to the verdicts by field name),
 * `values()` (normalised values by field name), `ready` (resolves true once
 * the checks run, false if fiable could not start).
 */
export function attach(formOrSelector, config) {
  const form = typeof formOrSelector === 'string' ? document.querySelector(formOrSelector) : formOrSelector;
  if (!(form instanceof HTMLFormElement)) return inert(`attach(form): ${JSON.stringify(String(formOrSelector))} is not a form`);
  const bad = checkConfig(config);
  if (bad) return inert(bad);
  if (attached.has(form)) attached.get(form).detach();

  const locale = config.locale || form.closest('[lang]')?.lang || 'en';
  const lang = locale.toLowerCase().split('-')[0];
  const formBlock = config.block ?? ['invalid'];
  const fields = [];
  for (const [name, fc] of Object.entries(config.fields)) {
    let el;
    try {
      el = form.querySelector(fc.selector) ?? document.querySelector(fc.selector);
    } catch {
      return inert(`config.fields.${name}.selector ${JSON.stringify(fc.selector)} is not a valid CSS selector; expected one such as "#email"`);
    }
    if (!el || !('value' in el)) return inert(`config.fields.${name}.selector ${JSON.stringify(fc.selector)} matches no input, select or textarea; expected the selector of one`);
    fields.push({
      name, el, type: fc.type,
      country: fc.country ?? config.country ?? '',
      required: fc.required ?? el.required,
      minAge: fc.minAge,
      block: new Set(fc.block ?? formBlock),
      touched: false, verdict: null, base: null, shown: '', seq: 0, hint: null, fc, inflight: null,
    });
  }
  for (const f of fields) {
    for (const k of ['postcode', 'city', 'housenumber']) {
      if (f.fc[k] && !config.fields[f.fc[k]]) return inert(`config.fields.${f.name}.${k} names no field`);
    }
  }

  const id = `fiable-${++uid}`;
  const undo = [];
  const on = (target, type, fn, opts) => {
    target.addEventListener(type, fn, opts);
    undo.push(() => target.removeEventListener(type, fn, opts));
  };
  let ready = false;
  let detached = false;
  let resubmitting = false;
  let gating = false;
  /** The remote checks (./lookup.js) once loaded, with `lookup` only. */
  let rc = null;
  /** ./consent.js: with `consent`, or to send a queued record. */
  let cc = null;
  let ccLoad = null;

  const live = document.createElement('div');
  live.className = 'fiable-live';
  live.setAttribute('role', 'status');
  live.setAttribute('aria-live', 'polite');
  form.append(live);

  const cityField = fields.find((f) => f.type === 'city');

  for (const f of fields) {
    const { el } = f;
    f.hint = document.createElement('span');
    f.hint.className = 'fiable-hint';
    f.hint.id = `${id}-${f.name}-hint`;
    el.after(f.hint);
    const described = el.getAttribute('aria-describedby');
    el.setAttribute('aria-describedby', described ? `${described} ${f.hint.id}` : f.hint.id);
    el.classList.add('fiable-field');
    undo.push(() => {
      f.hint.remove();
      if (described === null) el.removeAttribute('aria-describedby');
      else el.setAttribute('aria-describedby', described);
      el.classList.remove('fiable-field', ...STATUSES.map((s) => `fiable-${s}`));
      el.removeAttribute('aria-invalid');
      el.setCustomValidity?.('');
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
  let cities = [];
  let offer = null;
  // The lazy modules this form needs: `ready` waits for them (each failing alone, quietly).
  const parts = [];
  if (cityField?.el instanceof HTMLInputElement && !cityField.el.getAttribute('list')) {
    parts.push(import('./combobox.js').then((m) => {
      if (!detached) offer = m.cityBox(cityField, { id, lang, on, undo, live, setValue, cities: () => cities });
    }, (e) => console.debug('fiable: no city suggestions', e)));
  }
  undo.push(() => {
    live.remove();
    form.classList.remove('fiable-ready');
  });

  const opts = (f) => ({ locale, country: f.country, required: f.required, minAge: f.minAge, today: config.today });
  // The core has no street kind: it checks presence only; the service knows streets.
  const inCore = fields.filter((f) => f.type !== 'street');
  const formConfig = () => ({
    locale, country: config.country, today: config.today,
    fields: Object.fromEntries(inCore.map((f) => [f.name, { type: f.type, country: f.country, required: f.required, minAge: f.minAge }])),
  });
  const valuesNow = () => Object.fromEntries(inCore.map((f) => [f.name, f.el.value]));
  const chunks = (f) => (f.type === 'street' ? [] : chunksFor(f.type, f.el.value, { country: f.country }));
  const missing = () => [...new Set(fields.flatMap(chunks))];

  function local(f) {
    try {
      if (f.type === 'street') {
        return f.el.value.trim() === '' ? { ...validate('city', '', opts(f)), field: f.name } : { field: f.name, status: 'valid', code: 'street.valid', message: '' };
      }
      return validate(f.type, f.el.value, opts(f));
    } catch (e) {
      console.error(e);
      return null;
    }
  }

  /** The local check of one field (loads its data chunks first when needed). */
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

  function message(v) {
    const own = config.messages?.[locale]?.[v.code] ?? config.messages?.[lang]?.[v.code];
    if (own === undefined) return v.message;
    return own.replaceAll('{suggestion}', v.suggestion ?? '').replaceAll('{value}', v.normalized ?? '');
  }

  const blocks = (f) => f.verdict && f.block.has(f.verdict.status);

  /** Records a verdict (messages overridden), shows it when it is time ("reward early, punish late"); returns it. */
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
    if (key === f.shown) return v;
    f.shown = key;
    el.classList.remove(...STATUSES.map((s) => `fiable-${s}`));
    f.hint.className = 'fiable-hint';
    f.hint.replaceChildren();
    if (status) {
      el.classList.add(`fiable-${status}`);
      f.hint.classList.add(`fiable-${status}`);
    }
    if (status && f.block.has(status)) el.setAttribute('aria-invalid', 'true');
    else el.removeAttribute('aria-invalid');
    const say = status && status !== 'valid' ? v.message : '';
    if (say && v.suggestion) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'fiable-suggest';
      const whole = say.includes(v.suggestion);
      b.textContent = whole ? say : v.suggestion;
      if (!whole) f.hint.append(document.createTextNode(`${say} `));
      // Keep focus in the field: a blur would re-check and replace this button mid-click.
      b.addEventListener('mousedown', (e) => e.preventDefault());
      b.addEventListener('click', () => {
        setValue(el, v.suggestion);
        el.focus();
      });
      f.hint.append(b);
    } else if (say) {
      f.hint.textContent = say;
    }
    if (say) live.textContent = say;
    if (status) {
      el.dispatchEvent(new CustomEvent('fiable:verdict', { bubbles: true, detail: v }));
      if (status === 'valid' || status === 'invalid') el.dispatchEvent(new CustomEvent(`fiable:${status}`, { bubbles: true, detail: v }));
    }
    return v;
  }

  /** The postcode's communes: offered in the city field; a single one fills it when empty and not being typed in. */
  function offerCities(list) {
    if (!cityField) return;
    cities = Array.isArray(list) ? list : [];
    const { el } = cityField;
    if (document.activeElement === el) offer?.();
    else if (cities.length === 1 && el.value === '') setValue(el, cities[0]);
  }

  /** The input event reformat() sends after its own write (not checked twice). */
  let echo = null;
  /** Phone formatted as typed; the caret stays after the same number of significant characters. */
  function reformat(f, e) {
    const fmt = AS_YOU_TYPE[f.type];
    if (!fmt || (e.inputType ?? '').startsWith('delete')) return;
    const { el } = f;
    const before = el.value;
    const caret = el.selectionStart ?? before.length;
    const after = fmt(before, f);
    if (after === before) return;
    const n = significant(before.slice(0, caret));
    let i = 0;
    for (let k = 0; i < after.length && k < n; i++) if (significant(after[i])) k++;
    write(el, after);
    try {
      el.setSelectionRange(i, i);
    } catch {
      // inputs without a selection (type=email, number) keep the browser's caret
    }
    // A framework whose listener ran before ours (Vue's v-model) holds the unformatted value: tell it.
    echo = new Event('input', { bubbles: true });
    el.dispatchEvent(echo);
    echo = null;
  }

  function verdictsNow() {
    const verdicts = validateForm(valuesNow(), formConfig());
    for (const f of fields) {
      f.touched = true;
      const v = f.type === 'street' ? local(f) : verdicts[f.name];
      if (v) verdicts[f.name] = show(f, v);
    }
    return verdicts;
  }

  // The submit gate: in the capture phase on window, so it runs before the
  // page's own handlers and can stop them when a field blocks.
  on(window, 'submit', (e) => {
    if (e.target !== form || !ready || resubmitting) return;
    const need = missing();
    const asking = [ccLoad, ...fields.map((f) => f.inflight)].filter(Boolean);
    if (need.length || asking.length) {
      // Data loading, a domain being checked (2.5 s at most): hold this submit, check, submit again.
      e.preventDefault();
      e.stopImmediatePropagation();
      const submitter = e.submitter;
      Promise.all([loadData(need).catch(() => {}), ...asking]).then(() => {
        if (!detached && !gate() && !cc?.capture(submitter, resubmit)) resubmit(submitter);
      });
      return;
    }
    if (gate() || cc?.capture(e.submitter, resubmit)) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);

  function resubmit(submitter) {
    // In a task of its own: called while the held submit is still being
    // dispatched (a consent record queued at once, during a 429's pause),
    // requestSubmit() would be ignored by the browser and the form never sent.
    setTimeout(() => {
      resubmitting = true;
      try {
        form.requestSubmit(submitter?.form === form ? submitter : undefined);
      } finally {
        resubmitting = false;
      }
    });
  }

  /** Checks all fields; when one blocks, focuses the first and returns true. */
  function gate() {
    gating = true; // a remote check still pending counts as its local verdict
    try {
      verdictsNow();
    } finally {
      gating = false;
    }
    const first = fields.find(blocks);
    if (!first) return false;
    first.el.focus();
    live.textContent = first.verdict.message;
    return true;
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

  if (config.lookup) {
    parts.push(import('./lookup.js').then((m) => {
      if (!detached) rc = m.remoteChecks({ lookup: config.lookup, lang, fields, id, live, on, undo, show, check, crossCheck, setValue, detached: () => detached, gating: () => gating });
    }, (e) => console.debug('fiable: no remote checks', e)));
  }

  let queued;
  try {
    queued = config.lookup && Object.keys(localStorage).some((k) => k.startsWith('fiable.consent:'));
  } catch {} // no storage, no queue
  if (config.consent || queued) {
    ccLoad = import('./consent.js').then((m) => {
      if (!detached) cc = m.consentCapture({ form, config, locale, fields, on, undo, values: () => handle.values() });
    }, (e) => console.error('fiable: no consent capture', e)).finally(() => (ccLoad = null));
    parts.push(ccLoad);
  }

  const started = Promise.all([init(), ...parts]).then(
    () => {
      if (detached) return false;
      ready = true;
      for (const f of fields) if (f.el.value !== '') check(f);
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
  const jobs = [];
  if (script?.dataset.config !== undefined) jobs.push([script.dataset.form, script.dataset.config, 'data-config']);
  for (const el of document.querySelectorAll('script[type="application/json"][data-fiable]')) {
    jobs.push([el.dataset.form, el.textContent, '<script type="application/json" data-fiable>']);
  }
  const run = () => {
    for (const [selector, text, where] of jobs) {
      let config;
      try {
        config = JSON.parse(text);
      } catch (e) {
        inert(`the config in ${where} is not JSON (${e.message})`);
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
