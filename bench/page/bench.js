// Runs in the page (bench/page/bench.html): every contender in the same page,
// rounds interleaved so that machine noise hits all of them alike.
// window.runBench(config) → raw numbers; run.mjs turns them into tables.
import * as raw from '/pkg/dist/fiable_wasm.js';
import { init, validate, formatPhone, version, chunksFor, loadData } from '/pkg/index.js';

const MAX = globalThis.peers_max;
const MIN = globalThis.peers_min;
const POSTCODE_RE = globalThis.POSTCODE_RE;

// mailcheck as a French site would set it up: its defaults plus the French providers.
const FR_DOMAINS = [...MAX.mailcheck.defaultDomains, 'gmail.com', 'hotmail.fr', 'orange.fr', 'yahoo.fr', 'wanadoo.fr',
  'free.fr', 'laposte.net', 'outlook.fr', 'sfr.fr', 'live.fr', 'neuf.fr', 'outlook.com', 'hotmail.com', 'icloud.com',
  'bbox.fr', 'gmx.fr', 'aol.fr', 'numericable.fr', 'club-internet.fr', 'aliceadsl.fr'];

async function corpus(name) {
  const res = await fetch(`/corpus/${name}.json`);
  return res.json();
}

const now = () => performance.now();
const pause = () => new Promise((ok) => setTimeout(ok, 0));

// Each contender is (lo, hi) => number of calls made, over items lo..hi of its
// list. Warm-up, then `rounds` rounds; inside a round the list is cut in
// slices and the contenders take turns slice by slice (rotating who goes
// first), so that load from other processes on a shared machine falls on all
// of them alike. ns per call for every round.
async function measure(contenders, n, { rounds, warmupMs, maxMs, slices = 16 }) {
  const names = Object.keys(contenders);
  const fns = names.map((k) => contenders[k]);
  const ns = Object.fromEntries(names.map((k) => [k, []]));
  for (const fn of fns) {
    const t0 = now();
    do fn(0, n); while (now() - t0 < warmupMs);
  }
  const step = Math.ceil(n / slices);
  const start = now();
  for (let r = 0; r < rounds; r++) {
    const ms = fns.map(() => 0), calls = fns.map(() => 0);
    for (let lo = 0, s = 0; lo < n; lo += step, s++) {
      const hi = Math.min(n, lo + step);
      for (let j = 0; j < fns.length; j++) {
        const i = (j + r + s) % fns.length;
        const t0 = now();
        calls[i] += fns[i](lo, hi);
        ms[i] += now() - t0;
      }
    }
    names.forEach((k, i) => ns[k].push((ms[i] * 1e6) / calls[i]));
    await pause();
    if (r >= 4 && now() - start > maxMs) break; // bounded: at least 5 rounds
  }
  return ns;
}

// A contender over a list: body(item) for items lo..hi (`reps` times over, for
// calls so short that one slice would sit near the timer's resolution).
const over = (list, body, reps = 1) => (lo, hi) => {
  for (let k = 0; k < reps; k++) for (let i = lo; i < hi; i++) body(list[i]);
  return (hi - lo) * reps;
};

const TODAY = 20261123; // any fixed date: no age rule is timed
let sink = 0; // results are used, so no engine can drop the calls

window.runBench = async function runBench(cfg) {
  const t00 = now();
  await init();
  const [emails, phones, postcodes] = await Promise.all(['emails', 'phones', 'postcodes'].map(corpus));
  const E = emails.map((e) => e.v);
  const P = phones.map((p) => [p.v, p.country]);
  const PC = postcodes.map((p) => [p.v, p.country]);
  // Every prefix of every phone number, as typed key by key.
  const PREFIX = [];
  for (const [v, c] of P) for (let i = 1; i <= v.length; i++) PREFIX.push([v.slice(0, i), c]);
  const cb = (x) => x;
  // The data chunks the corpus needs (French communes for postcodes), loaded up
  // front as a page does with validateAsync: the timed calls are the warm path.
  // chunksFor() takes no country: it asks for "communes-00" for Italy's "00740",
  // which does not exist; only French postcodes are asked, each chunk on its own.
  const need = new Set();
  for (const [kind, list] of [['email', E], ['postcode', PC.filter((p) => p[1] === 'FR').map((p) => p[0])]])
    for (const v of list) for (const c of chunksFor(kind, v)) need.add(c);
  // Phone metadata comes per calling code ("phone-33"): the number's, and
  // its default country's for a national number.
  for (const [v, c] of P) for (const ch of chunksFor('phone', v, c ? { country: c } : {})) need.add(ch);
  const chunkErrors = [];
  await Promise.all([...need].map((c) => loadData([c]).catch((e) => chunkErrors.push(`${c}: ${e.message}`))));

  const out = { fiableVersion: version(), userAgent: navigator.userAgent, crossOriginIsolated: self.crossOriginIsolated, corpus: {
    emails: E.length, phones: P.length, asYouTypeCalls: PREFIX.length, postcodes: PC.length, chunksLoaded: [...need].sort(), chunkErrors }, timings: {} };
  const T = out.timings;
  // The raw export takes a kind and a locale index (what validate() caches) and
  // the country as its two char codes.
  const K = { email: raw.kindIndex('email'), phone: raw.kindIndex('phone'), postcode: raw.kindIndex('postcode') };
  const FR = raw.localeIndex('fr');
  const cc = (c) => (c ? (c.charCodeAt(0) << 8) | c.charCodeAt(1) : 0);

  T.email = await measure({
    fiable: over(E, (v) => { if (validate('email', v).suggestion) sink++; }),
    'fiable raw export (diagnostic: no wrapper, no decoding)': over(E, (v) => { sink += raw.check(K.email, v, FR, 0, 0, false, TODAY).length; }),
    'validator.isEmail + mailcheck': over(E, (v) => {
        if (MAX.isEmail(v)) sink++;
        MAX.mailcheck.run({ email: v, domains: FR_DOMAINS, suggested: cb, empty: cb });
      }),
  }, E.length, cfg);

  T.phone = await measure({
    fiable: over(P, ([v, c]) => { if (validate('phone', v, { country: c }).status === 'valid') sink++; }),
    'fiable raw export (diagnostic: no wrapper, no decoding)': over(P, ([v, c]) => { sink += raw.check(K.phone, v, FR, cc(c), 0, false, TODAY).length; }),
    'libphonenumber-js max': over(P, ([v, c]) => {
        const n = MAX.parsePhoneNumberFromString(v, c || undefined);
        if (n && n.isValid() && n.getType()) sink++;
      }),
    'libphonenumber-js min (type unreliable)': over(P, ([v, c]) => {
        const n = MIN.parsePhoneNumberFromString(v, c || undefined);
        if (n && n.isValid() && n.getType()) sink++;
      }),
  }, P.length, cfg);

  T.asYouType = await measure({
    fiable: over(PREFIX, ([v, c]) => { sink += formatPhone(v, c).length; }),
    'libphonenumber-js max': over(PREFIX, ([v, c]) => { sink += new MAX.AsYouType(c || undefined).input(v).length; }),
    'libphonenumber-js min': over(PREFIX, ([v, c]) => { sink += new MIN.AsYouType(c || undefined).input(v).length; }),
  }, PREFIX.length, { ...cfg, rounds: Math.max(5, Math.ceil(cfg.rounds / 2)) });

  T.postcode = await measure({
    fiable: over(PC, ([v, c]) => { if (validate('postcode', v, { country: c }).status === 'valid') sink++; }),
    'fiable raw export (diagnostic: no wrapper, no decoding)': over(PC, ([v, c]) => { sink += raw.check(K.postcode, v, FR, cc(c), 0, false, TODAY).length; }),
    'fiable raw export, no country (diagnostic)': over(PC, ([v]) => { sink += raw.check(K.postcode, v, FR, 0, 0, false, TODAY).length; }),
    'Wasm call floor: version() (diagnostic)': over(PC, () => { sink += raw.version().length; }, 10),
    'regex table (Google address metadata)': over(PC, ([v, c]) => {
        const re = POSTCODE_RE[c];
        if (!re || re.test(v.trim())) sink++;
      }, 50),
  }, PC.length, cfg);

  out.agreement = agreement(emails, phones, postcodes);
  out.sink = sink;
  out.pageMs = now() - t00;
  return out;
};

// Same corpus, what each side answers.
function agreement(emails, phones, postcodes) {
  const lc = (s) => (s ?? '').toLowerCase();
  // Email: typos fixed, wrong suggestions on real domains.
  const mc = (v, domains) => MAX.mailcheck.run({ email: v, domains, suggested: (r) => r.full, empty: () => null });
  const email = { typos: 0, correct: 0, samples: { fiableMissed: [], mailcheckWrongOnCorrect: [], fiableWrongOnCorrect: [], fiableInvalidOnCorrect: [] } };
  const sides = { fiable: {}, 'mailcheck (defaults + FR domains)': {}, 'mailcheck (defaults)': {} };
  for (const s of Object.values(sides)) Object.assign(s, { fixed: 0, wrongFix: 0, missed: 0, suggestedOnCorrect: 0 });
  const byCat = {};
  for (const e of emails) {
    const f = validate('email', e.v);
    const sug = {
      fiable: f.suggestion ?? null,
      'mailcheck (defaults + FR domains)': mc(e.v, FR_DOMAINS),
      'mailcheck (defaults)': mc(e.v, undefined),
    };
    const c = (byCat[e.cat] ??= { n: 0, fiableValid: 0, fiableWarning: 0, fiableInvalid: 0, isEmailTrue: 0 });
    c.n++;
    c[{ valid: 'fiableValid', warning: 'fiableWarning', invalid: 'fiableInvalid' }[f.status] ?? 'fiableValid']++;
    if (MAX.isEmail(e.v)) c.isEmailTrue++;
    if (e.cat === 'typo') {
      email.typos++;
      for (const [k, s] of Object.entries(sug)) {
        if (!s) sides[k].missed++;
        else if (lc(s) === lc(e.expect)) sides[k].fixed++;
        else sides[k].wrongFix++;
      }
      if (lc(sug.fiable) !== lc(e.expect) && email.samples.fiableMissed.length < 25) email.samples.fiableMissed.push([e.v, sug.fiable]);
    } else if (e.cat === 'ok') {
      email.correct++;
      for (const [k, s] of Object.entries(sug)) if (s) sides[k].suggestedOnCorrect++;
      const m = sug['mailcheck (defaults + FR domains)'];
      if (m && email.samples.mailcheckWrongOnCorrect.length < 25) email.samples.mailcheckWrongOnCorrect.push([e.v, m]);
      if (sug.fiable && email.samples.fiableWrongOnCorrect.length < 25) email.samples.fiableWrongOnCorrect.push([e.v, sug.fiable]);
      if (f.status === 'invalid' && email.samples.fiableInvalidOnCorrect.length < 25) email.samples.fiableInvalidOnCorrect.push([e.v, f.code]);
    }
  }
  email.sides = sides;
  email.byCategory = byCat;

  // Phone: valid/invalid and type, fiable vs libphonenumber-js (max; min for validity).
  const phone = { n: phones.length, validAgree: 0, bothValid: 0, onlyFiable: 0, onlyLib: 0, bothInvalid: 0,
    typeCompared: 0, typeAgree: 0, minValidAgreeWithMax: 0, samples: { onlyFiable: [], onlyLib: [], typeDiff: [] } };
  const T = (t) => (t ?? '').toLowerCase();
  for (const p of phones) {
    const f = validate('phone', p.v, { country: p.country });
    const fv = f.status !== 'invalid' && f.code !== 'field.empty' && !!f.normalized;
    const n = MAX.parsePhoneNumberFromString(p.v, p.country || undefined);
    const lv = !!(n && n.isValid());
    const m = MIN.parsePhoneNumberFromString(p.v, p.country || undefined);
    if (!!(m && m.isValid()) === lv) phone.minValidAgreeWithMax++;
    const row = [p.v, p.country, f.code, f.normalized ?? null, n?.number ?? null, lv];
    if (fv === lv) phone.validAgree++;
    if (fv && lv) {
      phone.bothValid++;
      phone.typeCompared++;
      const ft = T(f.details?.type), lt = T(n.getType());
      if (ft === lt) phone.typeAgree++;
      else if (phone.samples.typeDiff.length < 25) phone.samples.typeDiff.push([p.v, p.country, ft, lt]);
    } else if (fv) {
      phone.onlyFiable++;
      if (phone.samples.onlyFiable.length < 25) phone.samples.onlyFiable.push(row);
    } else if (lv) {
      phone.onlyLib++;
      if (phone.samples.onlyLib.length < 25) phone.samples.onlyLib.push(row);
    } else phone.bothInvalid++;
  }

  // Postcode: fiable vs the regex table.
  const postcode = { n: postcodes.length, agree: 0, onlyFiable: 0, onlyRegex: 0, fiableStatus: {}, chunkMissing: 0, samples: [] };
  for (const p of postcodes) {
    const fv = validate('postcode', p.v, { country: p.country });
    postcode.fiableStatus[fv.status] = (postcode.fiableStatus[fv.status] ?? 0) + 1;
    if (fv.details?.chunk) postcode.chunkMissing++;
    const f = fv.status !== 'invalid';
    const re = POSTCODE_RE[p.country];
    const r = !re || re.test(p.v.trim());
    if (f === r) postcode.agree++;
    else {
      if (f) postcode.onlyFiable++;
      else postcode.onlyRegex++;
      if (postcode.samples.length < 25) postcode.samples.push([p.v, p.country, fv.code, r]);
    }
  }
  return { email, phone, postcode };
}
