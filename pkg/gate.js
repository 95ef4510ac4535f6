// The submit gate of an attached form: in the capture phase on window, so it
// runs before the page's own handlers and can stop them when a field blocks.
// A submit that comes while data chunks load or a remote check runs (2.5 s at
// most) is held, checked once they are done, and sent again; consent capture
// (consent.js) may hold it too, and sends it again itself.
import { loadData } from './api.js';

/**
 * @typedef {object} GateSide What the gate asks of the widget.
 * @property {() => boolean} ready
 * @property {() => boolean} detached
 * @property {() => string[]} missing Data chunks the fields need and the page has not loaded.
 * @property {() => (Promise<unknown> | null)[]} held What a submit waits for (remote checks, consent loading).
 * @property {() => boolean} blocking Checks every field; true (with the first blocking field focused) when the submit must stop.
 * @property {() => import('./seam.js').ConsentCapture | null} consent
 */

/**
 * Installs the gate on `form` (removed with detach through `on`). Returns
 * `gating()`: true while the fields are checked for a submit (a remote check
 * still pending then counts as its local verdict).
 * @param {HTMLFormElement} form
 * @param {import('./seam.js').On} on
 * @param {GateSide} w
 */
export function submitGate(form, on, w) {
  let resubmitting = false;
  let gating = false;

  /**
   * In a task of its own: called while the held submit is still being
   * dispatched (a consent record queued at once, during a 429's pause),
   * requestSubmit() is ignored by the browser and the form is never sent.
   * A message task, not setTimeout: it runs even where timers are held.
   * @param {HTMLElement | null} submitter
   */
  function resubmit(submitter) {
    const next = new MessageChannel();
    next.port1.onmessage = () => {
      next.port1.close();
      resubmitting = true;
      try {
        form.requestSubmit(submitter && 'form' in submitter && submitter.form === form ? /** @type {HTMLButtonElement} */ (submitter) : undefined);
      } finally {
        resubmitting = false;
      }
    };
    next.port2.postMessage(null);
  }

  function blocks() {
    gating = true;
    try {
      return w.blocking();
    } finally {
      gating = false;
    }
  }

  on(window, 'submit', (/** @type {SubmitEvent} */ e) => {
    if (e.target !== form || !w.ready() || resubmitting) return;
    const need = w.missing();
    const asking = w.held().filter(Boolean);
    if (need.length || asking.length) {
      e.preventDefault();
      e.stopImmediatePropagation();
      const submitter = e.submitter;
      Promise.all([loadData(need).catch(() => {}), ...asking]).then(() => {
        if (!w.detached() && !blocks() && !w.consent()?.capture(submitter, resubmit)) resubmit(submitter);
      });
      return;
    }
    if (blocks() || w.consent()?.capture(e.submitter, resubmit)) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);

  return { gating: () => gating };
}
