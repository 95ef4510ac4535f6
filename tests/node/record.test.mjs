// validate() decodes the Wasm's verdict record (pkg/api.js fromRecord);
// validateForm() parses JSON. For one field both must give the same object,
// keys in the same order: over the benchmark corpora and values that reach
// every part of a record (suggestion, normalized, text, number, flag and
// list details) and, apart, a separator in the text (the JSON fallback;
// validateForm() replaces separators in values, so it cannot compare).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { validate, validateForm, loadData, chunksFor } from '../../pkg/node.js';

const corpus = (name) => JSON.parse(readFileSync(new URL(`../../bench/corpus/${name}.json`, import.meta.url), 'utf8'));

test('a verdict record decodes to the JSON verdict', async () => {
  const cases = [
    ...corpus('emails').map((e) => ['email', e.v]),
    ...corpus('phones').slice(0, 300).map((p) => ['phone', p.v]),
    ['email', ''], ['email', 'jean@gmial.com'], ['email', 'contact@exemple.fr'], ['email', 'x@yopmail.com'],
    ['email', 'josé@bücher.de'], ['firstName', 'J3an'], ['firstName', 'Jean'],
    ['postcode', '75011'], ['postcode', '7501'], ['birthDate', '31/02/1990'], ['civility', 'Mme'],
  ];
  await loadData([...new Set(cases.flatMap(([k, v]) => chunksFor(k, v, { country: 'FR' })))]);
  for (const [kind, value] of cases) {
    const options = { country: 'FR', locale: 'fr', today: '2026-12-05' };
    const one = validate(kind, value, options);
    const form = validateForm({ [kind]: value }, { locale: 'fr', country: 'FR', today: '2026-12-05', fields: { [kind]: { type: kind } } })[kind];
    // The field is named by kind ("first_name") on its own, by the form's key in a form.
    const { field: a, ...oneRest } = one;
    const { field: b, ...formRest } = form;
    assert.ok(a && b, 'a field name');
    assert.equal(JSON.stringify(oneRest), JSON.stringify(formRest), `${kind} ${JSON.stringify(value)}`);
  }
});

test('a verdict whose text holds a record separator still decodes', () => {
  const v = validate('email', 'a\u001fb@x.fr', { locale: 'en' });
  assert.equal(v.code, 'email.invalid_char');
  assert.equal(v.details.char, '\u001f');
  assert.ok(v.message.includes('\u001f'));
});
