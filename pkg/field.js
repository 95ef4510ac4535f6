// The fields of an attached form: found in the page from the config, each
// with its declared state (seam.js's Field), created here and nowhere else.

/** @typedef {import('./seam.js').Field} Field */
/** @typedef {import('./seam.js').WidgetConfig} WidgetConfig */

/**
 * The fields of `config` in `form` (a selector is looked up in the form,
 * then in the page), or one sentence naming the config key that is wrong.
 * `id` prefixes the hints' element ids.
 * @param {HTMLFormElement} form
 * @param {WidgetConfig} config
 * @param {string} id
 * @returns {Field[] | string}
 */
export function fieldsOf(form, config, id) {
  const formBlock = config.block ?? ['invalid'];
  /** @type {Field[]} */
  const fields = [];
  for (const [name, fc] of Object.entries(config.fields)) {
    const at = `config.fields.${name}`;
    /** @type {Element | null} */
    let el;
    try {
      el = form.querySelector(fc.selector) ?? document.querySelector(fc.selector);
    } catch {
      return `${at}.selector ${JSON.stringify(fc.selector)} is not a valid CSS selector; expected one such as "#email"`;
    }
    if (!el || !('value' in el)) return `${at}.selector ${JSON.stringify(fc.selector)} matches no input, select or textarea; expected the selector of one`;
    const hint = document.createElement('span');
    hint.className = 'fiable-hint';
    hint.id = `${id}-${name}-hint`;
    fields.push({
      name, el: /** @type {import('./seam.js').Control} */ (el), type: fc.type, fc,
      required: fc.required ?? /** @type {HTMLInputElement} */ (el).required,
      minAge: fc.minAge,
      block: new Set(fc.block ?? formBlock),
      hint,
      stage: 0, early: [], verdict: null, base: null, shown: '', seq: 0,
      inflight: null, ctrl: null, asking: '', mailboxCtrl: null, probing: '', filling: false,
    });
  }
  for (const f of fields) {
    for (const k of /** @type {const} */ (['postcode', 'city', 'housenumber'])) {
      const other = f.fc[k];
      if (other !== undefined && !config.fields[other]) return `config.fields.${f.name}.${k} names no field`;
    }
  }
  return fields;
}
