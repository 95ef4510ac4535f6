// The package's modules import one another without a cycle (static imports
// and the lazy import() calls alike): a cycle makes the evaluation order
// depend on which module a page imports first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';

const dir = new URL('../../pkg/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.js'));

/** pkg/*.js → the pkg/*.js it imports (comments stripped first). */
function graph() {
  const g = new Map();
  for (const f of files) {
    const src = readFileSync(new URL(f, dir), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    const deps = [...src.matchAll(/(?:\bimport\s*(?:[\w${},*\s]+from\s*)?|\bimport\s*\(\s*|\bexport\s*[\w${},*\s]+from\s*)['"]\.\/([\w.-]+\.js)['"]/g)].map((m) => m[1]);
    g.set(f, [...new Set(deps)].filter((d) => files.includes(d)));
  }
  return g;
}

/** Every cycle found by a depth-first walk, as "a.js -> b.js -> a.js". */
function cycles(g) {
  const found = [];
  const state = new Map();
  const stack = [];
  const visit = (n) => {
    state.set(n, 'open');
    stack.push(n);
    for (const d of g.get(n) ?? []) {
      if (state.get(d) === 'open') found.push([...stack.slice(stack.indexOf(d)), d].join(' -> '));
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of g.keys()) if (!state.has(n)) visit(n);
  return found;
}

test('the import graph is read: static and lazy imports both', () => {
  const g = graph();
  assert.ok(g.get('widget.js').includes('gate.js'), 'static import of widget.js');
  assert.ok(g.get('parts.js').includes('lookup.js'), 'lazy import() of parts.js');
  assert.deepEqual(cycles(new Map([['a.js', ['b.js']], ['b.js', ['a.js']]])), ['a.js -> b.js -> a.js']);
});

test('no import cycle between the package modules', () => {
  assert.deepEqual(cycles(graph()), []);
});
