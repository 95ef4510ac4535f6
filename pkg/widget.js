// The DOM layer of fiable: attach(form, config) wires a form's fields to the checks.
//
// Why JavaScript and not Rust/web-sys: every DOM call crosses the JS↔Wasm
// boundary anyway, and web-sys bindings would add tens of KB to a Wasm that is
// already over its size budget. The rules stay in Rust: a keystroke's local
// check is one `validate` call into Wasm, cross-field rules are `validateForm`.
// The widget only wires events, shows verdicts and applies suggestions: it
// decides nothing about an email or a phone (the tables in listen.js and
// show.js say which generic behaviour a kind gets, nothing more).
//
// "Reward early, punish late": a valid value is shown at once; warnings and
// errors only once the field was edited and left (blur), the form submitted or
// the value set by the page (the core's state machine, core/src/hint.rs). Only the
// statuses in `block` (default ["invalid"]) stop a submit. Fails open: a bad
// config, a Wasm that cannot load, a data chunk that cannot be fetched leave
// the form working as if fiable were not there.
//
// With `lookup` (the service's base URL) the widget also asks what a browser
// cannot know, and never depends on the answer (./lookup.js, loaded only then:
// email domains and unknown postcodes on blur, the street autocomplete).
//
// attach() puts the parts together: field.js finds the fields and gives each
// its state, listen.js wires their events, checks.js runs the checks, show.js
// decides when a verdict shows and dom.js paints it, gate.js holds a submit,
// parts.js loads the optional modules, which all receive one `Widget` object,
// typed in seam.js with the `State` the widget's own modules share.
import { loadData, wasm } from './api.js';
import { init, assetsBeside } from './init.js';
import { checkConfig } from './config.js';
import { fieldsOf } from './field.js';
import { submitGate } from './gate.js';
import { setValue } from './dom.js';
import { shows, happened } from './show.js';
import { HINT, FULL_MODULE } from './hints.js';
import { checksOf } from './checks.js';
import { listen } from './listen.js';
import { loadParts, loadCityBox } from './parts.js';

/** @typedef {import('./seam.js').Field} Field */
/** @typedef {import('./seam.js').State} State */
/** @typedef {import('./seam.js').Widget} Widget */
/** @typedef {import('./seam.js').WidgetConfig} WidgetConfig */
/** @typedef {import('./index.d.ts').WidgetHandle} WidgetHandle */

let uid = 0;
/** @type {WeakMap<HTMLFormElement, WidgetHandle>} */
const attached = new WeakMap();

/** Runs `fn` when the page is idle (Safari has no requestIdleCallback: soon after). @param {() => void} fn */
const whenIdle = (fn) => (typeof requestIdleCallback === 'function' ? requestIdleCallback(fn, { timeout: 500 }) : setTimeout(fn, 50));

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
  const id = `fiable-${uid + 1}`;
  const fields = fieldsOf(form, config, id);
  if (typeof fields === 'string') return inert(fields);
  uid++;
  // The Wasm requested now, the config being sound: it downloads while the
  // listeners and hint slots below are set up, not after.
  const booting = init();

  /** @type {(() => void)[]} */
  const undo = [];
  const live = document.createElement('div');
  live.className = 'fiable-live';
  live.setAttribute('role', 'status');
  live.setAttribute('aria-live', 'polite');
  form.append(live);
  undo.push(() => {
    live.remove();
    form.classList.remove('fiable-ready');
  });
  /** What does not change while the form is attached. @type {import('./seam.js').Form} */
  const base = {
    form, config, locale, lang: locale.toLowerCase().split('-')[0], id, fields, live, undo,
    on(target, type, fn, opts) {
      target.addEventListener(type, fn, opts);
      undo.push(() => target.removeEventListener(type, fn, opts));
    },
  };
  /** @type {State} */
  const s = { ...base, ready: false, detached: false, cities: [] };
  const cityField = fields.find((f) => f.type === 'city');
  const show = shows(s, cityField);
  const c = checksOf(s, show);
  listen(s, c, show);

  const gating = submitGate(s, c);

  /** The widget's side, as each lazily loaded module receives it (seam.js). @type {Widget} */
  const w = {
    ...base, show, check: c.check, crossCheck: c.crossCheck, values: c.values,
    setValue: (el, value) => setValue(el, value),
    place: (el, value) => setValue(el, value, HINT.page),
    remoteVerdict: (kind, status, heard, cities) => wasm().remoteVerdict(kind, status, heard, cities),
    cities: () => s.cities,
    detached: () => s.detached,
    gating,
  };

  const started = Promise.all([booting, ...loadParts(s, w)]).then(
    () => {
      if (s.detached) return false;
      s.ready = true;
      // The full Wasm module, when a field's kind needs it (script tag): not
      // before the first keystroke, so that what the page loads up front
      // stays small, but on focusing such a field or once the page is idle
      // after the first keystroke anywhere in the form. A prefilled field
      // that needs it is checked then.
      const need = c.missing();
      /** @type {Field[]} */
      const later = [];
      for (const f of fields) {
        // What the person did before ready, told in order (listen.js);
        // a value nobody typed was prefilled: its problems show at once.
        const before = f.early.splice(0);
        if (before.length) before.forEach((ev) => happened(f, ev));
        else if (f.el.value === '') continue;
        else happened(f, HINT.page);
        if (c.chunks(f).includes(FULL_MODULE)) later.push(f);
        else c.check(f);
      }
      if (need.includes(FULL_MODULE)) {
        const full = () => loadData([FULL_MODULE]).then(() => later.splice(0).forEach((f) => c.check(f)), () => {});
        s.on(form, 'input', () => (window.requestIdleCallback ?? setTimeout)(full), { once: true });
        s.on(form, 'focusin', (e) => {
          const f = fields.find((x) => x.el === e.target);
          if (f && c.chunks(f).includes(FULL_MODULE)) full();
        });
      }
      form.classList.add('fiable-ready');
      form.dispatchEvent(new CustomEvent('fiable:ready', { bubbles: true }));
      // What can wait, once the page is idle: the data the empty fields will
      // need (a phone field's own region), so that the first keystroke finds
      // it, and the city suggestions. A keystroke before then fetches its own
      // chunk (checks.js: its verdict waits for it); a failed fetch only
      // means those checks answer "pending" until a later one succeeds.
      whenIdle(() => {
        if (s.detached) return;
        loadData(c.missing().filter((n) => n !== FULL_MODULE)).catch(() => {});
        loadCityBox(s, w, cityField);
      });
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
      if (s.detached) return;
      s.detached = true;
      s.ready = false;
      for (const u of undo.reverse()) u();
      attached.delete(form);
    },
    async validate() {
      if (!(await started) || s.detached) return {};
      await c.fetchMissing();
      return c.all();
    },
    values: c.values,
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
