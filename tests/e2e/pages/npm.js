import { attach } from '/pkg/index.js';

window.fiable = { attach };
window.handle = attach('#f', {
  locale: 'fr',
  country: 'FR',
  messages: { fr: { 'email.domain_typo': 'Peut-être {suggestion} ?' } },
  fields: {
    first_name: { selector: '[name=first_name]', type: 'first_name' },
    last_name: { selector: '[name=last_name]', type: 'last_name', required: true },
    phone: { selector: '[name=phone]', type: 'phone' },
    email: { selector: '[name=email]', type: 'email', block: ['invalid', 'warning'] },
  },
});
