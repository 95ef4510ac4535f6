// Consent capture, loaded by widget.js only when the config has `consent` (or
// a record of an earlier page is still queued): forms without consent never
// download it. On a valid submit, before the page's own handlers run, the
// boxes (or aria-pressed toggle buttons) of `consent.purposes` become one
// consent record (the wording is the text the page shows at that moment,
// verbatim; an unticked box is a refusal), and the record is delivered to
// `<lookup>/v1/consents` (the contract: notes/contract.md, pkg/consent.schema.json).
//
// "A consent record, once the person clicked, is never lost": the record is
// written to localStorage first (one item per record, so two tabs never
// overwrite each other's queue), then posted with its Idempotency-Key; it
// leaves the queue only on a receipt (201, or 200 for a replay) or on a
// rejection no retry can fix (4xx such as 422). Down, slow (3 s), 5xx, 429,
// an API key refused (401/403): the form is sent anyway and the record stays
// queued, retried with backoff (never before a 429's Retry-After, ./backoff.js)
// while the page stays, at the next page load, on `online`, and beaconed on
// page hide. The same Idempotency-Key on every attempt makes it exactly once.
//
// The form's hidden input (`receiptInput`, default fiable_consent_receipt)
// carries the record id in both cases: the receipt's id once delivered, the
// id the record was queued with otherwise (the service keeps a record id it
// is given, so the ledger entry will carry that id once it arrives); a second
// hidden input `<receiptInput>_status` says "delivered" or "queued".
import { pausedFor } from './backoff.js';
import { call } from './net.js';
import { E164 } from './defs.js';

/** @typedef {{ id: string, text: string, decision: string, legal_basis: string, affirmative_action: boolean, confirmation?: string }} Decided one purpose's answer */

const QUEUE = 'fiable.consent:';
const TIMEOUT_MS = 3000;
const FIRST_RETRY_MS = 2000;
const LAST_RETRY_MS = 5 * 60 * 1000;
const SUBJECT = ['email', 'phone', 'first_name', 'last_name', 'postcode'];

/** A random RFC 4122 v4 UUID (randomUUID needs a secure context; getRandomValues does not). */
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 15) | 64;
  b[8] = (b[8] & 63) | 128;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The durable queue: one localStorage item per record, keyed by its Idempotency-Key. */
const queue = {
  put(e) {
    try {
      localStorage.setItem(QUEUE + e.key, JSON.stringify(e));
      return true;
    } catch {
      return false; // no storage (private mode quota, sandbox): kept in memory for this page
    }
  },
  drop(key) {
    try {
      localStorage.removeItem(QUEUE + key);
    } catch {
      // nothing stored
    }
  },
  all() {
    try {
      return Object.keys(localStorage).filter((k) => k.startsWith(QUEUE)).map((k) => {
        try {
          return JSON.parse(localStorage.getItem(k) ?? 'null');
        } catch {
          return null;
        }
      }).filter((e) => e && typeof e.key === 'string' && typeof e.url === 'string' && typeof e.body === 'string');
    } catch {
      return [];
    }
  },
};

/** One courier per consent URL: the queue's records for that service, retried and beaconed. */
const couriers = new Map();

function courier(url) {
  let c = couriers.get(url);
  if (!c) {
    c = { url, apiKey: '', keyRefused: false, memory: new Map(), inflight: new Set(), beaconed: new Set(), forms: new Map(), failures: 0, timer: 0, flushing: null };
    couriers.set(url, c);
  }
  return c;
}

const pending = (c) => [...queue.all(), ...c.memory.values()].filter((e) => e.url === c.url);

/** Posts one queued record; resolves to { status: 'delivered'|'queued'|'rejected', receipt?, error? }. */
async function post(c, e) {
  if (e.advisor && !c.apiKey) return { status: 'queued' }; // an advisor record waits for a page with the advisor key
  if (c.inflight.has(e.key) || pausedFor(c.url)) return { status: 'queued' }; // a 429's pause: not before its Retry-After
  c.inflight.add(e.key);
  /** @type {Record<string, string>} */
  const headers = { 'content-type': 'application/json', 'idempotency-key': e.key };
  if (e.advisor) headers.authorization = `Bearer ${c.apiKey}`;
  try {
    const res = await call(c.url, TIMEOUT_MS, { method: 'POST', headers, body: e.body });
    if (!res) return { status: 'queued' }; // paused since the check above
    const answer = await res.json().catch(() => null);
    if (res.ok && typeof answer?.id === 'string') {
      forget(c, e.key);
      return { status: 'delivered', receipt: answer };
    }
    // A key the service refuses (401/403) is not a wrong record: it stays queued for a
    // page with a valid key; the page learns why (`error`), the console says it once.
    if (res.status === 401 || res.status === 403) {
      if (!c.keyRefused) console.error(`fiable: the consent service refused the API key (HTTP ${res.status}); the record stays queued and is sent again with a valid key.`);
      c.keyRefused = true;
      return { status: 'queued', error: answer?.error ?? { code: `http.${res.status}` } };
    }
    // A 2xx without a receipt, 5xx, 429, 408: try again later.
    if (res.ok || res.status >= 500 || [408, 429].includes(res.status)) return { status: 'queued' };
    const error = answer?.error ?? { code: `http.${res.status}` };
    const problems = Array.isArray(error.problems) ? error.problems.map((p) => `${p.path}: ${p.code}`).join(', ') : '';
    console.error(`fiable: the consent service rejected a consent record (HTTP ${res.status} ${error.code ?? ''}${problems ? `: ${problems}` : ''}); a retry cannot fix it, so it is dropped.`);
    forget(c, e.key);
    return { status: 'rejected', error };
  } catch (err) {
    console.debug('fiable: the consent service did not answer; the record stays queued.', err);
    return { status: 'queued' };
  } finally {
    c.inflight.delete(e.key);
  }
}

function forget(c, key) {
  queue.drop(key);
  c.memory.delete(key);
}

/** Tells the form that captured the record (or the document, for an earlier page's record). */
function report(c, e, r) {
  const form = c.forms.get(e.key);
  if (r.status !== 'queued') c.forms.delete(e.key);
  const id = r.receipt?.id ?? e.id;
  form?.receipt(r.status === 'rejected' ? '' : id, r.status);
  const detail = { status: r.status, id };
  if (r.receipt) detail.receipt = r.receipt;
  if (r.error) detail.error = r.error;
  (form?.el.isConnected ? form.el : document).dispatchEvent(new CustomEvent('fiable:consent', { bubbles: true, detail }));
}

/** Sends every queued record of this service once; schedules the next try while some remain. */
function flush(c) {
  if (c.flushing) return c.flushing;
  // The service said 429: nothing is sent before its Retry-After (the next try is scheduled then).
  if (pausedFor(c.url)) {
    settle(c, []);
    return Promise.resolve();
  }
  clearTimeout(c.timer);
  c.timer = 0;
  c.flushing = (async () => {
    const results = await Promise.all(pending(c).filter((e) => !c.inflight.has(e.key)).map(async (e) => {
      const r = await post(c, e);
      report(c, e, r);
      return r;
    }));
    c.flushing = null;
    settle(c, results);
  })();
  return c.flushing;
}

/** Exponential backoff (2 s, 4 s… 5 min) while a record is still queued, never before a 429's Retry-After. */
function settle(c, results) {
  if (results.some((r) => r.status === 'delivered')) c.failures = 0;
  const waiting = pending(c).some((e) => !e.advisor || c.apiKey);
  if (!waiting || c.timer) return;
  const delay = Math.min(FIRST_RETRY_MS * 2 ** c.failures++, LAST_RETRY_MS);
  c.timer = setTimeout(() => {
    c.timer = 0;
    flush(c);
  }, Math.max(delay * (0.75 + Math.random() / 4), pausedFor(c.url)));
}

/**
 * Page hide: a beacon per queued record. A beacon carries no header, so the
 * Idempotency-Key travels as `?idempotency_key=`; its body is the record JSON
 * sent as text/plain (a CORS-simple request, no preflight). Its fate is
 * unknown to the page, so the record stays queued: the next page load sends
 * it again, and the key makes that a replay. Advisor records are never
 * beaconed (an API key does not go in a URL).
 */
function beacon() {
  if (!navigator.sendBeacon) return;
  for (const c of couriers.values()) {
    for (const e of pending(c)) {
      if (e.advisor || c.beaconed.has(e.key)) continue;
      const url = new URL(c.url);
      url.searchParams.set('idempotency_key', e.key);
      if (navigator.sendBeacon(url.href, new Blob([e.body], { type: 'text/plain;charset=UTF-8' }))) c.beaconed.add(e.key);
    }
  }
}

addEventListener('online', () => couriers.forEach(flush));
addEventListener('pagehide', beacon);
document.addEventListener('visibilitychange', () => document.visibilityState === 'hidden' && beacon());

async function sha256(text) {
  try {
    const d = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
    return [...new Uint8Array(d)].map((x) => x.toString(16).padStart(2, '0')).join('');
  } catch {
    return ''; // no crypto.subtle (not a secure context): the service computes it
  }
}

/** The text a person sees for a purpose: its label's rendered text (hidden parts excluded), else `text`. */
function wording(p, el) {
  let shown = '';
  try {
    const labelled = el.getAttribute('aria-labelledby')?.split(/\s+/).map((id) => document.getElementById(id)).filter(Boolean);
    const label = p.label ? document.querySelector(p.label) : el.labels?.[0] ?? labelled?.[0] ?? (el instanceof HTMLButtonElement ? el : null);
    shown = label?.innerText.trim() ?? '';
  } catch {
    // a bad `label` selector: reported at attach
  }
  return shown || p.text || '';
}

/**
 * Consent capture for one attached form. `w`: form, config, locale, fields
 * (the widget's), on/undo (what detach takes back), values()
 * (normalised values by field name). Returns { capture(submitter, resubmit) }:
 * true when it holds the submit (it calls resubmit once the record is queued
 * and the service answered or gave up), false to let the submit go on.
 */
export function consentCapture(w) {
  const { form, config, locale, fields, on } = w;
  const none = { capture: () => false };
  let url;
  try {
    url = new URL('v1/consents', new URL(config.lookup.replace(/\/?$/, '/'), document.baseURI)).href;
  } catch {
    return none;
  }
  const c = courier(url);
  const cc = config.consent;
  const advisor = cc?.advisor;
  if (advisor && c.apiKey !== advisor.apiKey) {
    c.apiKey = advisor.apiKey;
    c.keyRefused = false;
    c.flushed = false; // queued advisor records can go now
  }
  if (!c.flushed) {
    c.flushed = true;
    flush(c); // records an earlier page could not deliver
  }
  if (!cc) return none;

  let busy = false;
  /** @type {{ same: string } | null} */
  let last = null;
  const fail = (why) => {
    console.error(`fiable: ${why}; consent is not recorded on this form (it works without it).`);
    return none;
  };
  const purposes = [];
  for (const [i, p] of cc.purposes.entries()) {
    const at = `config.consent.purposes[${i}]`;
    let el;
    try {
      el = form.querySelector(p.selector) ?? document.querySelector(p.selector);
      if (p.label) document.querySelector(p.label);
    } catch {
      return fail(`${at}: ${JSON.stringify(p.label ?? p.selector)} is not a valid CSS selector`);
    }
    const box = el instanceof HTMLInputElement && el.type === 'checkbox';
    if (!box && !(el instanceof HTMLButtonElement)) return fail(`${at}.selector ${JSON.stringify(p.selector)} matches no checkbox or toggle button; expected the selector of an <input type="checkbox"> or a <button aria-pressed>`);
    if (box ? el.checked || el.defaultChecked : el.getAttribute('aria-pressed') === 'true') {
      return fail(`${at}: ${JSON.stringify(p.selector)} is ${box ? 'ticked' : 'pressed'} before the person acted; a pre-ticked box is not consent (GDPR art. 4(11)), expected it unticked`);
    }
    if (!wording(p, el)) return fail(`${at} has no wording: expected a <label> for ${JSON.stringify(p.selector)}, a "label" selector or a "text"`);
    const purpose = { p, el, box, acted: false };
    purposes.push(purpose);
    if (box) {
      on(el, 'change', (e) => { if (e.isTrusted) purpose.acted = true; });
    } else {
      if (!el.hasAttribute('aria-pressed')) el.setAttribute('aria-pressed', 'false');
      if (el.type === 'submit' && !el.hasAttribute('type')) el.type = 'button'; // a toggle, not a submit
      on(el, 'click', (e) => {
        el.setAttribute('aria-pressed', String(el.getAttribute('aria-pressed') !== 'true'));
        if (e.isTrusted) purpose.acted = true;
      });
    }
  }
  const recording = callRecording(w, advisor, purposes);
  if (recording === false) return none;
  // A reset form starts a new person's answers (an advisor's next customer).
  on(form, 'reset', () => {
    last = null;
    for (const x of purposes) {
      x.acted = false;
      if (!x.box) x.el.setAttribute('aria-pressed', 'false');
    }
    recording?.reset();
  });
  // The fields that identify the person: `subjectData`, else the first field of each kind.
  const source = {};
  for (const k of SUBJECT) {
    const name = cc.subjectData?.[k];
    const f = name ? fields.find((x) => x.name === name) : fields.find((x) => x.type === k);
    if (name && !f) return fail(`config.consent.subjectData.${k} is ${JSON.stringify(name)}, which names no field; expected a name in config.fields`);
    if (f) source[k] = f;
  }
  if (!Object.keys(source).length) return fail('config.consent needs a field that identifies the person; expected an email, phone, first_name, last_name or postcode field in config.fields');

  const name = cc.receiptInput ?? 'fiable_consent_receipt';
  const hidden = (n) => {
    let el = [...form.querySelectorAll('input')].find((x) => x.name === n);
    if (!el) {
      el = document.createElement('input');
      el.type = 'hidden';
      el.name = n;
      form.append(el);
      w.undo.push(() => el.remove());
    }
    return el;
  };
  const target = {
    el: form,
    receipt(id, status) {
      hidden(name).value = id;
      hidden(`${name}_status`).value = id ? status : '';
    },
  };

  if (advisor) import('./advisor.js').then((m) => m.duplicateWatch(w, new URL('match', url).href, advisor.apiKey), (e) => console.error('fiable: no duplicate check', e));

  /** The person's contact data, as the form normalised it; only values whose verdict is not invalid. */
  function subjectData() {
    const values = w.values();
    const out = {};
    for (const [k, f] of Object.entries(source)) {
      const v = String(values[f.name] ?? '').trim();
      if (!v || !f.verdict || f.verdict.status === 'invalid' || f.verdict.status === 'pending') continue;
      if (k === 'phone' && !E164.test(v)) continue; // E.164 only
      out[k] = v;
    }
    if (out.postcode && config.country) out.country = config.country.toUpperCase();
    return out;
  }

  /**
   * The record of `decided` (purposes with their decision, wording and whether the person acted).
   * @param {Date} now
   * @param {Record<string, string>} subject
   * @param {Decided[]} decided
   */
  async function record(now, subject, decided) {
    const r = {
      record_id: uuid(),
      schema_version: 1,
      subject: '',
      subject_data: subject,
      controller: { name: cc.controller.name, contact: cc.controller.contact },
      purposes: /** @type {(Decided & { text_sha256: string })[]} */ ([]),
      channel: advisor ? advisor.channel : 'web',
      collector: advisor ? { advisor_id: advisor.advisorId, store_id: advisor.storeId } : { site: location.hostname },
      form: { id: cc.form.id, version: cc.form.version },
      locale,
      acted_at: now.toISOString(),
    };
    for (const d of decided) r.purposes.push({ ...d, text_sha256: '' });
    if (cc.retentionDays) r.retention_days = cc.retentionDays;
    if (cc.expiresAfterDays) r.expires_at = new Date(now.getTime() + cc.expiresAfterDays * 864e5).toISOString();
    return r;
  }

  /** Each purpose as the form holds it now. @type {() => Decided[]} */
  const answers = () => purposes.map((x) => ({
    id: x.p.id,
    text: wording(x.p, x.el),
    decision: (x.box ? x.el.checked : x.el.getAttribute('aria-pressed') === 'true') ? 'granted' : 'refused',
    legal_basis: x.p.legalBasis ?? 'consent',
    affirmative_action: x.acted,
    // Double opt-in: the service mails the link; the grant counts once it is opened.
    ...(x.p.confirm === 'email' ? { confirmation: 'email' } : {}),
  }));

  /** Queues one record, then posts it; resolves to the post's result. */
  async function deliver(r, now) {
    for (const p of r.purposes) p.text_sha256 = await sha256(p.text);
    const e = { key: uuid(), url: c.url, id: r.record_id, body: JSON.stringify(r), advisor: !!advisor, queued_at: now.toISOString() };
    c.forms.set(e.key, target);
    if (!queue.put(e)) c.memory.set(e.key, e); // first the queue, then the network
    target.receipt(e.id, 'queued');
    const result = await post(c, e);
    report(c, e, result);
    if (result.status === 'queued') settle(c, [result]);
    return result;
  }

  return {
    capture(submitter, resubmit) {
      if (busy) return true; // a second click while the first is recorded: that one submits
      // On the phone the recording question comes first: no record, no submit, before its answer.
      if (recording && !recording.answered()) {
        recording.ask();
        return true;
      }
      const now = new Date();
      const subject = subjectData();
      if (!Object.keys(subject).length) {
        console.error('fiable: no consent record: the form holds nothing that identifies the person (email, phone or name)');
        return false;
      }
      // The same answers submitted again (a double submit, a server-side error shown in an SPA): one record.
      const same = JSON.stringify([subject, purposes.map((x) => [x.box ? x.el.checked : x.el.getAttribute('aria-pressed'), wording(x.p, x.el)])]);
      if (last?.same === same && hidden(name).value) return false;
      busy = true;
      (async () => {
        try {
          // The answer on recording, as its own record at the time of its click, once per call.
          const call = recording?.take();
          if (call) await deliver(await record(call.at, subject, [call.purpose]), call.at);
          const result = await deliver(await record(now, subject, answers()), now);
          last = result.status === 'rejected' ? null : { same };
        } catch (err) {
          console.error('fiable: the consent record could not be built', err);
        } finally {
          busy = false;
          resubmit(submitter);
        }
      })();
      return true;
    },
  };
}

/** What the recording question says when the advisor submits before asking it. */
const ASK_FIRST = {
  fr: 'Demandez d\'abord au client s\'il accepte l\'enregistrement de l\'appel.',
  en: 'First ask the customer whether they agree to this call being recorded.',
};

/**
 * Advisor mode on the phone (`consent.advisor.callRecording`, channel
 * `phone`): the call's first action is one click, "the customer agrees to
 * this call being recorded" or "refuses". The purposes stay disabled until
 * then. The answer is kept with the time of the click and the sentence read
 * out (the `label` element's text, else `text`), and becomes a record of
 * its own (purpose `id`, default `call_recording`) sent just before the
 * purposes' record, with the same contact data: at the start of a call
 * nobody is identified yet, and one person must get one pseudonym. A
 * refusal is a record too. Returns null when not configured, false on a
 * config error (said on the console), else the question's handle.
 */
function callRecording(w, advisor, purposes) {
  const rec = advisor?.channel === 'phone' ? advisor.callRecording : null;
  if (!rec) return null;
  const at = 'config.consent.advisor.callRecording';
  const fail = (why) => {
    console.error(`fiable: ${at}: ${why}; consent is not recorded on this form (it works without it).`);
    return /** @type {false} */ (false);
  };
  let agree, refuse, label;
  try {
    agree = document.querySelector(rec.agree);
    refuse = document.querySelector(rec.refuse);
    label = rec.label ? document.querySelector(rec.label) : null;
  } catch {
    return fail('a selector is not a valid CSS selector');
  }
  if (!(agree instanceof HTMLButtonElement) || !(refuse instanceof HTMLButtonElement)) return fail('"agree" and "refuse" must each match a <button>');
  if (rec.label && !label) return fail(`"label" ${JSON.stringify(rec.label)} matches nothing`);
  const sentence = () => label?.innerText.trim() || rec.text || '';
  if (!sentence()) return fail('no sentence to read out: expected "label" or "text"');
  const say = document.createElement('p');
  say.className = 'fiable-call-recording';
  say.setAttribute('role', 'status');
  say.setAttribute('aria-live', 'polite');
  refuse.after(say);
  w.undo.push(() => say.remove());

  /** @type {{ at: Date, purpose: Decided } | null} */
  let answer = null;
  let sent = false;
  const paint = () => {
    const decided = answer?.purpose.decision;
    agree.setAttribute('aria-pressed', String(decided === 'granted'));
    refuse.setAttribute('aria-pressed', String(decided === 'refused'));
    // One answer per call; a reset form (the next call) asks again.
    agree.disabled = refuse.disabled = !!answer;
    for (const x of purposes) x.el.disabled = !answer;
    if (answer) say.textContent = '';
  };
  const choose = (/** @type {string} */ decision) => (/** @type {Event} */ e) => {
    if (answer || !e.isTrusted) return;
    answer = {
      at: new Date(),
      purpose: { id: rec.id ?? 'call_recording', text: sentence(), decision, legal_basis: 'consent', affirmative_action: true },
    };
    paint();
  };
  w.on(agree, 'click', choose('granted'));
  w.on(refuse, 'click', choose('refused'));
  w.undo.push(() => {
    agree.disabled = refuse.disabled = false;
    for (const x of purposes) x.el.disabled = false;
  });
  paint();
  return {
    answered: () => !!answer,
    ask() {
      say.textContent = ASK_FIRST[w.locale.toLowerCase().split('-')[0]] ?? ASK_FIRST.en;
      agree.focus();
    },
    /** The answer, the first time only (it belongs to one record). */
    take() {
      if (!answer || sent) return null;
      sent = true;
      return answer;
    },
    reset() {
      answer = null;
      sent = false;
      paint();
    },
  };
}
