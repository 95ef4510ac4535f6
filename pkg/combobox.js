// The WAI-ARIA combobox of the widget (list autocomplete: a text input, its
// popup a listbox right under it). Shared by the street field (addresses
// from the lookup service, ./lookup.js) and the city field (the communes of
// the postcode, widget.js); loaded only by a form that has one of them.
// combobox() knows keys, mouse and ARIA, nothing about addresses or cities:
// the caller gives the options and says what choosing one does; cityBox()
// is the city field's caller.

/**
 * Makes `el` a combobox. `o`: id (of the listbox), label (its accessible
 * name), after (the node the listbox is inserted after), on/undo (the
 * widget's listener and clean-up lists), live (the polite live region),
 * found(n) (what the live region says when n options show), pick(i)
 * (choosing option i). Returns `show(labels, now)`: replaces the options
 * and opens the list when `now` (default: the field has the focus) and
 * there is something to show.
 * @param {HTMLInputElement} el
 * @param {{ id: string, label: string, after: Element, on: import('./seam.js').On, undo: (() => void)[], live: HTMLElement, found: (n: number) => string, pick: (i: number) => void }} o
 * @returns {(labels: string[], now?: boolean) => void}
 */
export function combobox(el, { id, label, after, on, undo, live, found, pick }) {
  const box = document.createElement('ul');
  box.id = id;
  box.className = 'fiable-listbox';
  box.setAttribute('role', 'listbox');
  box.setAttribute('aria-label', label);
  box.hidden = true;
  after.after(box);
  const aria = { role: 'combobox', 'aria-autocomplete': 'list', 'aria-expanded': 'false', 'aria-controls': id };
  const before = [...Object.keys(aria), 'aria-activedescendant'].map((k) => /** @type {const} */ ([k, el.getAttribute(k)]));
  for (const [k, v] of Object.entries(aria)) el.setAttribute(k, v);
  let active = -1;
  undo.push(() => {
    box.remove();
    for (const [k, v] of before) v === null ? el.removeAttribute(k) : el.setAttribute(k, v);
  });

  /** Shows the list right under the field, whatever the layout around it (CSSOM only: fine under a strict CSP). */
  function open() {
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
    for (const li of box.children) {
      li.setAttribute('aria-selected', 'false');
      li.classList.remove('fiable-active');
    }
    el.setAttribute('aria-expanded', 'false');
    el.removeAttribute('aria-activedescendant');
  }
  function show(labels, now = document.activeElement === el) {
    // A refresh with the same options (a later answer to a longer query) keeps the one being chosen.
    if (now && !box.hidden && labels.join('\u001f') === [...box.children].map((li) => li.textContent).join('\u001f')) return;
    box.replaceChildren(...labels.map((text, i) => {
      const li = document.createElement('li');
      li.id = `${id}-${i}`;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', 'false');
      li.textContent = text;
      li.addEventListener('mousedown', (e) => e.preventDefault()); // the field keeps the focus
      li.addEventListener('click', () => choose(i));
      return li;
    }));
    hide();
    if (!labels.length || !now) return;
    open();
    live.textContent = found(labels.length);
  }
  function choose(i) {
    show([]);
    pick(i);
  }
  function move(i) {
    if (box.hidden) open();
    active = i;
    [...box.children].forEach((li, k) => {
      li.setAttribute('aria-selected', String(k === i));
      li.classList.toggle('fiable-active', k === i);
    });
    el.setAttribute('aria-activedescendant', box.children[i].id);
    box.children[i].scrollIntoView?.({ block: 'nearest' });
  }
  on(el, 'keydown', (e) => {
    const n = box.children.length;
    if (e.isComposing || !n || e.ctrlKey || e.metaKey) return;
    const shown = !box.hidden;
    if (e.altKey) {
      // Alt+Down shows the list without choosing in it, Alt+Up closes it (WAI-ARIA APG).
      if (e.key === 'ArrowDown' && !shown) open();
      else if (e.key === 'ArrowUp' && shown) hide();
      else return;
      e.preventDefault();
      return;
    }
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
  on(el, 'blur', hide);
  return show;
}

/** The city list's name and what the live region says when it shows. */
/** @type {Record<string, [string, (n: number) => string]>} */
const CITY_TEXT = {
  fr: ['Villes proposées', (n) => `${n} ville${n > 1 ? 's' : ''} proposée${n > 1 ? 's' : ''}`],
  en: ['Suggested cities', (n) => `${n} cit${n > 1 ? 'ies' : 'y'} suggested`],
};
const fold = (s) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

/**
 * The city field `f` as a combobox of the communes of its postcode
 * (`w.cities()`, from the postcode's verdict). Opens on focus; typing narrows
 * the list (accents and case aside); a value that already is one of them
 * opens nothing. Returns what the widget calls on each postcode verdict.
 * @param {import('./seam.js').Field} f A text input's (the widget checks).
 * @param {import('./seam.js').Widget} w
 * @returns {() => void}
 */
export function cityBox(f, w) {
  const el = /** @type {HTMLInputElement} */ (f.el);
  const [label, found] = CITY_TEXT[w.lang] ?? CITY_TEXT.en;
  /** @type {string[]} */
  let shown = [];
  let from = '';
  const show = combobox(el, {
    id: `${w.id}-cities`, label, after: f.hint, on: w.on, undo: w.undo, live: w.live,
    found, pick: (i) => w.setValue(el, shown[i]),
  });
  const offer = () => {
    const q = fold(el.value.trim());
    const cities = w.cities();
    from = cities.join('\u001f');
    shown = cities.some((c) => fold(c) === q) ? [] : cities.filter((c) => fold(c).includes(q));
    show(shown);
  };
  w.on(el, 'focus', offer);
  w.on(el, 'input', offer);
  // A re-check of the same postcode leaves the list (and the option being chosen) as it is.
  return () => {
    if (from !== w.cities().join('\u001f')) offer();
  };
}
