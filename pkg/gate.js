// The submit gate of an attached form: in the capture phase on window, so it
// runs before the page's own handlers and can stop them when a field blocks.
// A submit that comes while data chunks load or a remote check runs (2.5 s at
// most) is held, checked once they are done, and sent again; consent capture
// (consent.js) may hold it too, and sends it again itself.
import { blocks } from './show.js';

/**
 * Installs the gate on the form of `s` (removed with detach). Returns
 * `gating()`: true while the fields are checked for a submit (a remote check
 * still pending then counts as its local verdict).
 * @returns {() => boolean}
 * @param {import('./seam.js').State} s
 * @param {import('./checks.js').Checks} c
 */
export function submitGate(s, c) {
  const { form, fields } = s;
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

  /** Checks every field; true (with the first blocking field focused) when the submit must stop. */
  function mustStop() {
    gating = true;
    try {
      c.all();
      const first = fields.find(blocks);
      if (first) {
        first.el.focus();
        s.live.textContent = first.verdict?.message ?? '';
      }
      return !!first;
    } finally {
      gating = false;
    }
  }

  s.on(window, 'submit', (/** @type {SubmitEvent} */ e) => {
    if (e.target !== form || !s.ready || resubmitting) return;
    const need = c.missing();
    // What a submit waits for: consent.js loading, the remote checks in flight.
    const asking = [s.ccLoad, ...fields.map((f) => f.inflight)].filter(Boolean);
    if (need.length || asking.length) {
      e.preventDefault();
      e.stopImmediatePropagation();
      const submitter = e.submitter;
      Promise.all([c.fetchMissing(), ...asking]).then(() => {
        if (!s.detached && !mustStop() && !s.cc?.capture(submitter, resubmit)) resubmit(submitter);
      });
      return;
    }
    if (mustStop() || s.cc?.capture(e.submitter, resubmit)) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);

  return () => gating;
}
