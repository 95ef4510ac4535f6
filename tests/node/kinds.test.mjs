// The npm API loads the full Wasm module (every kind): after init(),
// validate() and validateForm() check each kind at once, synchronously;
// none answers the eager module's `pending` (only the script tag starts
// with that one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS } from '../../pkg/defs.js';
import { init, validate, validateForm } from '../../pkg/node.js';

const VALUES = {
  email: 'jean@gmail.com', phone: '06 12 34 56 78', postcode: '75001', city: 'Paris', first_name: 'Jean',
  last_name: 'Dupont', civility: 'M.', birth_date: '23/11/1990', country: 'France', street: '12 rue de la Paix',
};
const OPTIONS = { locale: 'fr', country: 'FR', today: '2026-12-05' };

test('after init(), validate() checks every kind', async () => {
  await init();
  assert.deepEqual(Object.keys(VALUES).sort(), [...KINDS].sort(), 'a value for each kind');
  for (const kind of KINDS) {
    const v = validate(kind, VALUES[kind], OPTIONS);
    assert.equal(v.status, 'valid', `${kind}: ${JSON.stringify(v)}`);
  }
  // And the wrong values too: a verdict of the kind's own check.
  assert.equal(validate('birth_date', '31/02/1990', OPTIONS).code, 'birth_date.impossible');
  assert.equal(validate('postcode', '75999', OPTIONS).code, 'postcode.unknown');
  assert.equal(validate('street', '12', OPTIONS).code.split('.')[0], 'street');
});

test('after init(), validateForm() checks every kind with the cross-field rules', async () => {
  await init();
  const form = validateForm(VALUES, OPTIONS);
  for (const kind of KINDS) assert.equal(form[kind].status, 'valid', `${kind}: ${JSON.stringify(form[kind])}`);
  const mismatch = validateForm({ ...VALUES, city: 'Lyon' }, OPTIONS);
  assert.equal(mismatch.city.code, 'city.postcode_mismatch');
});
