// Advisor mode's duplicate warning, loaded by consent.js only when the config
// has `consent.advisor`: as the advisor types, the customer's normalised
// email, E.164 phone, names and postcode are sent (debounced, with the
// advisor's API key) to `POST /v1/match`, and "this customer probably exists
// already" appears in a polite live region at the top of the form, with
// "mail to this address came back on …" when the shop reported returned mail. It never
// blocks anything: when the service cannot answer (down, slow, 5xx, 429's
// pause, not JSON) a calm line says the check is unavailable and the advisor
// carries on; the next answer replaces it.
import { call } from './net.js';
import { E164, MESSAGES } from './defs.js';

const DEBOUNCE_MS = 400;
const TIMEOUT_MS = 3000;
/** @type {Record<string, { on: Record<string, string>, found: (on: string) => string, unavailable: string }>} */
const TEXT = {
  fr: {
    on: { email: 'e-mail', phone: 'téléphone', name_postcode: 'nom et code postal', name: 'nom' },
    found: (on) => `Ce client existe probablement déjà (correspondance\u00a0: ${on}). Vérifiez avant de créer un doublon.`,
    unavailable: 'Recherche de doublons indisponible pour le moment\u00a0: la saisie continue normalement.',
  },
  en: {
    on: { email: 'email', phone: 'phone', name_postcode: 'name and postcode', name: 'name' },
    found: (on) => `This customer probably exists already (matched on ${on}). Check before creating a duplicate.`,
    unavailable: 'The duplicate check is unavailable for now: carry on as usual.',
  },
};

/**
 * The duplicate warning of one form: `url` is the service's …/v1/match, `apiKey` the advisor's.
 * @param {import('./seam.js').Widget} w
 * @param {string} url
 * @param {string} apiKey
 */
export function duplicateWatch(w, url, apiKey) {
  const { form, fields, on } = w;
  const say = TEXT[w.locale.toLowerCase().split('-')[0]] ?? TEXT.en;
  const box = document.createElement('p');
  box.className = 'fiable-duplicate';
  box.setAttribute('role', 'status');
  box.setAttribute('aria-live', 'polite');
  form.prepend(box);
  w.undo.push(() => box.remove());
  let timer = 0;
  let sent = '';
  /** @type {AbortController | null} */
  let ctrl = null;
  let refused = false;

  /** The check could not be made: said calmly, never as a warning; asked again at the next change. */
  function unavailable() {
    sent = '';
    box.textContent = say.unavailable;
    box.classList.remove('fiable-warning');
    box.classList.add('fiable-unavailable');
  }

  /** What to match on: the values whose local verdict is not invalid, by the contract's names. */
  function query() {
    /** @type {Record<string, string>} */
    const q = {};
    for (const k of ['email', 'phone', 'first_name', 'last_name', 'postcode']) {
      const f = fields.find((x) => x.type === k);
      const v = (f?.verdict?.normalized || f?.el.value || '').trim();
      if (v && f?.verdict && f.verdict.status !== 'invalid' && f.verdict.status !== 'pending') q[k] = v;
    }
    if (q.phone && !E164.test(q.phone)) delete q.phone;
    if (!q.last_name || (!q.postcode && !q.first_name)) {
      delete q.first_name; // a name alone matches too many people
      delete q.last_name;
    }
    return q.email || q.phone || q.last_name ? q : null;
  }

  async function ask() {
    const q = query();
    const key = JSON.stringify(q);
    if (key === sent) return;
    sent = key;
    ctrl?.abort();
    if (!q) {
      box.textContent = '';
      return;
    }
    const c = (ctrl = new AbortController());
    try {
      const res = await call(url, TIMEOUT_MS, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
        body: key,
      }, c.signal);
      if (!res) return unavailable(); // the service's 429 pause
      if (res.status === 401 && !refused) {
        refused = true;
        console.error('fiable: the lookup service refused the advisor API key (401); no duplicate warning.');
      }
      const r = res.ok ? await res.json() : null;
      if (c !== ctrl) return; // superseded
      if (!Array.isArray(r?.matches) && res.status !== 401) throw new Error(`HTTP ${res.status}: no matches`);
      box.classList.remove('fiable-unavailable');
      const best = Array.isArray(r?.matches) ? r.matches : [];
      const how = [...new Set(best.flatMap((m) => (Array.isArray(m.on) ? m.on : [])))].map((o) => say.on[o] ?? o);
      // Returned mail (NPAI) of a customer found: the service's code, the core's text, the day it came back.
      const lang = w.locale.toLowerCase().split('-')[0];
      const texts = /** @type {Record<string, Record<string, string>>} */ (MESSAGES)[lang] ?? MESSAGES.en;
      const bounced = best.map((m) => m?.returned_mail).find((n) => typeof n?.last_returned_on === 'string' && typeof texts[n.code] === 'string');
      const day = bounced ? new Date(`${bounced.last_returned_on}T12:00:00`).toLocaleDateString(w.locale) : '';
      const note = bounced ? texts[bounced.code].replace('{date}', day) : '';
      box.textContent = best.length ? [say.found(how.join(', ')), note].filter(Boolean).join(' ') : '';
      box.classList.toggle('fiable-warning', best.length > 0);
    } catch (e) {
      console.debug('fiable: no duplicate check (the lookup service did not answer)', e);
      if (c === ctrl) unavailable();
    }
  }

  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(ask, DEBOUNCE_MS);
  };
  on(form, 'input', later);
  on(form, 'change', later);
  on(form, 'focusout', later);
  // A field whose domain was still being checked when the advisor moved on
  // counts once its verdict comes (no keystroke follows to ask again).
  on(form, 'fiable:verdict', later);
  on(window, 'pagehide', () => {
    clearTimeout(timer);
    ctrl?.abort();
  });
}
