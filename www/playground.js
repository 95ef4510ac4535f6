// The config playground: a marketer edits the widget config as JSON and sees,
// at every (debounced) edit, either where the JSON is broken, what checkConfig
// says is wrong (explained in French, with the checker's own English sentence),
// or the form the config describes with fiable attached to it, plus the
// <script> tag to paste in their page. Strict CSP: no inline code, no
// innerHTML, every text goes through textContent.
import { attach, checkConfig } from '/pkg/index.js';
import { KINDS } from '/pkg/defs.js';

const DEFAULT = `{
  "locale": "fr",
  "country": "FR",
  "lookup": "/",
  "fields": {
    "civility":  { "selector": "[name=civility]", "type": "civility" },
    "firstName": { "selector": "#prenom", "type": "first_name", "civility": "civility" },
    "lastName":  { "selector": "#nom", "type": "last_name", "required": true },
    "email":     { "selector": "#email", "type": "email", "required": true },
    "birthDate": { "selector": "#naissance", "type": "birth_date", "minAge": 15 },
    "postcode":  { "selector": "#cp", "type": "postcode" },
    "city":      { "selector": "#ville", "type": "city" }
  },
  "consent": {
    "controller": { "name": "Shop SAS", "contact": "dpo@shop.example" },
    "form": { "id": "signup", "version": "2026-11" },
    "purposes": [
      { "id": "newsletter", "selector": "#optin", "text": "J'accepte de recevoir la newsletter" }
    ]
  }
}
`;

/** How each kind is best entered: element, input type, autocomplete token, hints. */
const KIND_UI = {
  email: { type: 'email', autocomplete: 'email', placeholder: 'jean.dupont@gmail.com' },
  phone: { type: 'tel', autocomplete: 'tel', placeholder: '06 12 34 56 78' },
  postcode: { autocomplete: 'postal-code', inputmode: 'numeric', placeholder: '75011' },
  city: { autocomplete: 'address-level2' },
  first_name: { autocomplete: 'given-name' },
  last_name: { autocomplete: 'family-name' },
  civility: { tag: 'select', autocomplete: 'honorific-prefix', options: ['', 'M.', 'Mme', 'Mx'] },
  birth_date: { autocomplete: 'bday', placeholder: '23/11/1990' },
  country: { autocomplete: 'country-name', placeholder: 'France' },
  street: { autocomplete: 'address-line1', placeholder: '12 rue de la Paix' },
};

const $ = (id) => document.getElementById(id);
const area = $('pg-config');
const status = $('pg-status');
const preview = $('pg-preview');
const snippet = $('pg-snippet');
const copyButton = $('pg-copy');
const SCRIPT_SRC = new URL('/pkg/dist/fiable.js', location.href).href;

let schema = null; // loaded in the background: labels, key suggestions
let handle = null;
let errorAt = null; // [start, end] offsets in the textarea of the current problem
let version = 0;

function make(tag, props = {}, text) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  if (text !== undefined) el.textContent = text;
  return el;
}

// ---------------------------------------------------------------- positions

/** Line and column (1-based) of an offset. */
function lineCol(text, offset) {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/** Offset of a 1-based line and column. */
function offsetOf(text, line, column) {
  let at = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', at);
    if (nl < 0) return text.length;
    at = nl + 1;
  }
  return Math.min(text.length, at + column - 1);
}

/** The source line of an offset, with a caret under it. */
function excerpt(text, offset) {
  const { line, column } = lineCol(text, offset);
  const src = text.split('\n')[line - 1] ?? '';
  const gutter = `${line} │ `;
  return `${gutter}${src}\n${' '.repeat(gutter.length + column - 1)}^`;
}

/**
 * Offsets of every key of a valid JSON text, by path ("fields.email.type",
 * "consent.purposes[0].id"): where the checker's problem is in the text.
 */
function keyOffsets(text) {
  const map = new Map();
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const str = () => {
    const s = i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(s, i));
  };
  const value = (path) => {
    ws();
    if (text[i] === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        const at = i;
        const key = str();
        const p = path ? `${path}.${key}` : key;
        map.set(p, [at, i]);
        ws();
        i++; // :
        value(p);
        ws();
        if (text[i++] !== ',') return;
      }
    }
    if (text[i] === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (let n = 0; ; n++) {
        ws();
        const p = `${path}[${n}]`;
        const at = i;
        value(p);
        map.set(p, [at, i]);
        ws();
        if (text[i++] !== ',') return;
      }
    }
    if (text[i] === '"') return void str();
    while (i < text.length && !/[\s,\]}]/.test(text[i])) i++;
  };
  value('');
  return map;
}

// ---------------------------------------------------------------- explanations

/** Plain-French reading of the JSON.parse message. */
function syntaxFr(msg) {
  if (/Unexpected end of JSON input/i.test(msg)) return 'Le JSON s’arrête trop tôt : il manque sans doute une accolade } ou un crochet ] à la fin.';
  if (/Bad control character/i.test(msg)) return 'Retour à la ligne ou tabulation à l’intérieur d’une chaîne : interdit en JSON (fermez d’abord le guillemet).';
  if (/Unterminated string/i.test(msg)) return 'Une chaîne n’est pas fermée : il manque un guillemet ".';
  if (/Expected double-quoted property name/i.test(msg)) return 'Un nom de clé entre guillemets doubles est attendu ici : une virgule en trop avant } ou des guillemets simples ?';
  if (/Expected ',' or '}'/i.test(msg)) return 'Une virgule (ou une accolade fermante }) est attendue ici : virgule oubliée entre deux clés ?';
  if (/Expected ',' or ']'/i.test(msg)) return 'Une virgule (ou un crochet fermant ]) est attendue ici : virgule oubliée entre deux éléments ?';
  if (/Expected ':'/i.test(msg)) return 'Deux-points : attendu après le nom de la clé.';
  if (/Unexpected non-whitespace character after JSON/i.test(msg)) return 'Du texte suit la fin de la configuration : une accolade } en trop, ou du texte après ?';
  if (/Bad escaped character|Bad Unicode escape/i.test(msg)) return 'Antislash \\ mal employé dans une chaîne : écrivez \\\\ pour un antislash.';
  return 'Caractère inattendu ici : vérifiez guillemets doubles, virgules et accolades.';
}

/** Where JSON.parse stopped, from its message. */
function syntaxOffset(text, msg) {
  const lc = /line (\d+) column (\d+)/.exec(msg);
  if (lc) return offsetOf(text, Number(lc[1]), Number(lc[2]));
  const pos = /position (\d+)/.exec(msg);
  if (pos) return Number(pos[1]);
  return text.length; // "Unexpected end of JSON input"
}

/** The schema node of a config path (["fields", "email", "type"]), following $ref, maps and lists. */
function schemaAt(segments) {
  if (!schema) return null;
  const deref = (n) => (n && n.$ref ? deref(n.$ref.replace('#/', '').split('/').reduce((o, k) => o?.[k], schema)) : n);
  let node = deref(schema);
  for (const seg of segments) {
    if (!node) return null;
    if (typeof seg === 'number') node = deref(node.items);
    else node = deref(node.properties?.[seg] ?? (typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined));
  }
  return node;
}

/** "config.consent.purposes[0].id" → ["consent", "purposes", 0, "id"]. */
function segmentsOf(path) {
  const out = [];
  for (const part of path.replace(/^config\.?/, '').split('.')) {
    if (!part) continue;
    const m = /^(.*?)((?:\[\d+\])*)$/.exec(part);
    if (m[1]) out.push(m[1]);
    for (const n of m[2].matchAll(/\[(\d+)\]/g)) out.push(Number(n[1]));
  }
  return out;
}

const pathText = (segs) => segs.map((s, i) => (typeof s === 'number' ? `[${s}]` : i ? `.${s}` : s)).join('');

function distance(a, b) {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}

function closest(word, candidates) {
  let best = null;
  let score = Infinity;
  for (const c of candidates) {
    const s = distance(String(word), c);
    if (s < score) [best, score] = [c, s];
  }
  return score <= Math.max(2, Math.floor(String(word).length / 3)) ? best : null;
}

const quote = (s) => `« ${s} »`;

/** The checker's "expected …" in French where the phrase is known (else left as is). */
const EXPECTED_FR = [
  [/^one of /, 'l’une des valeurs '],
  [/^a valid CSS selector such as /, 'un sélecteur CSS valide comme '],
  [/^true or false$/, 'true ou false'],
  [/^a non-empty string/, 'un texte non vide'],
  [/^a string matching (\S+)/, 'un texte de la forme $1'],
  [/^a string$/, 'un texte entre guillemets'],
  [/^a whole number from (\d+) to (\d+)$/, 'un nombre entier de $1 à $2'],
  [/^a whole number of at least (\d+)$/, 'un nombre entier d’au moins $1'],
  [/^a list of distinct values among /, 'une liste de valeurs distinctes parmi '],
  [/^a non-empty list of /, 'une liste non vide de '],
  [/^at least one entry: /, 'au moins une entrée : '],
  [/^an object such as /, 'un objet comme '],
  [/ such as /, ', comme '],
  [/ \((\w+) needs it\)$/, ' (exigé avec $1)'],
];
const expectedFr = (s) => EXPECTED_FR.reduce((t, [re, fr]) => t.replace(re, fr), s);

/** The checker's sentence, read in plain French: [explanation, path segments]. */
function explain(problem) {
  let m = /^unknown key (\S+); expected/.exec(problem);
  if (m) {
    const segs = segmentsOf(m[1]);
    const key = segs.at(-1);
    const allowed = Object.keys(schemaAt(segs.slice(0, -1))?.properties ?? {});
    const near = closest(key, allowed);
    let fr = `La clé ${quote(pathText(segs))} n’existe pas à cet endroit.`;
    if (near) fr += ` Vouliez-vous dire ${quote(near)} ?`;
    if (allowed.length) fr += ` Clés possibles : ${allowed.join(', ')}.`;
    return [fr, segs];
  }
  m = /^(\S+) is missing; expected (.*)$/.exec(problem);
  if (m) {
    const segs = segmentsOf(m[1]);
    return [`La clé ${quote(pathText(segs))} est obligatoire et manque. Attendu : ${expectedFr(m[2])}.`, segs];
  }
  m = /^the config is (.*?); expected/.exec(problem);
  if (m) return [`La configuration doit être un objet JSON entre accolades { … } avec au moins "fields" ; elle vaut ${m[1]}.`, []];
  m = /^(\S+) (?:is|selector) (.*?); expected (.*)$/.exec(problem);
  if (m) {
    const segs = segmentsOf(m[1]);
    const node = schemaAt(segs);
    let fr = `La valeur de ${quote(pathText(segs))} ne convient pas : ${m[2]}. Attendu : ${expectedFr(m[3])}.`;
    if (segs.at(-1) === 'fields' && /^\{\}$/.test(m[2])) fr = `${quote('fields')} est vide : décrivez au moins un champ, par exemple "email": { "selector": "#email", "type": "email" }.`;
    const enumValues = node?.enum ?? (segs.at(-1) === 'type' && segs[0] === 'fields' ? KINDS : null);
    if (enumValues) {
      let given = m[2];
      try {
        given = JSON.parse(m[2]);
      } catch {
        // a shortened value ("…"): compare as shown
      }
      const near = closest(given, enumValues);
      if (near) fr += ` Vouliez-vous dire "${near}" ?`;
    }
    return [fr, segs];
  }
  return [problem, []];
}

// ---------------------------------------------------------------- status

function setStatus(state, title, fr, en, where, at) {
  status.dataset.state = state;
  $('pg-status-title').textContent = title;
  $('pg-status-fr').textContent = fr ?? '';
  $('pg-status-en').textContent = en ?? '';
  const w = $('pg-status-where');
  w.hidden = !where;
  w.textContent = where ?? '';
  errorAt = at ?? null;
  $('pg-goto').hidden = !at;
  area.setAttribute('aria-invalid', state === 'syntax' || state === 'config' ? 'true' : 'false');
}

function noPreview(reason) {
  handle?.detach();
  handle = null;
  preview.replaceChildren(make('p', { class: 'empty' }, reason));
  $('pg-preview-note').textContent = '';
  $('pg-values').hidden = true;
  snippet.textContent = '';
  copyButton.disabled = true;
}

// ---------------------------------------------------------------- the form

function humanize(name) {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_\-.]+/g, ' ').trim().toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const TOKEN = /^(?:([a-zA-Z][\w-]*)|#([\w-]+)|\.([\w-]+)|\[\s*([\w-]+)\s*(?:([~|^$*]?=)\s*(?:"([^"]*)"|'([^']*)'|([^\]\s"']+))\s*(?:[is]\s*)?)?\])/;

/**
 * Makes the element a compound CSS selector describes (tag, #id, .class,
 * [attr=value]); null when the selector is not one compound (combinators,
 * pseudo-classes): the preview then uses a stand-in selector.
 */
function fromSelector(selector, fallbackTag) {
  let rest = selector.trim();
  const parts = [];
  while (rest) {
    const m = TOKEN.exec(rest);
    if (!m) return null;
    parts.push(m);
    rest = rest.slice(m[0].length);
  }
  const tag = parts[0]?.[1]?.toLowerCase();
  if (tag && !['input', 'select', 'textarea'].includes(tag)) return null;
  const el = document.createElement(tag ?? fallbackTag);
  for (const m of parts) {
    if (m[2]) el.id = m[2];
    else if (m[3]) el.classList.add(m[3]);
    else if (m[4]) {
      const value = m[6] ?? m[7] ?? m[8] ?? '';
      if (m[4].toLowerCase() === 'type' && el instanceof HTMLInputElement && !['text', 'email', 'tel', 'search', 'url', 'number', 'checkbox', 'radio'].includes(value)) return null;
      el.setAttribute(m[4], m[5] === '|=' ? value : value);
    }
  }
  return el;
}

/** A control for a selector: made to match it, else a stand-in (returned selector differs). */
function control(selector, tag, name) {
  let el = null;
  try {
    el = fromSelector(selector, tag);
    if (el && !el.matches(selector)) el = null;
  } catch {
    el = null;
  }
  if (el && !el.hasAttribute('name')) el.name = name;
  if (el) return [el, selector];
  el = document.createElement(tag);
  el.name = name;
  el.dataset.pgStandIn = name;
  return [el, `[data-pg-stand-in="${name}"]`];
}

/** The form the config describes, and the config the preview attaches (stand-in selectors where needed). */
function buildForm(config) {
  const notes = [];
  const formSel = config.form ?? '#signup';
  const form = make('form', { id: /^#[\w-]+$/.test(formSel) ? formSel.slice(1) : 'signup', class: 'pg-form', novalidate: true, lang: config.locale ?? 'fr' });
  const fields = {};
  const hasLabel = Boolean(schemaAt(['fields', '_'])?.properties?.label);
  for (const [name, fc] of Object.entries(config.fields)) {
    const ui = KIND_UI[fc.type] ?? {};
    const [el, selector] = control(fc.selector, ui.tag ?? 'input', name);
    if (selector !== fc.selector) notes.push(`fields.${name}.selector ${JSON.stringify(fc.selector)} : trop complexe pour l’aperçu, remplacé ici ; vérifiez qu’il désigne bien un champ de votre page.`);
    el.dataset.pgField = name;
    if (el instanceof HTMLInputElement && !el.hasAttribute('type') && ui.type) el.type = ui.type;
    if (ui.autocomplete) el.setAttribute('autocomplete', ui.autocomplete);
    if (ui.inputmode) el.setAttribute('inputmode', ui.inputmode);
    if (ui.placeholder && !(el instanceof HTMLSelectElement)) el.placeholder = ui.placeholder;
    if (el instanceof HTMLSelectElement) for (const o of ui.options ?? ['']) el.append(make('option', { value: o }, o));
    if (fc.required) el.required = true;
    const label = make('label', { class: 'pg-field' });
    const text = make('span', { class: 'pg-label' }, (hasLabel && typeof fc.label === 'string' && fc.label) || humanize(name));
    if (fc.required) text.append(make('span', { class: 'pg-req', 'aria-hidden': 'true' }, ' *'));
    text.append(make('span', { class: 'pg-kind' }, ` ${fc.type}`));
    label.append(text, el);
    form.append(label);
    fields[name] = { ...fc, selector };
  }
  const purposes = config.consent?.purposes ?? [];
  if (purposes.length) {
    const box = make('fieldset', { class: 'pg-consents' });
    box.append(make('legend', {}, config.consent.controller?.name ? `Consentements — ${config.consent.controller.name}` : 'Consentements'));
    for (const p of purposes) {
      const [el] = control(p.selector, 'input', `consent_${p.id}`);
      el.type = 'checkbox';
      const label = make('label', { class: 'pg-check' });
      label.append(el, document.createTextNode(` ${p.text ?? p.id}`));
      box.append(label);
    }
    form.append(box);
  }
  form.append(make('button', { type: 'submit' }, 'Envoyer'));
  // Two fields on one element, or a selector that matches an earlier element.
  for (const [name, fc] of Object.entries(fields)) {
    const el = form.querySelector(fc.selector);
    if (el?.dataset.pgField !== name) notes.push(`fields.${name}.selector ${JSON.stringify(fc.selector)} désigne le champ ${el?.dataset.pgField ? `« ${el.dataset.pgField} »` : 'd’un autre élément'} : chaque champ doit avoir son propre sélecteur.`);
  }
  return { form, config: { ...config, fields }, notes };
}

function render(config) {
  // Keep what was typed in the preview across edits.
  const kept = {};
  for (const el of preview.querySelectorAll('[data-pg-field]')) kept[el.dataset.pgField] = el.value;
  handle?.detach();
  handle = null;
  const { form, config: live, notes } = buildForm(config);
  for (const el of form.querySelectorAll('[data-pg-field]')) {
    const v = kept[el.dataset.pgField];
    if (v) el.value = v;
  }
  const values = $('pg-values');
  values.hidden = true;
  form.addEventListener('submit', (e) => {
    e.preventDefault(); // a preview: nowhere to send the data (fiable's gate runs first)
    values.hidden = false;
    values.textContent = `Envoyé — valeurs normalisées :\n${JSON.stringify(current.values(), null, 2)}`;
  });
  preview.replaceChildren(form);
  // A preview records no consent: a sandbox must not write to the consent ledger.
  const current = attach(form, { ...live, consent: undefined });
  handle = current;
  preview.dataset.version = String(++version);
  $('pg-preview-note').textContent = notes.join(' ');
  current.ready.then((ok) => {
    if (handle === current) preview.dataset.ready = String(ok);
  });
}

// ---------------------------------------------------------------- snippet

const attr = (s) => s.replaceAll('&', '&amp;').replaceAll("'", '&#39;');

function snippetFor(config) {
  const json = JSON.stringify(config, null, 2);
  return `<script src="${SCRIPT_SRC}" defer data-form="${attr(config.form ?? '#signup').replaceAll('"', '&quot;')}" data-config='${attr(json)}'></script>`;
}

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    return 'Copié dans le presse-papiers.';
  } catch {
    // no clipboard API (http page, permission): the old way
  }
  const ta = make('textarea', { readonly: true, class: 'offscreen', 'aria-hidden': 'true' });
  ta.value = text;
  document.body.append(ta);
  ta.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  ta.remove();
  if (ok) return 'Copié dans le presse-papiers.';
  // Last resort: select the snippet for Ctrl+C / ⌘C.
  const range = document.createRange();
  range.selectNodeContents(snippet);
  getSelection().removeAllRanges();
  getSelection().addRange(range);
  snippet.focus();
  return 'Copie impossible ici : le texte est sélectionné, faites Ctrl+C (⌘C).';
}

// ---------------------------------------------------------------- the loop

function update() {
  const text = area.value;
  let config;
  try {
    config = JSON.parse(text);
  } catch (e) {
    const at = syntaxOffset(text, e.message);
    const { line, column } = lineCol(text, at);
    const fr = at >= text.trimEnd().length ? syntaxFr('Unexpected end of JSON input') : syntaxFr(e.message);
    setStatus('syntax', `Erreur de syntaxe JSON — ligne ${line}, colonne ${column}`, fr, `${e.message} (line ${line}, column ${column})`, excerpt(text, at), [at, at + 1]);
    noPreview('Corrigez le JSON pour voir le formulaire.');
    return;
  }
  let problem = checkConfig(config);
  if (!problem) {
    // attach() would also refuse a selector that is not CSS: say it here, not in the console.
    for (const [name, f] of Object.entries(config.fields)) {
      try {
        document.createDocumentFragment().querySelector(f.selector);
      } catch {
        problem = `config.fields.${name}.selector is ${JSON.stringify(f.selector)}; expected a valid CSS selector such as "#email"`;
        break;
      }
    }
  }
  if (problem) {
    const [fr, segs] = explain(problem);
    const offsets = keyOffsets(text);
    let at = null;
    for (let n = segs.length; n > 0 && !at; n--) at = offsets.get(pathText(segs.slice(0, n)));
    const where = at ? lineCol(text, at[0]) : null;
    setStatus('config', where ? `Configuration à corriger — ligne ${where.line}` : 'Configuration à corriger', fr, problem, at ? excerpt(text, at[0]) : null, at);
    noPreview('Corrigez la configuration pour voir le formulaire.');
    return;
  }
  const n = Object.keys(config.fields).length;
  setStatus('ok', `Configuration valide — ${n} champ${n > 1 ? 's' : ''}`, 'Le formulaire ci-contre est branché sur fiable : essayez-le.', null, null, null);
  render(config);
  snippet.textContent = snippetFor(config);
  copyButton.disabled = false;
  $('pg-copied').textContent = '';
}

let timer = 0;
area.addEventListener('input', () => {
  status.dataset.state = 'pending';
  clearTimeout(timer);
  timer = setTimeout(update, 300);
});

$('pg-goto').addEventListener('click', () => {
  if (!errorAt) return;
  area.focus();
  area.setSelectionRange(errorAt[0], errorAt[1]);
});
$('pg-format').addEventListener('click', () => {
  try {
    area.value = `${JSON.stringify(JSON.parse(area.value), null, 2)}\n`;
    update();
  } catch {
    area.focus();
  }
});
$('pg-reset').addEventListener('click', () => {
  area.value = DEFAULT;
  update();
});
copyButton.addEventListener('click', async () => {
  $('pg-copied').textContent = await copy(snippet.textContent);
});

area.value = DEFAULT;
update();
// The schema only sharpens the explanations (key suggestions, labels): the page works without it.
fetch('/pkg/fiable.schema.json')
  .then((r) => (r.ok ? r.json() : null))
  .then((s) => {
    schema = s;
    if (status.dataset.state === 'config') update();
  })
  .catch(() => {});
