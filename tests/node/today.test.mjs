// validate() reads the clock only for a check that needs the date (a birth
// date's age), and a new day is seen as soon as the clock says so. The clock
// is Date.now(), replaced here: no real time is waited for or asserted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validate, validateForm } from '../../pkg/node.js';

const realNow = Date.now;
const at = (ms) => { Date.now = () => ms; };
test.afterEach(() => { Date.now = realNow; });

test('a phone, an email, a postcode check never read the clock', () => {
  Date.now = () => { throw new Error('the clock was read'); };
  assert.equal(validate('phone', '06 12 34 56 78', { country: 'FR' }).status, 'valid');
  assert.equal(validate('email', 'jean@gmail.com').status, 'valid');
  assert.equal(validate('postcode', '75011', { country: 'FR', locale: 'en' }).status, 'valid');
  // A date given is used as it is.
  assert.equal(validate('birthDate', '15/03/2000', { today: '2026-12-05' }).details.age, 26);
});

test('a birth date without a date is checked on today, and the next day as soon as it comes', () => {
  at(new Date(2031, 2, 14, 23, 59).getTime());
  assert.equal(validate('birthDate', '15/03/2000').details.age, 30);
  assert.equal(validate('birthDate', '15/03/2000', { country: 'FR' }).details.age, 30);
  at(new Date(2031, 2, 15, 0, 1).getTime());
  assert.equal(validate('birthDate', '15/03/2000').details.age, 31);
  assert.equal(validateForm({ birthDate: '15/03/2000' }).birthDate.details.age, 31);
  at(new Date(2031, 2, 16, 12, 0).getTime());
  assert.equal(validate('birthDate', '16/03/2031').status, 'valid');
  assert.equal(validate('birthDate', '17/03/2031').code, 'birth_date.future');
});
