// The remote checks of the widget, loaded by widget.js only when the config
// has `lookup` (pages without it never download this file): what a browser
// cannot know, asked of the lookup service, never depended upon. On blur, an
// email's domain (only the domain is sent), and a postcode the page's commune
// table does not know (its communes then fill or are offered in the city
// field); while a street is typed, addresses (the typed fragment, and a valid
// postcode); on forms that record consent, whether mail sent to this person
// at this address came back (the email and the address typed). Each call has a short timeout, is aborted when a newer value
// supersedes it, and any failure (down, slow, 5xx, not JSON) leaves the local
// verdict standing: nothing here logs an error. A 429 pauses every call to
// that service for its Retry-After: the local checks carry on meanwhile.
// With `mailboxCheck` (and a service started with --mailbox-probe), a
// blurred address whose domain the service found to receive mail is sent
// whole to the mailbox check: only `does_not_exist` shows (an error), and no
// submit ever waits for it.
import { combobox } from './combobox.js';
import { call } from './net.js';
import { MESSAGES, HEARD } from './defs.js';

/** @typedef {import('./seam.js').Field} Field */
/** @typedef {import('./seam.js').Verdict} Verdict */

/** A remote call gives up after this long; a submit never waits longer for one. */
const LOOKUP_TIMEOUT_MS = 2500;
/** The mailbox check talks to a mail server (the service gives up after 6 s by default); nothing waits for it. */
const MAILBOX_TIMEOUT_MS = 8000;
const DEBOUNCE_MS = 120;
/** Texts of the verdicts the core builds from the service's answers (from the core, see defs.js) and of the address list; config.messages overrides. */
const TEXT = {
  fr: {
    ...MESSAGES.fr,
    addresses: 'Adresses proposées', found: (n) => `${n} adresse${n > 1 ? 's' : ''} proposée${n > 1 ? 's' : ''}`,
  },
  en: {
    ...MESSAGES.en,
    addresses: 'Suggested addresses', found: (n) => `${n} address${n > 1 ? 'es' : ''} suggested`,
  },
};

/**
 * The remote checks of one attached form (null when `config.lookup` is not
 * a usable URL).
 * @param {import('./seam.js').Widget} w
 * @returns {import('./seam.js').RemoteChecks | null}
 */
export function remoteChecks(w) {
  const { lang, fields, id, live, on, undo, show, check, crossCheck, place, remoteVerdict } = w;
  // Resolved against the page ("/" is its own origin); the API paths are appended to it.
  let base;
  try {
    base = new URL((w.config.lookup ?? '').replace(/\/?$/, '/'), document.baseURI);
  } catch {
    return null; // local checks only
  }
  const byName = (/** @type {string | undefined} */ n) => fields.find((x) => x.name === n);
  const texts = /** @type {Record<string, Record<string, any>>} */ (TEXT);
  const say = (/** @type {string} */ key) => (texts[lang] ?? texts.en)[key];
  /** Definite answers of the service by email domain (valid / invalid), for the page's lifetime. @type {Map<string, any>} */
  const domains = new Map();
  /** Definite answers of the mailbox check by address (exists, does_not_exist, accept_all), for the page's lifetime. @type {Map<string, string>} */
  const mailboxes = new Map();
  /** The service's answers by postcode, for the page's lifetime. @type {Map<string, any>} */
  const postcodes = new Map();

  /**
   * GET on the lookup service: its JSON answer, or null for anything else. Never throws, never logs an error.
   * @param {string} path
   * @param {Record<string, string | number>} params
   * @param {AbortSignal} signal
   * @param {number} [ms] Timeout of the call.
   * @returns {Promise<any>}
   */
  async function remote(path, params, signal, ms = LOOKUP_TIMEOUT_MS) {
    const url = new URL(path, base);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v));
    try {
      const res = await call(url, ms, {}, signal);
      if (!res) {
        console.debug('fiable: the lookup service asked to slow down (429); the local check stands.');
        return null;
      }
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return await res.json();
    } catch (e) {
      console.debug('fiable: no answer from the lookup service; the local check stands.', e);
      return null;
    }
  }

  /**
   * POST on the lookup service (JSON body): its JSON answer, or null for anything else. Never throws, never logs an error.
   * @param {string} path
   * @param {string} body
   * @param {AbortSignal} signal
   * @returns {Promise<any>}
   */
  async function post(path, body, signal) {
    try {
      const res = await call(new URL(path, base), LOOKUP_TIMEOUT_MS, { method: 'POST', headers: { 'content-type': 'application/json' }, body }, signal);
      if (!res?.ok) return null;
      return await res.json();
    } catch (e) {
      console.debug('fiable: no answer from the lookup service; the local check stands.', e);
      return null;
    }
  }

  /** The domain of an email field whose local verdict lets it be asked about ('' otherwise). */
  function domainOf(f, v) {
    if (f.type !== 'email' || !base || !v || v.status === 'invalid' || v.status === 'pending') return '';
    const m = /@([^@\s]+)$/.exec((v.normalized || f.el.value).trim());
    return m ? m[1].toLowerCase() : '';
  }

  /** The whole address of an email field whose domain the service found to receive mail ('' otherwise). */
  function addressOf(f, v) {
    const d = domainOf(f, v);
    return d && domains.get(d)?.status === 'valid' ? (v.normalized || f.el.value).trim() : '';
  }

  /** A newer value supersedes the remote checks of the old one. */
  function forget(f) {
    f.ctrl?.abort();
    f.ctrl = f.inflight = null;
    f.asking = '';
    f.mailboxCtrl?.abort();
    f.mailboxCtrl = null;
    f.probing = '';
  }

  /** On blur, with `mailboxCheck`, once the domain is known to receive mail: asks whether the mailbox exists (once per address and page). Never holds a submit. */
  function askMailbox(f) {
    const address = w.config.mailboxCheck === true ? addressOf(f, f.base) : '';
    if (!address || w.detached() || mailboxes.has(address) || f.probing === address) return;
    const ctrl = (f.mailboxCtrl = new AbortController());
    f.probing = address;
    remote('v1/email/mailbox', { address }, ctrl.signal, MAILBOX_TIMEOUT_MS).then((r) => {
      if (r && ['exists', 'does_not_exist', 'accept_all'].includes(r.result)) mailboxes.set(address, r.result);
      if (f.mailboxCtrl !== ctrl) return; // superseded: dropped
      f.mailboxCtrl = null;
      f.probing = '';
      if (!w.detached()) show(f, f.base);
    });
  }

  /** On blur: asks the service about the domain (once per domain and page); shows `pending` meanwhile. */
  function askDomain(f) {
    const d = domainOf(f, f.base);
    if (!d || w.detached() || domains.has(d) || f.asking === d) return;
    forget(f);
    const ctrl = (f.ctrl = new AbortController());
    f.asking = d;
    f.inflight = remote('v1/email/domain', { d }, ctrl.signal).then((r) => {
      if (r && (r.status === 'valid' || r.status === 'invalid')) domains.set(d, r);
      if (f.ctrl !== ctrl) return; // superseded: dropped
      forget(f);
      if (!w.detached()) show(f, f.base);
      askMailbox(f);
      // Not while the street is being typed: only a left address is asked about.
      if (returnedLater && document.activeElement !== streetField?.el) askReturned();
    });
    show(f, f.base);
  }

  /** A French postcode whose local verdict names no commune (the page's table does not know it, or its chunk did not load): '' otherwise. */
  function postcodeOf(f, v) {
    if (f.type !== 'postcode' || !v || (v.status !== 'valid' && v.code !== 'postcode.unknown')) return '';
    const d = v.details ?? {};
    if ((d.country ?? 'FR') !== 'FR' || (Array.isArray(d.cities) && d.cities.length)) return '';
    return /^\d{5}$/.test(v.normalized ?? '') ? v.normalized : '';
  }

  /** On blur: asks the service about a postcode the page cannot place (once per postcode and page). Never holds a submit. */
  function askPostcode(f) {
    const pc = postcodeOf(f, f.base);
    if (!pc || w.detached() || postcodes.has(pc) || f.asking === pc) return;
    forget(f);
    const ctrl = (f.ctrl = new AbortController());
    f.asking = pc;
    remote('v1/address/postcode', { postcode: pc }, ctrl.signal).then((r) => {
      if (r && typeof r.found === 'boolean' && Array.isArray(r.communes)) postcodes.set(pc, r);
      if (f.ctrl !== ctrl) return;
      forget(f);
      if (!w.detached()) show(f, f.base);
    });
  }

  // Returned mail (NPAI): did mail the shop sent this person at this
  // address come back? Asked on blur of the address or contact fields, only
  // when the form records consent (the service gets the email with the
  // record anyway); the service decides, this only paints its answer on the
  // street field.
  /** The service's answers by question as sent, for the page's lifetime. @type {Map<string, any>} */
  const returned = new Map();
  /** @type {AbortController | null} */
  let returnedCtrl = null;
  let returnedAsking = '';
  const streetField = fields.find((x) => x.type === 'street');

  /** The question for the form as it is ('' when it cannot be asked): the email (else the E.164 phone) and the address typed. */
  function returnedQuery() {
    const st = streetField;
    if (!w.config.consent || !st?.base || st.base.status === 'invalid' || !st.el.value.trim()) return '';
    const usable = (/** @type {Field | undefined} */ x) => x?.verdict && x.verdict.status !== 'invalid' && x.verdict.status !== 'pending' && x.el.value.trim();
    const email = fields.find((x) => x.type === 'email');
    const phone = fields.find((x) => x.type === 'phone');
    /** @type {Record<string, any>} */
    const q = {};
    if (email && usable(email)) q.email = (email.verdict?.normalized || email.el.value).trim();
    else if (phone && usable(phone) && /^\+\d+$/.test(phone.verdict?.normalized ?? '')) q.phone = phone.verdict?.normalized;
    else return '';
    const part = (/** @type {string | undefined} */ n) => byName(n)?.el.value.trim() ?? '';
    const text = [part(st.fc.housenumber), st.el.value.trim(), part(st.fc.postcode), part(st.fc.city)].filter(Boolean).join(' ');
    q.address = { text: [...text].slice(0, 512).join('') };
    return JSON.stringify(q);
  }

  /** A blur could not ask yet (the email's domain still being asked, say): the answer that settles it asks then. */
  let returnedLater = false;

  /** On blur: asks once per question and page; the street field repaints with the answer. */
  function askReturned() {
    const q = returnedQuery();
    returnedLater = !q;
    if (!q || !streetField || w.detached() || returned.has(q) || returnedAsking === q) return;
    returnedCtrl?.abort();
    const ctrl = (returnedCtrl = new AbortController());
    returnedAsking = q;
    post('v1/address/returned/check', q, ctrl.signal).then((r) => {
      if (r && typeof r.returned === 'boolean') returned.set(q, r);
      if (returnedCtrl !== ctrl) return; // superseded
      returnedCtrl = null;
      returnedAsking = '';
      if (!w.detached() && streetField.base) show(streetField, streetField.base);
    });
  }
  undo.push(() => returnedCtrl?.abort());

  /** On blur: what the service can add to this field's verdict. */
  function ask(f) {
    if (f.type === 'email') {
      askDomain(f);
      askMailbox(f);
    } else if (f.type === 'postcode') askPostcode(f);
    if (['email', 'phone', 'street', 'postcode', 'city'].includes(f.type)) askReturned();
  }

  /**
   * What the service said about this field's value, as the core's facts
   * (HEARD bits), with the communes it gave for a postcode: only reading
   * its answers; the core's remote rules decide what they make of a verdict.
   * @returns {[number, string[]]}
   */
  function heard(f, v) {
    if (f.type === 'street') return [returned.get(returnedQuery())?.returned === true ? HEARD.returned : 0, []];
    if (f.type === 'postcode') {
      const r = postcodes.get(postcodeOf(f, v));
      return r?.found ? [HEARD.postcodeFound, r.communes.map((c) => c?.name).filter((n) => typeof n === 'string')] : [0, []];
    }
    const d = domainOf(f, v);
    if (!d) return [0, []];
    const r = domains.get(d);
    if (!r) return [(f.asking === d ? HEARD.asking : 0) | (w.gating() ? HEARD.gating : 0), []];
    return [
      (r.status === 'valid' ? HEARD.domainValid : HEARD.domainInvalid)
      | (r.code === 'email.domain_no_mail' ? HEARD.noMail : 0)
      | (r.disposable === true ? HEARD.disposable : 0)
      | (mailboxes.get(addressOf(f, v)) === 'does_not_exist' ? HEARD.noMailbox : 0),
      [],
    ];
  }

  /** A local verdict, with what the service said (email domain and mailbox, postcode, returned mail), as the core makes of it. */
  function amend(f, v) {
    if (!v) return v;
    const [facts, cities] = heard(f, v);
    const r = facts ? remoteVerdict(f.type, v.status, facts, cities.join('\u001f')) : '';
    if (!r) return v;
    const a = JSON.parse(r);
    return { ...v, status: a.status, code: a.code, message: say(a.code) ?? '', details: a.details ? { ...v.details, ...a.details } : v.details };
  }

  /** The street field's combobox: addresses from the service (typed fragment, and a valid postcode). */
  function street(f) {
    const { el, fc } = f;
    /** @type {any[]} */
    let hits = [];
    let timer = 0;
    /** @type {AbortController | null} */
    let ctrl = null;
    let typed = '';
    const show = combobox(el, {
      id: `${id}-${f.name}-options`, label: say('addresses'), after: f.hint, on, undo, live, found: say('found'),
      pick: (i) => choose(hits[i]),
    });
    undo.push(() => {
      clearTimeout(timer);
      ctrl?.abort();
    });
    function list(found) {
      hits = found;
      show(found.map((h) => h.label));
    }
    function search() {
      ctrl?.abort();
      ctrl = null;
      const q = el.value.trim();
      if (q.length < 3 || w.detached()) return list([]);
      const params = { q, limit: 6 };
      const pc = byName(fc.postcode);
      if (pc?.verdict?.status === 'valid' && pc.el.value.trim()) params.postcode = pc.verdict.normalized || pc.el.value.trim();
      const c = (ctrl = new AbortController());
      remote('v1/address/search', params, c.signal).then((r) => {
        if (c !== ctrl || w.detached()) return; // superseded: dropped
        ctrl = null;
        const found = Array.isArray(r?.results) ? r.results.filter((h) => typeof h?.label === 'string' && typeof h.street === 'string') : [];
        list(document.activeElement === el ? found : []);
      });
    }
    function choose(h) {
      hits = [];
      // The typed number is kept unless the service found exactly it.
      const own = /^\s*(\d+(?:\s?(?:bis|ter|quater)\b|[a-z]\b)?)/i.exec(typed)?.[1];
      const number = h.number_match === 'exact' || !own ? h.housenumber ?? '' : own;
      const hn = byName(fc.housenumber);
      const filled = [];
      const fill = (g, value) => {
        if (!g || typeof value !== 'string') return;
        g.filling = true;
        try {
          place(g.el, value);
        } finally {
          g.filling = false;
        }
        filled.push(check(g));
      };
      fill(f, hn ? h.street : [number, h.street].filter(Boolean).join(' '));
      fill(hn, number);
      fill(byName(fc.postcode), h.postcode);
      fill(byName(fc.city), h.city);
      Promise.all(filled).then(crossCheck);
    }
    on(el, 'input', () => {
      if (f.filling) return;
      typed = el.value;
      clearTimeout(timer);
      timer = setTimeout(search, DEBOUNCE_MS);
    });
    on(el, 'blur', () => {
      clearTimeout(timer);
      ctrl?.abort();
      ctrl = null;
    });
  }

  for (const f of fields) if (f.type === 'street') street(f);
  return { ask, forget, amend };
}
