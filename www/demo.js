// Demo of the fiable package: every field checked on input, the whole form
// (with cross-field rules) on submit. The full widget comes as `attach()`.
import { init, validateAsync, validateFormAsync, formatPhone, citiesForPostcode, version } from '/pkg/index.js';

await init();
const form = document.getElementById('signup');
const out = document.getElementById('out');
const locale = document.documentElement.lang;
const country = () => form.elements.country.value || 'FR';

function hint(input, v) {
  let el = input.parentElement.querySelector('.hint');
  if (!el) {
    el = document.createElement('span');
    el.className = 'hint';
    input.parentElement.append(el);
  }
  el.replaceChildren();
  input.dataset.status = v.status;
  if (v.message) el.append(document.createTextNode(v.message + ' '));
  if (v.suggestion) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = v.suggestion;
    // Keep focus in the field: a blur would re-check and replace this button mid-click.
    b.addEventListener('mousedown', (e) => e.preventDefault());
    b.addEventListener('click', () => {
      input.value = v.suggestion;
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    el.append(b);
  }
}

async function check(input) {
  const kind = input.dataset.kind;
  const v = await validateAsync(kind, input.value, { locale, country: kind === 'phone' || kind === 'postcode' ? 'FR' : '' });
  hint(input, v);
  out.textContent = JSON.stringify(v, null, 2);
  if (kind === 'postcode') {
    const list = document.getElementById('cities');
    list.replaceChildren(...citiesForPostcode(input.value).map((c) => Object.assign(document.createElement('option'), { value: c.name })));
  }
}

for (const input of form.querySelectorAll('[data-kind]')) {
  input.addEventListener('input', () => {
    if (input.dataset.kind === 'phone' && !input.value.endsWith(' ')) {
      const f = formatPhone(input.value, 'FR');
      if (f !== input.value && input.selectionStart === input.value.length) input.value = f;
    }
    check(input);
  });
  input.addEventListener('change', () => check(input));
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  const values = Object.fromEntries([...form.querySelectorAll('[data-kind]')].map((i) => [i.name, i.value]));
  const fields = Object.fromEntries([...form.querySelectorAll('[data-kind]')].map((i) => [i.name, { type: i.dataset.kind, required: ['email', 'last_name'].includes(i.name) }]));
  const verdicts = await validateFormAsync(values, { locale, country: 'FR', fields });
  for (const [name, v] of Object.entries(verdicts)) hint(form.elements[name], v);
  out.textContent = JSON.stringify(verdicts, null, 2);
});

document.title += ` ${version()}`;
document.body.dataset.ready = 'true';
