//! Address search: streets first, then the house number on each street.
//!
//! 1. Each query word is resolved against the vocabulary: the exact
//!    canonical token, tokens it is a prefix of (last word only, as the
//!    person is still typing), and tokens within 1 typo (≥ 4 letters) or
//!    2 typos (≥ 8 letters) through the deletion index.
//! 2. Candidate streets come from the sets of streets each naming word,
//!    the typed postcode and the filters allow (see [`super::candidates`]:
//!    small sets whole, larger ones through their intersections).
//! 3. Each candidate is scored on how well the query words match its
//!    name (and its commune name), and how much of its name is covered.
//! 4. Ranking: real streets before pseudo-streets named by a number or a
//!    code ("180Z1 Rue de la Roquette", unless that code was typed), then
//!    match quality (to 0.05), then "the typed number exists on this
//!    street", then importance (commune size, street size).
//!
//! A typed house number is never dropped or replaced silently: when the
//! street lacks it, the closest number is returned and flagged
//! `number_match: "closest"` with the number that was asked for.

use std::ops::Range;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::candidates::{self, TermSet};
use super::index::{Index, Street, order_key};
use super::normalize::{self, TokenClass};
use super::query::{Query, Term};

/// Largest number of results.
pub const MAX_LIMIT: usize = 20;
/// Streets whose house numbers may be looked up for one query (the head of
/// the ranking; usually a few are, see [`search`]).
const MAX_NUMBER_LOOKUPS: usize = 200;
/// Candidate streets scored at most for one query.
pub const MAX_SCORED: usize = 4_000;
/// Typo variants kept per word.
const MAX_FUZZY: usize = 64;

/// Restrictions on where to search.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    /// Only this postcode.
    pub postcode: Option<String>,
    /// Only this INSEE commune code.
    pub citycode: Option<String>,
}

/// How the house number of a result relates to the typed one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberMatch {
    /// The typed number (and repetition index) exists on this street.
    Exact,
    /// It does not: this is the closest number on the street.
    Closest,
    /// The street has no house numbers at all.
    NoNumbers,
}

/// One search result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Hit {
    /// Display label: "12 Rue de la Roquette 75011 Paris".
    pub label: String,
    /// `housenumber` or `street`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Match quality in 0..=1 (street name only, not the number).
    pub score: f32,
    /// BAN id of the house number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// House number with its repetition index: "12 bis".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub housenumber: Option<String>,
    /// Whether the typed number was found (only when one was typed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_match: Option<NumberMatch>,
    /// The number that was typed, when it was not found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_housenumber: Option<String>,
    /// Street name.
    pub street: String,
    /// Postcode.
    pub postcode: String,
    /// INSEE commune code.
    pub citycode: String,
    /// Commune ("Paris").
    pub city: String,
    /// District for Paris, Lyon, Marseille ("Paris 11e Arrondissement").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    /// Longitude (WGS84).
    pub lon: f64,
    /// Latitude (WGS84).
    pub lat: f64,
}

/// A query word resolved against the vocabulary.
struct Resolved {
    weight: f32,
    class: TokenClass,
    exact: Vec<u32>,
    prefix: Option<Range<u32>>,
    fuzzy: Vec<(u32, f32)>,
}

impl Resolved {
    /// The tokens this word matches: single tokens, then the prefix range.
    /// A naming word's typo variant that is a street type or a stop word
    /// ("roue" → "rue", "route") is left out: it names no street, and its
    /// postings are the longest of the index (scoring still credits it).
    fn token_ranges(&self, idx: &Index) -> Vec<Range<u32>> {
        let naming = |t: &u32| self.class != TokenClass::Word || idx.token_class(*t) == TokenClass::Word;
        let singles = self.exact.iter().copied().chain(self.fuzzy.iter().map(|(t, _)| *t).filter(naming));
        singles.map(|t| t..t + 1).chain(self.prefix.clone()).collect()
    }
}

fn resolve(idx: &Index, term: &Term) -> Resolved {
    let mut exact = Vec::new();
    if let Some(t) = idx.find_token(&term.canon) {
        exact.push(t);
    }
    if term.text != term.canon {
        if let Some(t) = idx.find_token(&term.text) {
            exact.push(t);
        }
    }
    let prefix = term.prefix.then(|| idx.prefix_range(&term.text)).filter(|r| !r.is_empty());
    let mut fuzzy: Vec<(u32, f32)> = Vec::new();
    let allowed = normalize::allowed_typos(&term.text);
    if allowed > 0 && !normalize::is_abbreviation(&term.text) {
        let mut keys = vec![term.text.clone()];
        let d1 = normalize::deletes1(&term.text);
        if allowed >= 2 {
            for d in &d1 {
                keys.extend(normalize::deletes1(d));
            }
        }
        keys.extend(d1);
        keys.sort_unstable();
        keys.dedup();
        'outer: for k in &keys {
            for t in idx.fuzzy(normalize::hash32(k.as_bytes())) {
                if exact.contains(&t) || fuzzy.iter().any(|(f, _)| *f == t) {
                    continue;
                }
                let d = normalize::edit_distance(&term.text, idx.token(t), allowed);
                if d >= 1 && d <= allowed {
                    fuzzy.push((t, 1.0 - 0.2 * d as f32));
                    if fuzzy.len() >= MAX_FUZZY {
                        break 'outer;
                    }
                }
            }
        }
    }
    Resolved { weight: term.class.weight(), class: term.class, exact, prefix, fuzzy }
}

/// Which localities the filters allow (`None` = all).
fn allowed_localities(idx: &Index, f: &Filters) -> Option<Vec<u32>> {
    let mut set: Option<Vec<u32>> = None;
    if let Some(pc) = &f.postcode {
        set = Some(idx.localities_for_postcode(pc));
    }
    if let Some(cc) = &f.citycode {
        let r = idx.localities_for_insee(cc);
        set = Some(match set {
            Some(s) => s.into_iter().filter(|l| r.contains(l)).collect(),
            None => r.collect(),
        });
    }
    if let Some(s) = set.as_mut() {
        s.sort_unstable();
    }
    set
}

#[derive(Clone, Copy)]
struct Scored {
    street: u32,
    score: f32,
    importance: f32,
    /// Named by a number or a code (ranked after real streets).
    pseudo: bool,
}

/// Where the time of one search went (for profiling: `examples/slowest.rs`).
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// Resolving the words against the vocabulary (typos, prefixes).
    pub resolve: Duration,
    /// Building the sets and picking candidate streets.
    pub candidates: Duration,
    /// Scoring the candidates.
    pub score: Duration,
    /// Resolving house numbers on the head, ranking, building the hits.
    pub rank: Duration,
    /// Size estimate of each set of the query.
    pub set_sizes: Vec<usize>,
    /// Candidate streets scored.
    pub n_candidates: usize,
    /// Those kept for ranking.
    pub n_scored: usize,
    /// Streets whose house numbers were looked up.
    pub number_lookups: usize,
    /// Entries touched picking the candidates (postings read, streets or
    /// localities looked at, steps of binary searches and sorts): a
    /// deterministic measure of the phase's cost, bounded whatever the
    /// query and the index size (see `tests/address_work.rs`).
    pub candidate_work: usize,
    /// Entries touched scoring the candidates (their tokens and their
    /// commune's, each matched by a binary search).
    pub score_work: usize,
}

/// Searches the index. Never panics on any query.
pub fn search(idx: &Index, q: &Query, filters: &Filters, limit: usize) -> Vec<Hit> {
    search_traced(idx, q, filters, limit, &mut Trace::default())
}

/// [`search`], telling where the time went.
pub fn search_traced(idx: &Index, q: &Query, filters: &Filters, limit: usize, tr: &mut Trace) -> Vec<Hit> {
    let limit = limit.clamp(1, MAX_LIMIT);
    if q.terms.is_empty() {
        return Vec::new();
    }
    let mut t = Instant::now();
    let mut lap = |d: &mut Duration| {
        let now = Instant::now();
        *d = now - t;
        t = now;
    };
    let resolved: Vec<Resolved> = q.terms.iter().map(|t| resolve(idx, t)).collect();
    lap(&mut tr.resolve);
    let allowed = allowed_localities(idx, filters);
    if allowed.as_ref().is_some_and(Vec::is_empty) {
        return Vec::new();
    }

    // Sets of the naming words (street types or stop words only if
    // nothing else was typed), of the typed postcode and of the filters.
    let best_class = [TokenClass::Word, TokenClass::Type, TokenClass::Stop]
        .into_iter()
        .find(|c| resolved.iter().any(|r| r.class == *c))
        .unwrap_or(TokenClass::Word);
    let mut sets: Vec<TermSet> = resolved
        .iter()
        .filter(|r| r.class == best_class)
        .map(|r| TermSet::for_word_counted(idx, r.token_ranges(idx), r.class == TokenClass::Word, &mut tr.candidate_work))
        .collect();
    if !sets.iter().any(|s| s.size > 0) {
        return Vec::new();
    }
    // A single naming word and no place: the street type narrows too.
    if best_class == TokenClass::Word && sets.len() == 1 && q.postcode.is_none() && allowed.is_none() {
        sets.extend(
            resolved
                .iter()
                .filter(|r| r.class == TokenClass::Type)
                .map(|r| TermSet::for_word_counted(idx, r.token_ranges(idx), false, &mut tr.candidate_work)),
        );
    }
    if let Some(pc) = &q.postcode {
        let locs = idx.localities_for_postcode(pc);
        if !locs.is_empty() {
            sets.push(TermSet::for_localities(idx, locs));
        }
    }
    if let Some(a) = &allowed {
        sets.push(TermSet::for_localities(idx, a.clone()));
    }
    tr.set_sizes = sets.iter().map(|s| s.size).collect();
    let mut candidates = candidates::candidates_counted(idx, sets, &mut tr.candidate_work);
    if let Some(a) = &allowed {
        tr.candidate_work += candidates.len();
        candidates.retain(|&s| a.binary_search(&idx.street(s).locality).is_ok());
    }
    // The scoring phase is bounded too: past MAX_SCORED candidates, the
    // most important are scored (never reached on the 1 M or 26 M sets).
    if candidates.len() > MAX_SCORED {
        tr.candidate_work += candidates.len();
        let imp = |s: u32| idx.street(s).importance;
        candidates.select_nth_unstable_by(MAX_SCORED, |&a, &b| imp(b).total_cmp(&imp(a)));
        candidates.truncate(MAX_SCORED);
    }
    tr.n_candidates = candidates.len();
    lap(&mut tr.candidates);

    let total_weight: f32 = resolved.iter().map(|r| r.weight).sum::<f32>() + if q.postcode.is_some() { 1.0 } else { 0.0 };
    let matcher = Matcher::new(&resolved);
    let per_token = 1 + matcher.cost();
    let mut scored: Vec<Scored> = Vec::new();
    for &s in &candidates {
        let st = idx.street(s);
        let n_tok = idx.street_tokens(&st).len() + idx.locality_tokens(&idx.locality(st.locality)).len();
        tr.score_work += 1 + n_tok * per_token;
        if let Some((score, pseudo)) = score_street(idx, &st, &resolved, &matcher, q, total_weight) {
            scored.push(Scored { street: s, score, importance: st.importance, pseudo });
        }
    }
    if scored.is_empty() {
        return Vec::new();
    }
    let best = scored.iter().map(|s| s.score).fold(0.0f32, f32::max);
    scored.retain(|s| s.score >= best * 0.5);
    tr.n_scored = scored.len();
    lap(&mut tr.score);
    // Best first: real streets, then by score step, score and importance.
    // House numbers are looked up one group (same kind, same score step)
    // at a time; within a group, once as many streets as still needed have
    // the typed number exactly, no later one can pass them and the walk
    // stops. Lookups stay within the first MAX_NUMBER_LOOKUPS streets.
    let step = |s: &Scored| (s.score * 20.0).round() as i32;
    // The order as one integer, computed once per street (a comparator
    // rounding scores was a sixth of a search's instructions), and only
    // the head that can be looked at is sorted.
    let rank_key = |s: &Scored| {
        let desc = |k: u32| u128::from(!k);
        u128::from(s.pseudo) << 96 | desc((step(s) as u32) ^ 1 << 31) << 64 | desc(order_key(s.score)) << 32 | desc(order_key(s.importance))
    };
    let mut keyed: Vec<(u128, u32)> = scored.iter().enumerate().map(|(i, s)| (rank_key(s), i as u32)).collect();
    if keyed.len() > MAX_NUMBER_LOOKUPS {
        keyed.select_nth_unstable(MAX_NUMBER_LOOKUPS);
        keyed.truncate(MAX_NUMBER_LOOKUPS);
    }
    keyed.sort_unstable();
    let scored: Vec<Scored> = keyed.iter().map(|&(_, i)| scored[i as usize]).collect();
    let number_rank = |s: &Scored| match q.number {
        Some(n) => match find_number(idx, &idx.street(s.street), n, q.rep.as_deref()) {
            Some((_, true)) => 2u8,
            Some((_, false)) => 1,
            None => 0,
        },
        None => 0,
    };
    let best_rank = if q.number.is_some() { 2 } else { 0 };
    let mut ranked: Vec<&Scored> = Vec::with_capacity(limit);
    let mut i = 0;
    while i < scored.len() && ranked.len() < limit {
        let key = (scored[i].pseudo, step(&scored[i]));
        let end = i + scored[i..].iter().take_while(|s| (s.pseudo, step(s)) == key).count();
        let need = limit - ranked.len();
        let mut group: Vec<(u8, &Scored)> = Vec::new();
        let mut at_best = 0;
        for s in &scored[i..end] {
            let r = number_rank(s);
            tr.number_lookups += usize::from(q.number.is_some());
            at_best += usize::from(r == best_rank);
            group.push((r, s));
            if at_best >= need {
                break;
            }
        }
        // Within a score step, the typed number found first; then (the
        // order kept by the stable sort) the closer name ("Rue Caroline"
        // before "Rue de la Caroline" for "rue caroline"), the bigger place.
        group.sort_by_key(|g| std::cmp::Reverse(g.0));
        ranked.extend(group.into_iter().take(need).map(|(_, s)| s));
        i = end;
    }
    let hits = ranked.into_iter().map(|s| make_hit(idx, &idx.street(s.street), q, s.score).0).collect();
    lap(&mut tr.rank);
    hits
}

/// Every (token, query word, quality) of the query, sorted by token, so a
/// street token is matched against all words with one binary search.
struct Matcher {
    table: Vec<(u32, u16, f32)>,
    prefixes: Vec<(u16, Range<u32>)>,
}

impl Matcher {
    fn new(resolved: &[Resolved]) -> Self {
        let mut table = Vec::new();
        let mut prefixes = Vec::new();
        for (i, r) in resolved.iter().enumerate() {
            let i = i as u16;
            table.extend(r.exact.iter().map(|&t| (t, i, 1.0)));
            table.extend(r.fuzzy.iter().map(|&(t, q)| (t, i, q)));
            if let Some(p) = &r.prefix {
                prefixes.push((i, p.clone()));
            }
        }
        table.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.2.total_cmp(&a.2)));
        Matcher { table, prefixes }
    }

    /// Entries looked at to match one token: a binary search in the table,
    /// then every prefix range.
    fn cost(&self) -> usize {
        (usize::BITS - self.table.len().leading_zeros()) as usize + self.prefixes.len()
    }

    /// Calls `f(word, quality)` for every query word matching token `t`.
    fn each(&self, t: u32, mut f: impl FnMut(usize, f32)) {
        let start = self.table.partition_point(|e| e.0 < t);
        for e in self.table[start..].iter().take_while(|e| e.0 == t) {
            f(e.1 as usize, e.2);
        }
        for (i, r) in &self.prefixes {
            if r.contains(&t) {
                f(*i as usize, 0.9);
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn score_street(idx: &Index, st: &Street, resolved: &[Resolved], matcher: &Matcher, q: &Query, total_weight: f32) -> Option<(f32, bool)> {
    let toks = idx.street_tokens(st);
    let loc = idx.locality(st.locality);
    let ltoks = idx.locality_tokens(&loc);
    let n = resolved.len().min(32);
    // Best quality per query word on the street name, and where.
    let mut best = [0.0f32; 32];
    let mut at = [usize::MAX; 32];
    for (j, &t) in toks.iter().enumerate() {
        matcher.each(t, |i, qv| {
            if i < n && qv > best[i] {
                best[i] = qv;
                at[i] = j;
            }
        });
    }
    let mut matched = [false; 32];
    let mut naming_hit = false;
    for i in 0..n {
        if at[i] != usize::MAX {
            if at[i] < 32 {
                matched[at[i]] = true;
            }
            if resolved[i].class != TokenClass::Stop {
                naming_hit = true;
            }
        }
    }
    if !naming_hit {
        return None;
    }
    // Words not on the street may name the commune.
    let mut city = [0.0f32; 32];
    for &t in ltoks {
        matcher.each(t, |i, qv| {
            if i < n && resolved[i].class == TokenClass::Word {
                city[i] = city[i].max(0.9 * qv);
            }
        });
    }
    let mut got = 0.0f32;
    for i in 0..n {
        got += resolved[i].weight * best[i].max(city[i]);
    }
    if let Some(pc) = &q.postcode {
        if idx.str_bytes(loc.postcode) == pc.as_bytes() {
            got += 1.0;
        }
    }
    let qcov = got / total_weight.max(1e-6);
    let (mut sw, mut sm) = (0.0f32, 0.0f32);
    for (j, &t) in toks.iter().enumerate() {
        let w = match idx.token_class(t) {
            TokenClass::Type if j > 0 => 1.0,
            c => c.weight(),
        };
        sw += w;
        if j < matched.len() && matched[j] {
            sm += w;
        }
    }
    let scov = if sw > 0.0 { sm / sw } else { 0.0 };
    // A pseudo-street or lieu-dit named by a number or a code ("180Z1 Rue
    // de la Roquette", BAN artefacts) comes after real streets, unless the
    // code itself was typed.
    let pseudo = toks.first().is_some_and(|&t| idx.token_has_digit(t)) && !matched[0];
    Some((0.85 * qcov + 0.15 * scov, pseudo))
}

/// Finds the typed number on a street: exact, or the closest one.
/// Returns (house-number id, exact?).
fn find_number(idx: &Index, st: &Street, n: u32, rep: Option<&str>) -> Option<(u32, bool)> {
    if st.hn_count == 0 {
        return None;
    }
    let range = st.hn_start..st.hn_start + st.hn_count;
    let want_rep = rep.unwrap_or("");
    // Same number: look for the repetition index.
    let lo = partition(range.clone(), |i| idx.number(i).number < n);
    let mut same = lo;
    let mut same_first = None;
    while same < range.end && idx.number(same).number == n {
        if same_first.is_none() {
            same_first = Some(same);
        }
        if idx.rep_canon(idx.number(same).rep) == want_rep {
            return Some((same, true));
        }
        same += 1;
    }
    if let Some(f) = same_first {
        return Some((f, false)); // the number exists, not with that index
    }
    // Closest number; ties go to the same side of the street (same
    // parity), then to the number without repetition index.
    let window = lo.saturating_sub(64).max(range.start)..(lo.saturating_add(64)).min(range.end);
    let mut best: Option<(u64, u32)> = None;
    for i in window {
        let h = idx.number(i);
        let cost = u64::from(h.number.abs_diff(n)) * 4 + u64::from(h.number % 2 != n % 2) * 2 + u64::from(h.rep != 0);
        if best.is_none_or(|(c, _)| cost < c) {
            best = Some((cost, i));
        }
    }
    best.map(|(_, i)| (i, false))
}

fn partition(r: Range<u32>, pred: impl Fn(u32) -> bool) -> u32 {
    let (mut lo, mut hi) = (r.start, r.end);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Splits "Paris 11e Arrondissement" into ("Paris", Some(district)).
fn city_and_district(name: &str) -> (String, Option<String>) {
    if let Some(pos) = name.find(|c: char| c.is_ascii_digit()) {
        let tail = &name[pos..];
        if pos > 0 && tail.to_lowercase().ends_with("arrondissement") {
            return (name[..pos].trim().to_string(), Some(name.to_string()));
        }
    }
    (name.to_string(), None)
}

fn make_hit(idx: &Index, st: &Street, q: &Query, score: f32) -> (Hit, u8) {
    let loc = idx.locality(st.locality);
    let street = idx.str(st.name).to_string();
    let postcode = idx.str(loc.postcode).to_string();
    let (city, district) = city_and_district(idx.str(loc.name));
    let mut hit = Hit {
        label: String::new(),
        kind: "street",
        score: (score * 1000.0).round() / 1000.0,
        id: None,
        housenumber: None,
        number_match: None,
        requested_housenumber: None,
        street,
        postcode,
        citycode: idx.str(loc.insee).to_string(),
        city,
        district,
        lon: f64::from(st.lon) / 1e6,
        lat: f64::from(st.lat) / 1e6,
    };
    let mut rank = 0;
    if let Some(n) = q.number {
        match find_number(idx, st, n, q.rep.as_deref()) {
            Some((i, exact)) => {
                let hn = idx.number(i);
                let rep = idx.rep_str(hn.rep);
                let label = if rep.is_empty() { hn.number.to_string() } else { format!("{} {}", hn.number, normalize::display_rep(rep)) };
                hit.kind = "housenumber";
                hit.id = Some(idx.number_id(i).to_string()).filter(|s| !s.is_empty());
                hit.housenumber = Some(label);
                hit.lon = f64::from(hn.lon) / 1e6;
                hit.lat = f64::from(hn.lat) / 1e6;
                if exact {
                    hit.number_match = Some(NumberMatch::Exact);
                    rank = 2;
                } else {
                    hit.number_match = Some(NumberMatch::Closest);
                    hit.requested_housenumber = q.housenumber_label();
                    rank = 1;
                }
            }
            None => {
                hit.number_match = Some(NumberMatch::NoNumbers);
                hit.requested_housenumber = q.housenumber_label();
            }
        }
    }
    hit.label = match &hit.housenumber {
        Some(h) => format!("{h} {} {} {}", hit.street, hit.postcode, hit.city),
        None => format!("{} {} {}", hit.street, hit.postcode, hit.city),
    };
    (hit, rank)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn districts() {
        assert_eq!(city_and_district("Paris 11e Arrondissement").0, "Paris");
        assert_eq!(city_and_district("Paris 1er Arrondissement").0, "Paris");
        assert_eq!(city_and_district("Mont-Bonvillers"), ("Mont-Bonvillers".into(), None));
    }
}
