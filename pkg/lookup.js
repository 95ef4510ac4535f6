// The remote checks of the widget, loaded by widget.js only when the config
// has `lookup` (pages without it never download this file): what a browser
// cannot know, asked of the lookup service, never depended upon. On blur, an
// email's domain (only the domain is sent); while a street is typed, addresses
// (the typed fragment, and a valid postcode). Each call has a short timeout, is
// aborted when a newer value supersedes it, and any failure (down, slow, 5xx,
// not JSON) leaves the local verdict standing: nothing here logs an error.

/** A remote call gives up after this long; a submit never waits longer for one. */
const LOOKUP_TIMEOUT_MS = 2500;
const DEBOUNCE_MS = 120;
/** Texts of the verdicts built from the service's answers (the core never sees them); config.messages overrides. */
const TEXT = {
  fr: {
    'email.domain_pending': 'Vérification du domaine…',
    'email.domain_not_found': 'Ce domaine n\u2019existe pas : vérifiez ce qui suit le «\u00a0@\u00a0».',
    'email.domain_no_mail': 'Ce domaine ne reçoit pas d\u2019e-mails : vérifiez l\u2019adresse.',
    'email.disposable': 'Cette adresse semble jetable : utilisez une adresse permanente pour continuer à recevoir nos messages.',
    addresses: 'Adresses proposées', found: (n) => `${n} adresse${n > 1 ? 's' : ''} proposée${n > 1 ? 's' : ''}`,
  },
  en: {
    'email.domain_pending': 'Checking the domain…',
    'email.domain_not_found': 'This domain does not exist: check what follows the “@”.',
    'email.domain_no_mail': 'This domain does not receive email: check the address.',
    'email.disposable': 'This looks like a disposable address: use a permanent one to keep hearing from us.',
    addresses: 'Suggested addresses', found: (n) => `${n} address${n > 1 ? 'es' : ''} suggested`,
  },
};

/**
 * The remote checks of one attached form (null when `lookup` is not a usable
 * URL). `w` is the widget's side: lookup, lang, fields, id, live, on, undo,
 * show, check, crossCheck, setValue, detached() and gating().
 */
export function remoteChecks(w) {
  const { lang, fields, id, live, on, undo, show, check, crossCheck, setValue } = w;
  // Resolved against the page ("/" is its own origin); the API paths are appended to it.
  let base;
  try {
    base = new URL(w.lookup.replace(/\/?$/, '/'), document.baseURI);
  } catch {
    return null; // local checks only
  }
  const byName = (n) => fields.find((x) => x.name === n);
  const say = (key) => (TEXT[lang] ?? TEXT.en)[key];
  /** Definite answers of the service by email domain (valid / invalid), for the page's lifetime. */
  const domains = new Map();

  /** GET on the lookup service: its JSON answer, or null for anything else. Never throws, never logs an error. */
  async function remote(path, params, ctrl) {
    const timer = setTimeout(() => ctrl.abort(), LOOKUP_TIMEOUT_MS);
    try {
      const url = new URL(path, base);
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      const res = await fetch(url, { signal: ctrl.signal, credentials: 'omit', headers: { accept: 'application/json' } });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return await res.json();
    } catch (e) {
      console.debug('fiable: no answer from the lookup service; the local check stands.', e);
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The domain of an email field whose local verdict lets it be asked about ('' otherwise). */
  function domainOf(f, v) {
    if (f.type !== 'email' || !base || !v || v.status === 'invalid' || v.status === 'pending') return '';
    const m = /@([^@\s]+)$/.exec((v.normalized || f.el.value).trim());
    return m ? m[1].toLowerCase() : '';
  }

  /** A newer value supersedes the remote check of the old one. */
  function forget(f) {
    f.ctrl?.abort();
    f.ctrl = f.inflight = null;
    f.asking = '';
  }

  /** On blur: asks the service about the domain (once per domain and page); shows `pending` meanwhile. */
  function askDomain(f) {
    const d = domainOf(f, f.base);
    if (!d || w.detached() || domains.has(d) || f.asking === d) return;
    forget(f);
    const ctrl = (f.ctrl = new AbortController());
    f.asking = d;
    f.inflight = remote('v1/email/domain', { d }, ctrl).then((r) => {
      if (r && (r.status === 'valid' || r.status === 'invalid')) domains.set(d, r);
      if (f.ctrl !== ctrl) return; // superseded: dropped
      forget(f);
      if (!w.detached()) show(f, f.base);
    });
    show(f, f.base);
  }

  /** A local email verdict, with what the service said of its domain. */
  function withDomain(f, v) {
    const d = domainOf(f, v);
    if (!d) return v;
    const r = domains.get(d);
    const as = (status, code) => ({ ...v, status, code, message: say(code) });
    // Pending shows over a valid verdict only: a warning (a typo's suggestion) stays in view meanwhile.
    if (!r) return f.asking === d && !w.gating() && v.status === 'valid' ? as('pending', 'email.domain_pending') : v;
    if (r.status === 'invalid') return as('invalid', r.code === 'email.domain_no_mail' ? r.code : 'email.domain_not_found');
    if (r.disposable === true && v.status === 'valid') return { ...as('warning', 'email.disposable'), details: { ...v.details, disposable: true } };
    return v;
  }

  /** The WAI-ARIA combobox of a street field: addresses from the service, keyboard and mouse. */
  function combobox(f) {
    const { el, fc } = f;
    const box = document.createElement('ul');
    box.id = `${id}-${f.name}-options`;
    box.className = 'fiable-listbox';
    box.setAttribute('role', 'listbox');
    box.setAttribute('aria-label', say('addresses'));
    box.hidden = true;
    f.hint.after(box);
    const aria = { role: 'combobox', 'aria-autocomplete': 'list', 'aria-expanded': 'false', 'aria-controls': box.id, 'aria-activedescendant': null };
    const before = Object.keys(aria).map((k) => [k, el.getAttribute(k)]);
    for (const [k, v] of Object.entries(aria)) if (v) el.setAttribute(k, v);
    let hits = [], active = -1, timer = 0, ctrl = null, typed = '';
    undo.push(() => {
      clearTimeout(timer);
      ctrl?.abort();
      box.remove();
      for (const [k, v] of before) v === null ? el.removeAttribute(k) : el.setAttribute(k, v);
    });
    /** Shows the list right under the field, whatever the layout around it (CSSOM only: fine under a strict CSP). */
    function unhide() {
      box.hidden = false;
      el.setAttribute('aria-expanded', 'true');
      const cb = box.offsetParent;
      const own = cb && getComputedStyle(cb).position !== 'static';
      const o = own ? cb.getBoundingClientRect() : { left: -scrollX, top: -scrollY };
      const r = el.getBoundingClientRect();
      box.style.left = `${r.left - o.left + (own ? cb.scrollLeft - cb.clientLeft : 0)}px`;
      box.style.top = `${r.bottom - o.top + (own ? cb.scrollTop - cb.clientTop : 0) + 2}px`;
      box.style.minWidth = `${r.width}px`;
    }
    function hide() {
      box.hidden = true;
      active = -1;
      el.setAttribute('aria-expanded', 'false');
      el.removeAttribute('aria-activedescendant');
    }
    function list(found) {
      hits = found;
      box.replaceChildren(...found.map((h, i) => {
        const li = document.createElement('li');
        li.id = `${box.id}-${i}`;
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', 'false');
        li.textContent = h.label;
        li.addEventListener('mousedown', (e) => e.preventDefault()); // the field keeps the focus
        li.addEventListener('click', () => choose(i));
        return li;
      }));
      hide();
      if (!found.length) return;
      unhide();
      live.textContent = say('found')(found.length);
    }
    function move(i) {
      if (box.hidden) unhide();
      active = i;
      [...box.children].forEach((li, k) => {
        li.setAttribute('aria-selected', String(k === i));
        li.classList.toggle('fiable-active', k === i);
      });
      el.setAttribute('aria-activedescendant', box.children[i].id);
      box.children[i].scrollIntoView?.({ block: 'nearest' });
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
      remote('v1/address/search', params, c).then((r) => {
        if (c !== ctrl || w.detached()) return; // superseded: dropped
        ctrl = null;
        const found = Array.isArray(r?.results) ? r.results.filter((h) => typeof h?.label === 'string' && typeof h.street === 'string') : [];
        list(document.activeElement === el ? found : []);
      });
    }
    function choose(i) {
      const h = hits[i];
      list([]);
      // The typed number is kept unless the service found exactly it.
      const own = /^\s*(\d+(?:\s?(?:bis|ter|quater)\b|[a-z]\b)?)/i.exec(typed)?.[1];
      const number = h.number_match === 'exact' || !own ? h.housenumber ?? '' : own;
      const hn = byName(fc.housenumber);
      const filled = [];
      const fill = (g, value) => {
        if (!g || typeof value !== 'string') return;
        g.filling = true;
        try {
          setValue(g.el, value);
        } finally {
          g.filling = false;
        }
        g.touched = true;
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
    on(el, 'keydown', (e) => {
      const n = hits.length;
      if (e.isComposing || !n || e.altKey || e.ctrlKey || e.metaKey) return;
      const shown = !box.hidden;
      const to = {
        ArrowDown: shown ? (active + 1) % n : 0,
        ArrowUp: shown && active > 0 ? active - 1 : n - 1,
        Home: shown ? 0 : null,
        End: shown ? n - 1 : null,
      }[e.key];
      if (to !== undefined && to !== null) {
        e.preventDefault();
        move(to);
      } else if (e.key === 'Enter' && shown && active >= 0) {
        e.preventDefault(); // choosing is not submitting
        choose(active);
      } else if (e.key === 'Escape' && shown) {
        e.preventDefault();
        hide();
      }
    });
    on(el, 'blur', () => {
      clearTimeout(timer);
      ctrl?.abort();
      ctrl = null;
      hide();
    });
  }

  for (const f of fields) if (f.type === 'street') combobox(f);
  return { askDomain, forget, withDomain };
}
