// Writes pkg/config.js, the widget config checker, from pkg/fiable.schema.json:
// one small function per schema node, so the page gets the published schema's
// rules without a JSON Schema engine, and the two cannot drift. Run by
// `make pkg`; `--check` fails when the checked-in file is stale (CI, and
// tests/node/config.test.mjs). Knows the keywords the schema uses and
// refuses any other, so a new keyword cannot be silently ignored.
import { readFileSync, writeFileSync } from 'node:fs';

const pkg = new URL('../', import.meta.url);
const schema = JSON.parse(readFileSync(new URL('fiable.schema.json', pkg), 'utf8'));
const ANNOTATIONS = new Set(['$schema', 'title', 'description', 'default', '$defs', 'examples']);
const KEYWORDS = new Set(['$ref', 'type', 'enum', 'pattern', 'minLength', 'minimum', 'maximum', 'properties', 'required',
  'additionalProperties', 'minProperties', 'items', 'minItems', 'uniqueItems', 'dependentRequired']);

const j = (x) => JSON.stringify(x);
const resolve = (node) => (node.$ref ? resolve(node.$ref.split('/').slice(1).reduce((o, k) => o[k], schema)) : node);
const list = (xs) => xs.map(j).join(', ');

/** What a node expects, in words (the end of "… is 3; expected …"). */
function expect(node) {
  const n = resolve(node);
  const such = n.examples ? ` such as ${j(n.examples[0])}` : '';
  if (n.enum) return `one of ${list(n.enum)}`;
  switch (n.type) {
    case 'string': return `${n.pattern ? `a string matching ${n.pattern}` : n.minLength ? 'a non-empty string' : 'a string'}${such}`;
    case 'integer': {
      const range = n.maximum !== undefined ? ` from ${n.minimum} to ${n.maximum}` : n.minimum !== undefined ? ` of at least ${n.minimum}` : '';
      return `a whole number${range}`;
    }
    case 'boolean': return 'true or false';
    case 'array': {
      const items = resolve(n.items);
      const what = items.enum ? `${n.uniqueItems ? 'distinct ' : ''}values among ${list(items.enum)}` : expect(items);
      return `${n.minItems ? 'a non-empty list' : 'a list'} of ${what}${such}`;
    }
    case 'object': {
      if (such) return `an object${such}`;
      if (n.properties) {
        const req = new Set(n.required ?? []);
        return `{ ${Object.keys(n.properties).map((k) => j(k) + (req.has(k) ? '' : '?')).join(', ')} }`;
      }
      const each = `{ "<name>": ${expect(n.additionalProperties)} }`;
      return n.minProperties ? `at least one entry: ${each}` : each;
    }
    default: throw new Error(`gen-config-check: cannot describe ${j(n)}`);
  }
}

/** Generated functions by body (identical nodes share one), in order. */
const bodies = new Map();
/** An "expected …" text, inline: identical functions are one, so each text stands once in the page. */
const text = j;

/** The name of the function checking `node`: (v, p) => null, or the sentence naming what is wrong at path p. */
function gen(node) {
  const n = resolve(node);
  for (const k of Object.keys(n)) {
    if (!KEYWORDS.has(k) && !ANNOTATIONS.has(k)) throw new Error(`gen-config-check: the schema keyword "${k}" is not supported; teach this generator`);
  }
  // Conditions that make v wrong, assuming the ones before held.
  const wrong = [];
  const type = { string: "typeof v != 'string'", integer: '!Number.isInteger(v)', number: "typeof v != 'number'", boolean: "typeof v != 'boolean'", object: '!isObject(v)', array: '!Array.isArray(v)' }[n.type];
  if (n.type && !type) throw new Error(`gen-config-check: type ${n.type}`);
  const OBJECT = new Set(['type', 'properties', 'required', 'additionalProperties', 'minProperties', 'dependentRequired']);
  if (n.type === 'object' && Object.keys(n).some((k) => !OBJECT.has(k) && !ANNOTATIONS.has(k))) throw new Error(`gen-config-check: an object node with ${Object.keys(n)}`);
  if (type) wrong.push(type);
  if (n.enum) wrong.push(`!${j(n.enum)}.includes(v)`);
  if (n.minLength) wrong.push(n.minLength === 1 ? "v === ''" : `[...v].length < ${n.minLength}`);
  if (n.pattern) wrong.push(`!/${n.pattern.replaceAll('/', '\\/')}/u.test(v)`);
  if (n.minimum !== undefined) wrong.push(`v < ${n.minimum}`);
  if (n.maximum !== undefined) wrong.push(`v > ${n.maximum}`);
  if (n.minItems) wrong.push(`v.length < ${n.minItems}`);
  if (n.uniqueItems) wrong.push('new Set(v.map((x) => JSON.stringify(x))).size != v.length');
  if (n.type !== 'object' && (n.properties || n.additionalProperties || n.required)) throw new Error('gen-config-check: object keywords need "type": "object"');
  if (n.type !== 'array' && n.items) throw new Error('gen-config-check: items needs "type": "array"');
  if (n.type === 'string' && (n.minimum !== undefined || n.maximum !== undefined)) throw new Error('gen-config-check: minimum on a string');

  const then = [];
  if (n.type === 'object') {
    // One call to the obj() factory: the key names stand once in the page.
    const props = n.properties ?? {};
    const req = n.required ?? [];
    for (const r of req) {
      // A required key is reported by its own check, which must refuse `undefined`.
      if (!props[r] || !(resolve(props[r]).type || resolve(props[r]).enum)) throw new Error(`gen-config-check: required "${r}" needs a schema with type or enum`);
    }
    const spec = Object.entries(props).map(([k, ps]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : j(k)}: ${gen(ps)}`).join(', ');
    const other = n.additionalProperties === false ? 'false' : n.additionalProperties && n.additionalProperties !== true ? gen(n.additionalProperties) : 'null';
    const deps = Object.entries(n.dependentRequired ?? {}).flatMap(([k, need]) => need.map((r) => `[${j(k)}, ${j(r)}, ${text(`${expect(props[r])} (${k} needs it)`)}]`));
    return named(`obj(${text(expect(n))}, { ${spec} }, ${j(req)}, ${other}, ${n.minProperties ?? 0}${deps.length ? `, [${deps.join(', ')}]` : ''})`);
  }
  if (n.dependentRequired) throw new Error('gen-config-check: dependentRequired needs "type": "object"');
  if (n.type === 'array' && n.items) then.push(`v.reduce((e, x, i) => e || ${gen(n.items)}(x, \`\${p}[\${i}]\`), null)`);
  return named(`(v, p) => ${wrong.length ? `${wrong.join(' || ')} ? bad(v, p, ${text(expect(n))}) : ` : ''}${then.length ? then.join(' || ') : 'null'}`);
}

/** The name of the function `body` defines, after those it calls (children are generated first). */
function named(body) {
  if (!bodies.has(body)) bodies.set(body, `c${bodies.size}`);
  return bodies.get(body);
}

const root = gen(schema);
const out = `// GENERATED by pkg/tools/gen-config-check.mjs from pkg/fiable.schema.json: do not
// edit (change the schema, then \`make pkg\`). The widget config checker: the
// schema's rules as plain functions, no JSON Schema engine in the page.

/** @typedef {(v: any, p: string) => string | null} Check */

const isObject = (/** @type {unknown} */ v) => v !== null && typeof v === 'object' && !Array.isArray(v);
/** A value as the message quotes it (long ones cut). @param {unknown} v */
const show = (v) => {
  const s = JSON.stringify(v);
  return s.length > 60 ? \`\${s.slice(0, 57)}…\` : s;
};
/** @param {unknown} v @param {string} p @param {string} expected */
const bad = (v, p, expected) => \`\${p === 'config' ? 'the config' : p} is \${v === undefined ? 'missing' : show(v)}; expected \${expected}\`;
/**
 * The check of an object node: not an object, or fewer than \`min\` keys, is
 * wrong; then its unknown keys (when \`other\` is false), each known key in
 * the schema's order (\`undefined\` only for those not required), the other
 * keys' values with \`other\`, and the keys that \`deps\` say need another.
 * @param {string} expected @param {Record<string, Check>} known @param {string[]} required
 * @param {Check | false | null} other @param {number} min @param {[string, string, string][]} [deps]
 * @returns {Check}
 */
const obj = (expected, known, required, other, min, deps = []) => (v, p) => {
  if (!isObject(v) || Object.keys(v).length < min) return bad(v, p, expected);
  const names = Object.keys(known); // own keys only: "toString" is no known key
  for (const k of Object.keys(v)) if (!names.includes(k) && other === false) return \`unknown key \${p}.\${k}; expected \${expected}\`;
  for (const k of names) {
    const e = v[k] === undefined && !required.includes(k) ? null : known[k](v[k], \`\${p}.\${k}\`);
    if (e) return e;
  }
  for (const k of Object.keys(v)) {
    const e = names.includes(k) || !other ? null : other(v[k], \`\${p}.\${k}\`);
    if (e) return e;
  }
  for (const [k, r, e] of deps) if (v[k] !== undefined && v[r] === undefined) return bad(undefined, \`\${p}.\${r}\`, e);
  return null;
};

${[...bodies].map(([body, name]) => `/** @type {Check} */\nconst ${name} = ${body};`).join('\n')}

/**
 * Checks a widget config. Returns null when it is good, else one sentence
 * naming the first bad key and the expected shape.
 * @param {unknown} config
 * @returns {string | null}
 */
export const checkConfig = (config) => ${root}(config, 'config');
`;

const target = new URL('config.js', pkg);
if (process.argv.includes('--check')) {
  if (readFileSync(target, 'utf8') !== out) {
    console.error('pkg/config.js is stale: run `node pkg/tools/gen-config-check.mjs` (or `make pkg`) and commit the result');
    process.exit(1);
  }
} else {
  writeFileSync(target, out);
}
