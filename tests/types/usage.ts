// Compile-only check of pkg/index.d.ts: what a TypeScript user writes.
import {
  init, validate, validateAsync, validateForm, validateFormAsync, formatPhone,
  citiesForPostcode, loadData, chunksFor, version, attach, checkConfig,
  type Verdict, type Kind, type Code, type WidgetConfig, type WidgetHandle, type ConsentEventDetail,
} from 'fiable';

async function main(): Promise<void> {
  await init();
  const v: Verdict = validate('email', 'jean@gmial.com', { locale: 'fr' });
  if (v.status === 'warning' && v.suggestion) console.log(v.suggestion.toUpperCase());
  const phone = await validateAsync('phone', '06 12 34 56 78', { country: 'FR', required: true });
  const type: string | number | boolean | string[] | undefined = phone.details?.type;
  const form: Record<string, Verdict> = validateForm(
    { civ: 'Mme', prenom: 'Jean' },
    { locale: 'fr', fields: { civ: { type: 'civility' }, prenom: { type: 'first_name' } } },
  );
  const later = await validateFormAsync({ email: 'a@b.fr' });
  const kind: Kind = 'birth_date';
  validate(kind, '23/11/1990', { minAge: 15, today: new Date() });
  const cities: string[] = citiesForPostcode('75011').map((c) => `${c.name} ${c.insee}`);
  await loadData(chunksFor('postcode', '75011'));
  console.log(type, form, later, cities, formatPhone('0612', 'FR'), version());
  const config: WidgetConfig = {
    locale: 'fr', country: 'FR', block: ['invalid'],
    messages: { fr: { 'email.domain_typo': 'Peut-être {suggestion} ?' } },
    fields: { email: { selector: '#email', type: 'email', required: true }, tel: { selector: '#tel', type: 'phone', block: ['invalid', 'warning'] } },
  };
  const problem: string | null = checkConfig(JSON.parse('{}'));
  const handle: WidgetHandle = attach('#signup', config);
  const started: boolean = await handle.ready;
  const all: Record<string, Verdict> = await handle.validate();
  const phoneE164: string | undefined = handle.values().tel;
  handle.detach();
  const el = document.querySelector('form');
  if (el) attach(el, { fields: { e: { selector: '[name=email]', type: 'email' } } });
  attach('#signup', {
    lookup: '/',
    fields: {
      street: { selector: '#street', type: 'street', postcode: 'cp', city: 'ville' },
      cp: { selector: '#cp', type: 'postcode' }, ville: { selector: '#ville', type: 'city' },
    },
  });
  const withConsent: WidgetConfig = {
    lookup: '/',
    fields: { email: { selector: '#email', type: 'email' } },
    consent: {
      controller: { name: 'Shop SAS', contact: 'dpo@shop.example' },
      form: { id: 'signup', version: '2026-11' },
      purposes: [{ id: 'newsletter', selector: '#optin' }, { id: 'cgv', selector: '#cgv', legalBasis: 'contract', text: 'CGV' }],
      advisor: { advisorId: 'a1', storeId: 's1', channel: 'phone', apiKey: 'k' },
      subjectData: { email: 'email' },
      retentionDays: 1095,
    },
  };
  attach('#signup', withConsent);
  document.querySelector('form')?.addEventListener('fiable:consent', (e) => {
    const d: ConsentEventDetail = e.detail;
    if (d.status === 'delivered') console.log(d.receipt?.signature.length, d.id);
  });
  // @ts-expect-error: not a channel of advisor mode
  attach('#f', { lookup: '/', fields: {}, consent: { controller: { name: 'a', contact: 'b' }, form: { id: 'f', version: '1' }, purposes: [], advisor: { advisorId: 'a', storeId: 's', channel: 'web', apiKey: 'k' } } });
  // @ts-expect-error: the controller is { name, contact }
  attach('#f', { lookup: '/', fields: {}, consent: { controller: 'Shop', form: { id: 'f', version: '1' }, purposes: [] } });
  // street is a kind of the core (the Kind union is generated from it).
  const street: Verdict = validate('street', '12 rue de la Roquette');
  console.log(street.details);
  console.log(problem, started, all, phoneE164);
  // @ts-expect-error: not a kind
  attach('#f', { fields: { e: { selector: '#e', type: 'emial' } } });
  // @ts-expect-error: a field needs a selector
  attach('#f', { fields: { e: { type: 'email' } } });
  // @ts-expect-error: not a status
  attach('#f', { block: ['error'], fields: {} });
  // @ts-expect-error: not a kind
  validate('emial', 'x');
  const code: Code = v.code;
  if (code === 'email.domain_typo') console.log(code);
  // @ts-expect-error: not a verdict code (a typo a switch on codes would never match)
  if (v.code === 'email.domain_typos') console.log(v);
  // @ts-expect-error: minAge is a number
  validate('birth_date', 'x', { minAge: '15' });
}
void main();
