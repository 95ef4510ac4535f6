// The advisor page's own code: fiable attached with attach() (the npm way)
// in advisor mode. The channel (store or phone) is part of the config, so a
// change of channel attaches again. The page carries no API key: the
// advisor types the one `make demo` printed, kept for this tab only
// (sessionStorage); a real advisor page gets it from the staff's login.
import { attach } from '/pkg/index.js';

const form = document.getElementById('customer');
const out = document.getElementById('out');
const receipt = document.getElementById('consent-receipt');

const KEY = 'fiable-advisor-key';
const keyInput = document.getElementById('advisor-key');
const keyHint = document.getElementById('advisor-key-hint');

const config = (channel, apiKey) => ({
  locale: 'fr',
  country: 'FR',
  lookup: '/',
  fields: {
    civility: { selector: '[name=civility]', type: 'civility' },
    first_name: { selector: '[name=first_name]', type: 'first_name', civility: 'civility' },
    last_name: { selector: '[name=last_name]', type: 'last_name', required: true },
    email: { selector: '[name=email]', type: 'email', required: true },
    phone: { selector: '[name=phone]', type: 'phone' },
    postcode: { selector: '[name=postcode]', type: 'postcode' },
  },
  consent: {
    controller: { name: 'Boutique Démo SAS', contact: 'dpo@boutique-demo.example' },
    form: { id: 'advisor-capture', version: '2026-11' },
    retentionDays: 1095,
    // Each button records the wording of its line, as displayed (and read out) at the time.
    purposes: [
      { id: 'email', selector: '#c-email', label: '#w-email' },
      { id: 'sms', selector: '#c-sms', label: '#w-sms' },
      { id: 'postal', selector: '#c-postal', label: '#w-postal' },
    ],
    advisor: {
      advisorId: document.getElementById('advisor-id').textContent,
      storeId: document.getElementById('store-id').textContent,
      channel,
      apiKey,
      // On the phone, the call's first action: does the customer agree to it being recorded?
      // (fiable applies it on the phone channel only; the block is shown there.)
      callRecording: { agree: '#rec-agree', refuse: '#rec-refuse', label: '#w-recording', id: 'call_recording' },
    },
  },
});

let handle = null;
function start() {
  handle?.detach();
  handle = null;
  const apiKey = sessionStorage.getItem(KEY) ?? '';
  keyHint.hidden = apiKey !== '';
  if (!apiKey) return; // nothing is captured without the advisor's key
  // The customer's answers belong to one conversation: a new channel starts over.
  for (const b of form.querySelectorAll('button[aria-pressed]')) b.setAttribute('aria-pressed', 'false');
  const channel = document.querySelector('[name=channel]:checked').value;
  document.getElementById('recording').hidden = channel !== 'phone';
  handle = attach(form, config(channel, apiKey));
  window.fiableHandle = handle;
}
for (const r of document.querySelectorAll('[name=channel]')) r.addEventListener('change', start);
keyInput.value = sessionStorage.getItem(KEY) ?? '';
keyInput.addEventListener('change', () => {
  sessionStorage.setItem(KEY, keyInput.value.trim());
  start();
});
start();

form.addEventListener('fiable:consent', (e) => {
  const { status, id, error } = e.detail;
  receipt.hidden = false;
  receipt.dataset.status = status;
  receipt.textContent = status === 'delivered' ? `Consentements enregistrés. Reçu n° ${id}`
    : status === 'queued' && error ? `Clé conseiller refusée par le service (${error.code ?? 'accès refusé'}) : les consentements restent en attente (enregistrement n° ${id}) et partiront avec une clé valide.`
    : status === 'queued' ? `Consentements en attente d'envoi (enregistrement n° ${id}) : ils partiront dès que le service répondra.`
    : 'Consentements refusés par le service : voir la console.';
});

form.addEventListener('submit', (e) => {
  e.preventDefault(); // a demo: no customer database behind it
  out.textContent = `submit #customer\n${JSON.stringify(Object.fromEntries(new FormData(form)), null, 2)}`;
  form.dataset.submitted = String(Number(form.dataset.submitted ?? 0) + 1);
});
