// The docs page: the examples are set as text (CSP: no inline code, no
// innerHTML), the verdicts are computed live by the package, and the config
// reference is generated from pkg/fiable.schema.json at load: one row per
// key, nested keys (fields.<name>.type, consent.purposes[].id) included.
import { init, validate, validateForm, loadData, chunksFor } from '/pkg/index.js';

const $ = (id) => document.getElementById(id);
const SRC = new URL('/pkg/dist/fiable.js', location.href).href;

$('doc-script').textContent = `<form id="signup"> … </form>
<script src="${SRC}" defer data-form="#signup" data-config='{
  "locale": "fr",
  "country": "FR",
  "fields": {
    "email":     { "selector": "#email", "type": "email", "required": true },
    "phone":     { "selector": "#tel", "type": "phone" },
    "civility":  { "selector": "[name=civ]", "type": "civility" },
    "firstName": { "selector": "#prenom", "type": "first_name", "civility": "civility" }
  }
}'></script>`;

$('doc-script-json').textContent = `<script src="${SRC}" defer></script>
<script type="application/json" data-fiable data-form="#newsletter">
  { "locale": "en", "fields": { "email": { "selector": "[name=email]", "type": "email" } } }
</script>`;

$('doc-npm').textContent = `npm install fiable

import { attach } from 'fiable';
import 'fiable/fiable.css';

const handle = attach('#signup', {
  locale: 'fr',
  fields: {
    email: { selector: '#email', type: 'email', required: true },
    phone: { selector: '#tel', type: 'phone', country: 'FR' },
  },
});
await handle.ready;        // true: the checks run
handle.values();           // { email: '…', phone: '+33612345678' }
handle.detach();           // e.g. when a SPA unmounts the form`;

const EXAMPLES = [
  ['email', 'jean@gmial.com', { locale: 'fr' }],
  ['phone', '0612345678', { country: 'FR' }],
];
$('doc-validate').textContent = `import { init, validate, validateForm, formatPhone } from 'fiable';
await init();              // browser: loads the Wasm once (Node: nothing to wait for)
await loadData(['email-domains', 'phone-33']); // browser: the data these checks use (validateAsync does it for you)

${EXAMPLES.map(([k, v, o]) => `validate(${JSON.stringify(k)}, ${JSON.stringify(v)}, ${JSON.stringify(o).replace(/"(\w+)":/g, '$1: ')})`).join('\n')}
validateForm({ email: 'jean@', phone: '06 12' }, { locale: 'fr', fields: { email: { type: 'email' }, phone: { type: 'phone', country: 'FR' } } })
formatPhone('0612345678', 'FR')   // "06 12 34 56 78"`;

init().then(async () => {
    await loadData(EXAMPLES.flatMap(([k, v, o]) => chunksFor(k, v, o)));
    const lines = EXAMPLES.map(([k, v, o]) => `validate(${JSON.stringify(k)}, ${JSON.stringify(v)}, …) →\n${JSON.stringify(validate(k, v, o), null, 2)}`);
    const form = validateForm({ email: 'jean@', phone: '06 12' }, { locale: 'fr', fields: { email: { type: 'email' }, phone: { type: 'phone', country: 'FR' } } });
    lines.push(`validateForm(…) →\n${JSON.stringify(form, null, 2)}`);
    $('doc-live').textContent = lines.join('\n\n');
  },
  (e) => {
    $('doc-live').textContent = `Le module WebAssembly n'a pas pu se charger ici (${e}).`;
  },
);

// ---------------------------------------------------------------- reference

function make(tag, props = {}, text) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) if (v !== undefined) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

const code = (text) => make('code', {}, text);

/**
 * Walks the schema into rows: { path, node, required, top, condition }.
 * $ref is followed (the referring node's own keywords win), maps become
 * "<name>" segments, lists "[]", and if/then branches (per-type options,
 * should the schema grow them) are listed with their condition.
 */
function rowsOf(schema) {
  const resolve = (node, seen = new Set()) => {
    if (!node || !node.$ref || seen.has(node.$ref)) return node ?? {};
    seen.add(node.$ref);
    const target = node.$ref.replace(/^#\//, '').split('/').reduce((o, k) => o?.[k], schema);
    const { $ref, ...own } = node;
    const base = resolve(target, seen);
    return { ...base, ...own, description: own.description ?? base.description };
  };
  const rows = [];
  const walk = (raw, path, required, top, condition) => {
    const node = resolve(raw);
    if (path) rows.push({ path, node, required, top, condition });
    const req = new Set(node.required ?? []);
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      walk(child, path ? `${path}.${key}` : key, req.has(key), !path, condition);
    }
    const more = node.additionalProperties;
    if (more && typeof more === 'object') {
      const name = path === 'fields' ? '<name>' : path === 'messages' ? '<locale>' : path.endsWith('>') && path.startsWith('messages') ? '<code>' : '<key>';
      walk(more, `${path}.${name}`, false, false, condition);
    }
    const items = node.items ? resolve(node.items) : null;
    if (items && (items.properties || items.additionalProperties)) walk(items, `${path}[]`, false, false, condition);
    for (const part of [...(node.allOf ?? []), node].filter((p) => p.if && p.then)) {
      const cond = Object.entries(part.if.properties ?? {})
        .map(([k, v]) => `${k} ${v.const !== undefined ? `= ${JSON.stringify(v.const)}` : v.enum ? `∈ ${v.enum.map((e) => JSON.stringify(e)).join(', ')}` : ''}`)
        .join(', ');
      const thenNode = resolve(part.then);
      for (const [key, child] of Object.entries(thenNode.properties ?? {})) {
        walk(child, `${path}.${key}`, (thenNode.required ?? []).includes(key), false, cond);
      }
    }
  };
  walk(schema, '', false, false, null);
  return rows;
}

function typeOf(node) {
  if (node.enum) return 'enum';
  if (node.const !== undefined) return 'const';
  if (node.type === 'array') {
    const items = node.items ?? {};
    return `array of ${items.type ?? (items.enum ? 'enum' : items.properties ? 'object' : 'any')}`;
  }
  if (node.type === 'object' && node.additionalProperties && typeof node.additionalProperties === 'object' && !node.properties) {
    return `map (object of ${node.additionalProperties.type ?? 'object'})`;
  }
  return [].concat(node.type ?? 'any').join(' | ');
}

function constraints(node) {
  const out = [];
  const values = node.enum ?? node.items?.enum;
  if (node.uniqueItems) out.push('distinct values');
  if (node.pattern) out.push(`pattern ${node.pattern}`);
  if (node.minLength === 1) out.push('non-empty');
  else if (node.minLength !== undefined) out.push(`at least ${node.minLength} characters`);
  if (node.minimum !== undefined || node.maximum !== undefined) out.push(`${node.minimum ?? '−∞'} to ${node.maximum ?? '∞'}`);
  if (node.minProperties) out.push(`at least ${node.minProperties} entr${node.minProperties > 1 ? 'ies' : 'y'}`);
  if (node.additionalProperties === false && node.properties) out.push('no other keys');
  return { values, notes: out };
}

function renderReference(schema) {
  $('doc-schema-desc').textContent = [schema.title, schema.description].filter(Boolean).join(' — ');
  const table = make('table', { id: 'doc-config-table' });
  const head = make('tr');
  for (const h of ['Key', 'Type', 'Values / constraints', 'Default', 'Description']) head.append(make('th', { scope: 'col' }, h));
  table.append(make('thead'));
  table.tHead.append(head);
  const body = make('tbody');
  for (const { path, node, required, top, condition } of rowsOf(schema)) {
    const tr = make('tr', { 'data-key': path, class: top ? 'top' : 'nested' });
    if (top) tr.id = `config-${path}`;
    const key = make('td', { class: 'key' });
    key.append(code(path));
    if (required) key.append(make('span', { class: 'req' }, ' required'));
    if (condition) key.append(make('div', { class: 'muted' }, `when ${condition}`));
    const { values, notes } = constraints(node);
    const vals = make('td', { class: 'values' });
    if (values) for (const v of values) vals.append(code(JSON.stringify(v)), document.createTextNode(' '));
    if (notes.length) vals.append(make('div', { class: 'muted' }, notes.join('; ')));
    const def = make('td');
    if (node.default !== undefined) def.append(code(JSON.stringify(node.default)));
    else def.append(make('span', { class: 'muted' }, '—'));
    tr.append(key, make('td', {}, typeOf(node)), vals, def, make('td', {}, node.description ?? ''));
    body.append(tr);
  }
  table.append(body);
  const ref = $('doc-reference');
  ref.replaceChildren(table);
  ref.dataset.state = 'ready';
}

fetch('/pkg/fiable.schema.json')
  .then((r) => {
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    return r.json();
  })
  .then(renderReference)
  .catch((e) => {
    const ref = $('doc-reference');
    ref.replaceChildren(make('p', {}, `Le schéma n'a pas pu être chargé (${e.message}) : voir pkg/fiable.schema.json.`));
    ref.dataset.state = 'error';
  });
