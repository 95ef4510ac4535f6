// The widget's DOM writes that decide nothing: setting a value as a person
// would, keeping the caret where it was when a value is reformatted, marking
// a field and placing its hint, and painting a verdict into a field and its
// hint.

/** @typedef {import('./seam.js').Control} Control */
/** @typedef {import('./seam.js').Field} Field */
/** @typedef {import('./seam.js').Verdict} Verdict */

import { HINT, STATUSES } from './hints.js';

const statusClasses = STATUSES.map((s) => `fiable-${s}`);

/**
 * Writes past the instance's `value` (React tracks those writes, then misses the input event).
 * @param {Control} el
 * @param {string} value
 */
export function write(el, value) {
  const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(el), 'value')?.set;
  if (setter) setter.call(el, value);
  else el.value = value;
}

/**
 * What the value fiable is writing now means to the field's hint state
 * (a HINT event, core/src/hint.rs), for the input event it sends; null
 * when the value is not fiable's write (the person's, the page's).
 * @type {number | null}
 */
export let writing = null;

/**
 * Sets a value the way a person would, so React/Vue-controlled inputs
 * follow; `event` is what the write is to the field's hint state (a pick
 * from a list is the person's input).
 * @param {Control} el
 * @param {string} value
 * @param {number} [event]
 */
export function setValue(el, value, event = HINT.input) {
  const outer = writing;
  writing = event;
  try {
    write(el, value);
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  } finally {
    writing = outer;
  }
}

/** Non-separator characters: what the caret is counted in when a value is reformatted. */
const significant = (/** @type {string} */ s) => s.replace(/[\s.\-/()]/g, '').length;

/**
 * Writes `after` over the field's value (no event); the caret stays after
 * the same number of significant characters.
 * @param {Control} el
 * @param {string} after
 */
export function rewrite(el, after) {
  const before = el.value;
  const caret = ('selectionStart' in el ? el.selectionStart : null) ?? before.length;
  const n = significant(before.slice(0, caret));
  let i = 0;
  for (let k = 0; i < after.length && k < n; i++) if (significant(after[i])) k++;
  write(el, after);
  try {
    if ('setSelectionRange' in el) el.setSelectionRange(i, i);
  } catch {
    // inputs without a selection (type=email, number) keep the browser's caret
  }
}

/**
 * Puts a field's hint after it, names it in aria-describedby and marks the
 * field; returns what takes all of that (and fiable's state) off again.
 * @param {Field} f
 * @returns {() => void}
 */
export function decorate({ el, hint }) {
  el.after(hint);
  const described = el.getAttribute('aria-describedby');
  el.setAttribute('aria-describedby', described ? `${described} ${hint.id}` : hint.id);
  el.classList.add('fiable-field');
  return () => {
    hint.remove();
    if (described === null) el.removeAttribute('aria-describedby');
    else el.setAttribute('aria-describedby', described);
    el.classList.remove('fiable-field', ...statusClasses);
    el.removeAttribute('aria-invalid');
    el.setCustomValidity?.('');
  };
}

/**
 * Paints verdict `v` as `status` ('' shows nothing): the field's classes and
 * aria-invalid, the hint (with a suggestion button), the live region when
 * `announce`, and the fiable:verdict / fiable:valid / fiable:invalid events.
 * @param {Field} f
 * @param {Verdict} v
 * @param {string} status
 * @param {HTMLElement} live
 * @param {boolean} announce
 */
export function paint(f, v, status, live, announce) {
  const { el, hint } = f;
  el.classList.remove(...statusClasses);
  hint.className = 'fiable-hint';
  hint.replaceChildren();
  if (status) {
    el.classList.add(`fiable-${status}`);
    hint.classList.add(`fiable-${status}`);
  }
  if (status && f.block.has(status)) el.setAttribute('aria-invalid', 'true');
  else el.removeAttribute('aria-invalid');
  const say = status && status !== 'valid' ? v.message : '';
  const suggestion = v.suggestion;
  if (say && suggestion) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'fiable-suggest';
    const whole = say.includes(suggestion);
    b.textContent = whole ? say : suggestion;
    if (!whole) hint.append(document.createTextNode(`${say} `));
    // Keep focus in the field: a blur would re-check and replace this button mid-click.
    b.addEventListener('mousedown', (e) => e.preventDefault());
    b.addEventListener('click', () => {
      setValue(el, suggestion, HINT.suggestion);
      el.focus();
    });
    hint.append(b);
  } else if (say) {
    hint.textContent = say;
  }
  if (say && announce) live.textContent = say;
  const tell = (/** @type {string} */ type) => el.dispatchEvent(new CustomEvent(`fiable:${type}`, { bubbles: true, detail: v }));
  if (status) {
    tell('verdict');
    if (status === 'valid' || status === 'invalid') tell(status);
  }
}
