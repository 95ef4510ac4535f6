// The optional modules a form needs, loaded only then: the city combobox
// (a city input without its own datalist), the lookup service's checks
// (`lookup`), consent capture (`consent`, or a record queued by an earlier
// page to send). Each receives the Widget (seam.js); each fails alone and
// quietly, leaving the form as it would be without it.

/** @typedef {import('./seam.js').Field} Field */
/** @typedef {import('./seam.js').State} State */

/**
 * Starts loading what the form of `s` needs before `ready`; once loaded,
 * each is set on `s` (rc, cc). Returns the loads `ready` waits for: the
 * lookup checks and consent capture.
 * @param {State} s
 * @param {import('./seam.js').Widget} w
 * @returns {Promise<void>[]}
 */
export function loadParts(s, w) {
  const { config } = s;
  const parts = [];
  if (config.lookup) {
    parts.push(import('./lookup.js').then((m) => {
      if (!s.detached) s.rc = m.remoteChecks(w);
    }, (e) => console.debug('fiable: no remote checks', e)));
  }
  let queued;
  try {
    queued = config.lookup && Object.keys(localStorage).some((k) => k.startsWith('fiable.consent:'));
  } catch {} // no storage, no queue
  if (config.consent || queued) {
    const load = import('./consent.js').then((m) => {
      if (!s.detached) s.cc = m.consentCapture(w);
    }, (e) => console.error('fiable: no consent capture', e)).finally(() => (s.ccLoad = null));
    s.ccLoad = load;
    parts.push(load);
  }
  return parts;
}

/**
 * Loads the city combobox (a city input without its own datalist) and sets
 * `s.offer`. Not waited for: the widget asks for it once ready and the page
 * idle, and until it comes the city field is checked without suggestions.
 * @param {State} s
 * @param {import('./seam.js').Widget} w
 * @param {Field | undefined} cityField
 */
export function loadCityBox(s, w, cityField) {
  if (!(cityField?.el instanceof HTMLInputElement) || cityField.el.getAttribute('list')) return;
  const city = cityField;
  import('./combobox.js').then((m) => {
    if (!s.detached) s.offer = m.cityBox(city, w);
  }, (e) => console.debug('fiable: no city suggestions', e));
}
