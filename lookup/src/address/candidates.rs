//! Which streets are worth scoring for a query.
//!
//! Each naming word of the query stands for a set of streets: those whose
//! name has one of its tokens (exact, typo or prefix), plus every street
//! of the communes whose name has one (a word may name the commune). A
//! postcode typed in the query and the filters are sets too. The sets are
//! sorted by size and only the three smallest are used:
//!
//! - a small set is scored whole;
//! - two larger sets contribute their intersection (every pair of the
//!   three: a street matching two of three words is found even when the
//!   third word is a typo resolved to the wrong token). The smaller set
//!   is listed; the larger one is only probed (its few token lists
//!   galloped through, or the listed streets' own tokens checked when it
//!   has many: a prefix), so a very common word ("saint": thousands of
//!   streets and communes) still narrows;
//! - a larger word set that took part in no non-empty intersection (a
//!   street type does not count: it may be mistyped) contributes its most
//!   important streets only.
//!
//! A street type ("hameau", "impasse") is a set too when the query has a
//! single naming word and no place: "8 hameau de sa" then looks at the
//! hamlets whose name has a word starting with "sa", not at the
//! thousand most important streets with such a word. A common type
//! ("rue": half the streets) is not intersected; the word's most
//! important streets are walked and those of that type kept.
//!
//! A common street name ("rue de la gare" is in thousands of communes)
//! thus costs an intersection of sorted lists, not thousands of scorings.

use std::collections::BinaryHeap;
use std::ops::Range;

use super::index::Index;

/// A set at most this big is scored whole.
pub const SMALL: usize = 1_000;
/// A set bigger than this is not listed out for intersections (too long
/// to sort); it is only probed, or contributes its most important streets.
pub const MAX_LISTED: usize = 60_000;
/// Relative cost of checking one listed street's own tokens, against one
/// step through a probed set's postings.
const SCAN_COST: usize = 8;
/// Runs merged one by one when listing a set; more are sorted.
const MAX_MERGED_RUNS: usize = 8;
/// Most entries the intersections of one query may touch together
/// (listing the smaller sets, probing the larger ones, refining): a pair
/// whose estimated cost does not fit in what is left is not intersected.
pub const MAX_INTERSECT_WORK: usize = 200_000;
/// Most streets kept from intersections (the most important ones).
pub const MAX_PAIRED: usize = 2_000;
/// Candidates past which no more important streets are added.
pub const MAX_CANDIDATES: usize = 3_000;
/// Most important streets taken from a large word set left unpaired.
pub const TOP: usize = 300;
/// The same when that set is the only one.
pub const TOP_ALONE: usize = 1_000;
/// Streets of a word walked at most (best first) for those of a street type.
pub const MAX_WALK_TOTAL: usize = 4_096;
/// Tokens of one word (a short prefix spans thousands) visited for its
/// most important streets.
pub const MAX_TOKENS_VISITED: usize = 4_000;
/// Localities gathered for one word at most; beyond, the word is treated
/// as unselective. One token's list needs no sort ("saint" names thousands
/// of communes); several tokens' lists (a short prefix) do.
const MAX_LOCALITIES: usize = 10_000;
const MAX_LOCALITIES_SORTED: usize = 5_000;

/// The streets one query word (or a postcode, or a filter) allows.
#[derive(Clone, Debug, Default)]
pub struct TermSet {
    /// Tokens whose streets belong to the set (single tokens or a prefix range).
    pub toks: Vec<Range<u32>>,
    /// Localities all of whose streets belong to the set (ascending, distinct).
    pub locs: Vec<u32>,
    /// Size estimate: postings plus locality streets (a street may count twice).
    pub size: usize,
    /// What the set stands for.
    pub kind: SetKind,
}

/// What a [`TermSet`] stands for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SetKind {
    /// A naming word of the query.
    #[default]
    Word,
    /// A street type of the query ("rue", "hameau").
    StreetType,
    /// A postcode or a filter.
    Place,
}

impl TermSet {
    /// The set of a query word matching `toks`; `places`: the word may also
    /// name the commune (naming words, not street types).
    pub fn for_word(idx: &Index, toks: Vec<Range<u32>>, places: bool) -> TermSet {
        Self::for_word_counted(idx, toks, places, &mut 0)
    }

    /// [`TermSet::for_word`], adding the entries it touched to `work`.
    pub fn for_word_counted(idx: &Index, toks: Vec<Range<u32>>, places: bool, work: &mut usize) -> TermSet {
        *work += toks.len();
        let kind = if places { SetKind::Word } else { SetKind::StreetType };
        let mut size: usize = toks.iter().map(|r| idx.postings(r.clone()).len()).sum();
        let mut locs: Vec<u32> = Vec::new();
        if places {
            let several = toks.len() > 1 || toks.iter().any(|r| r.len() > 1);
            let most = if several { MAX_LOCALITIES_SORTED } else { MAX_LOCALITIES };
            for r in &toks {
                // Checked before copying: a short prefix's slice may be long.
                let l = idx.locality_postings(r.clone());
                if locs.len() + l.len() > most {
                    return TermSet { toks, locs: Vec::new(), size: usize::MAX / 4, kind };
                }
                *work += l.len();
                locs.extend_from_slice(l);
            }
            // One token's localities come ascending; several need a sort.
            if several {
                sort_dedup(&mut locs);
            }
            *work += locs.len();
            size += locs.iter().map(|&l| idx.locality(l).street_count as usize).sum::<usize>();
        }
        TermSet { toks, locs, size, kind }
    }

    /// The set of the streets of some localities.
    pub fn for_localities(idx: &Index, mut locs: Vec<u32>) -> TermSet {
        sort_dedup(&mut locs);
        let size = locs.iter().map(|&l| idx.locality(l).street_count as usize).sum();
        TermSet { toks: Vec::new(), locs, size, kind: SetKind::Place }
    }

    /// Every street of the set, ascending.
    pub fn list(&self, idx: &Index) -> Vec<u32> {
        self.list_counted(idx, &mut 0)
    }

    /// [`TermSet::list`], adding the entries it touched to `work` (a sort
    /// of n entries counts n·log2 n).
    pub fn list_counted(&self, idx: &Index, work: &mut usize) -> Vec<u32> {
        // Sorted runs: one per token, one for all the localities (their
        // street ranges come in order: streets are sorted by locality).
        let mut places: Vec<u32> = Vec::new();
        for &l in &self.locs {
            let loc = idx.locality(l);
            places.extend(loc.street_start..loc.street_start + loc.street_count);
        }
        *work += self.locs.len() + places.len();
        let n_tok: usize = self.toks.iter().map(|r| r.len()).sum();
        if n_tok + 1 > MAX_MERGED_RUNS {
            let mut out = places;
            for r in &self.toks {
                for t in r.clone() {
                    let p = idx.postings_by_id(t);
                    *work += 1 + p.len();
                    out.extend_from_slice(p);
                }
            }
            *work += out.len() * log2(out.len());
            sort_dedup(&mut out);
            return out;
        }
        let mut out = places;
        for r in &self.toks {
            for t in r.clone() {
                out = merge(&out, idx.postings_by_id(t));
                *work += 1 + out.len();
            }
        }
        out
    }

    /// About `k` of the most important streets whose name has a token of
    /// the set (postings are stored most important first).
    pub fn top(&self, idx: &Index, k: usize) -> Vec<u32> {
        self.top_counted(idx, k, &mut 0)
    }

    /// [`TermSet::top`], adding the entries it touched to `work`: at most
    /// `k` plus a few per token, and [`MAX_TOKENS_VISITED`] tokens.
    pub fn top_counted(&self, idx: &Index, k: usize, work: &mut usize) -> Vec<u32> {
        let n_tok: usize = self.toks.iter().map(|r| r.len()).sum();
        if n_tok == 0 {
            return Vec::new();
        }
        let per = (k / n_tok).max(4);
        let mut out = Vec::new();
        // A short prefix spans thousands of tokens, many naming only
        // communes (no streets): they are visited up to a bound.
        let tokens = self.toks.iter().flat_map(|r| r.clone()).take(MAX_TOKENS_VISITED);
        for t in tokens {
            let p = idx.postings(t..t + 1);
            let take = p.len().min(per);
            *work += 1 + take;
            out.extend_from_slice(&p[..take]);
            if out.len() >= k {
                break;
            }
        }
        out
    }

    /// Up to `k` of the most important streets whose name has a token of
    /// the set and that are in set `within` too, best first across all the
    /// set's tokens (their postings are merged by importance), each checked
    /// against its own tokens and its commune.
    /// At most [`MAX_WALK_TOTAL`] postings are walked: a word whose streets
    /// are rarely of that type stops there, never walks a long list whole.
    pub fn top_within(&self, idx: &Index, k: usize, within: &TermSet, work: &mut usize) -> Vec<u32> {
        let lists: Vec<&[u32]> =
            self.toks.iter().flat_map(|r| r.clone()).take(MAX_TOKENS_VISITED).map(|t| idx.postings(t..t + 1)).collect();
        *work += lists.len();
        if within.toks.iter().all(|r| r.is_empty()) && within.locs.is_empty() {
            return Vec::new();
        }
        // Max-heap of (importance, list): each list's next street.
        let key = |s: u32| idx.importance_key(s);
        let mut heap: BinaryHeap<(u32, std::cmp::Reverse<u32>)> =
            lists.iter().enumerate().filter(|(_, p)| !p.is_empty()).map(|(i, p)| (key(p[0]), std::cmp::Reverse(i as u32))).collect();
        let mut next = vec![0usize; lists.len()];
        let check = log2(within.locs.len());
        let of_type = TokenRanges::new(&within.toks);
        // A street is in `within` when its commune is, or when one of its
        // own few tokens is: read next to its record, cheaper than a binary
        // search in the type's postings ("rue": a million streets, the
        // deep steps of each search missing the cache).
        let member = |s: u32, work: &mut usize| {
            let st = idx.street(s);
            if within.locs.binary_search(&st.locality).is_ok() {
                return true;
            }
            let toks = idx.street_tokens(&st);
            *work += toks.len() * log2(of_type.len());
            toks.iter().any(|&t| of_type.contains(t))
        };
        let mut out = Vec::new();
        for _ in 0..MAX_WALK_TOTAL {
            let Some((_, std::cmp::Reverse(i))) = heap.pop() else { break };
            let p = lists[i as usize];
            let s = p[next[i as usize]];
            next[i as usize] += 1;
            if let Some(&n) = p.get(next[i as usize]) {
                heap.push((key(n), std::cmp::Reverse(i)));
            }
            *work += 1 + log2(heap.len()) + check;
            if member(s, work) {
                out.push(s);
                if out.len() >= k {
                    break;
                }
            }
        }
        out
    }
}

/// The tokens of a set's ranges, for checking a street's own tokens: a
/// typo word has dozens of variants, each its own range, and a street
/// token is looked up among them by a binary search, not against each.
struct TokenRanges(Vec<Range<u32>>);

impl TokenRanges {
    /// Sorted, adjacent or overlapping ranges merged, empty ones dropped.
    fn new(toks: &[Range<u32>]) -> Self {
        let mut v: Vec<Range<u32>> = toks.iter().filter(|r| !r.is_empty()).cloned().collect();
        v.sort_unstable_by_key(|r| r.start);
        let mut out: Vec<Range<u32>> = Vec::with_capacity(v.len());
        for r in v {
            match out.last_mut() {
                Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
                _ => out.push(r),
            }
        }
        TokenRanges(out)
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn contains(&self, t: u32) -> bool {
        // The last range starting at or before `t`.
        let i = self.0.partition_point(|r| r.start <= t);
        i > 0 && t < self.0[i - 1].end
    }
}

/// Sorts ids ascending and drops repeats. Candidate lists are thousands
/// of ids below a few million: a radix sort (a byte a pass, the four
/// counts taken in one read, a pass skipped when every id has the same
/// byte there) does less than a comparison sort.
pub fn sort_dedup(v: &mut Vec<u32>) {
    if v.len() < 256 {
        v.sort_unstable();
    } else {
        let mut count = [[0u32; 256]; 4];
        for &x in v.iter() {
            for (k, c) in count.iter_mut().enumerate() {
                c[(x >> (8 * k)) as usize & 255] += 1;
            }
        }
        let mut from = std::mem::take(v);
        let mut to = vec![0u32; from.len()];
        for (k, c) in count.iter_mut().enumerate() {
            if c.iter().any(|&n| n as usize == from.len()) {
                continue; // one byte for all: the order stands
            }
            let mut at = 0;
            for n in c.iter_mut() {
                let here = *n;
                *n = at;
                at += here;
            }
            for &x in &from {
                let d = (x >> (8 * k)) as usize & 255;
                to[c[d] as usize] = x;
                c[d] += 1;
            }
            std::mem::swap(&mut from, &mut to);
        }
        *v = from;
    }
    v.dedup();
}

/// ⌈log2 n⌉ (at least 1): the steps of a binary search, per entry of a sort.
fn log2(n: usize) -> usize {
    (usize::BITS - n.max(2).saturating_sub(1).leading_zeros()) as usize
}

/// Union of two ascending lists without repeats.
fn merge(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        out.push(x.min(y));
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// Intersection of two ascending lists (galloping through the longer one).
pub fn intersect(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut hit = vec![false; a.len()];
    mark_common(a, b, &mut hit, &mut 0);
    a.iter().zip(&hit).filter(|(_, h)| **h).map(|(x, _)| *x).collect()
}

/// Sets `hit[i]` for every `a[i]` also in `b` (both ascending), galloping
/// through the longer list; adds the entries compared to `work`.
fn mark_common(a: &[u32], b: &[u32], hit: &mut [bool], work: &mut usize) {
    if a.len() <= b.len() {
        let mut rest = b;
        for (i, &x) in a.iter().enumerate() {
            let k = gallop(rest, x, work);
            rest = &rest[k..];
            if rest.first() == Some(&x) {
                hit[i] = true;
            }
            if rest.is_empty() {
                break;
            }
        }
    } else {
        let mut from = 0;
        for &y in b {
            from += gallop(&a[from..], y, work);
            if from >= a.len() {
                break;
            }
            if a[from] == y {
                hit[from] = true;
            }
        }
    }
}

/// The first position in ascending `v` holding `x` or more, found by
/// doubling steps then a binary search (cheap when it is near the start);
/// adds the entries compared to `work`.
fn gallop(v: &[u32], x: u32, work: &mut usize) -> usize {
    let mut step = 1;
    *work += 1;
    while step < v.len() && v[step] < x {
        step *= 2;
        *work += 1;
    }
    let lo = step / 2;
    let end = (step + 1).min(v.len());
    *work += log2(end.saturating_sub(lo));
    lo.min(end) + v[lo.min(end)..end].partition_point(|&y| y < x)
}

/// The streets of ascending `a` that are in set `b`, probing `b` without
/// listing it: its token lists are galloped through (or, when cheaper,
/// each street's tokens checked), its communes' street ranges
/// (contiguous: streets are sorted by locality) looked up.
pub fn probe(idx: &Index, a: &[u32], b: &TermSet) -> Vec<u32> {
    probe_counted(idx, a, b, &mut 0)
}

/// [`probe`], adding the entries it touched to `work`.
pub fn probe_counted(idx: &Index, a: &[u32], b: &TermSet, work: &mut usize) -> Vec<u32> {
    *work += b.toks.iter().map(|r| r.len()).sum::<usize>();
    if gallop_cost(idx, a.len(), b) > a.len() * SCAN_COST {
        // (The communes' ranges cost about the same either way.)
        // Galloping through many postings (a prefix) would cost more: the
        // listed streets' own tokens are checked (read in street order).
        let in_b = TokenRanges::new(&b.toks);
        return a
            .iter()
            .copied()
            .filter(|&s| {
                let st = idx.street(s);
                let toks = idx.street_tokens(&st);
                *work += 1 + log2(b.locs.len()) + toks.len() * log2(in_b.len());
                b.locs.binary_search(&st.locality).is_ok() || toks.iter().any(|&t| in_b.contains(t))
            })
            .collect();
    }
    let mut hit = vec![false; a.len()];
    for r in &b.toks {
        for t in r.clone() {
            mark_common(a, idx.postings_by_id(t), &mut hit, work);
        }
    }
    // The communes' street ranges ascend like `a`: one merged walk of both
    // ("saint" names thousands of communes).
    let mut from = 0;
    for &l in &b.locs {
        let loc = idx.locality(l);
        from += gallop(&a[from..], loc.street_start, work);
        while from < a.len() && a[from] < loc.street_start + loc.street_count {
            hit[from] = true;
            from += 1;
        }
        if from >= a.len() {
            break;
        }
    }
    *work += a.len();
    a.iter().zip(&hit).filter(|(_, h)| **h).map(|(x, _)| *x).collect()
}

/// Entries touched listing a set (estimated from its size): merging a few
/// runs, or sorting many.
fn list_cost(s: &TermSet) -> usize {
    let runs = s.toks.iter().map(|r| r.len()).sum::<usize>() + 1;
    s.size.saturating_mul(if runs > MAX_MERGED_RUNS { log2(s.size) } else { runs })
}

/// Entries compared galloping `n` listed streets through the token lists
/// of set `b`: per token, each entry of the shorter list gallops over
/// the average gap of the longer one.
fn gallop_cost(idx: &Index, n: usize, b: &TermSet) -> usize {
    let one = |len: usize| {
        let (m, big) = (len.min(n), len.max(n));
        1 + m * (2 + 2 * log2(big / m.max(1) + 1))
    };
    b.toks.iter().flat_map(|r| r.clone()).map(|t| one(idx.postings_by_id(t).len())).sum()
}

/// Entries touched probing set `b` with `n` listed streets (see [`probe`]).
fn probe_cost(idx: &Index, n: usize, b: &TermSet) -> usize {
    let locs = b.locs.len() * (2 + 2 * log2(n / b.locs.len().max(1) + 1));
    (gallop_cost(idx, n, b) + locs + n).min(n.saturating_mul(SCAN_COST + log2(b.locs.len())))
}

/// The candidate streets for the sets of a query, ascending and distinct.
pub fn candidates(idx: &Index, sets: Vec<TermSet>) -> Vec<u32> {
    candidates_counted(idx, sets, &mut 0)
}

/// [`candidates`], adding the entries it touched to `work`.
pub fn candidates_counted(idx: &Index, mut sets: Vec<TermSet>, work: &mut usize) -> Vec<u32> {
    sets.retain(|s| s.size > 0);
    // Common street types filter the words' top streets instead.
    let (common_types, rest): (Vec<TermSet>, Vec<TermSet>) =
        sets.into_iter().partition(|s| s.kind == SetKind::StreetType && s.size > MAX_LISTED);
    sets = rest;
    if sets.iter().all(|s| s.kind == SetKind::StreetType) {
        sets.extend(common_types.iter().cloned()); // "12 rue": nothing else to go on
    }
    sets.sort_by_key(|s| s.size);
    // The sets past the third only refine too many paired streets.
    let later: Vec<TermSet> = sets.split_off(sets.len().min(3));
    // Listed on first use only: listing several token lists means merging.
    let mut lists: Vec<Option<Vec<u32>>> = vec![None; sets.len()];
    let mut out: Vec<u32> = Vec::new();
    for (s, l) in sets.iter().zip(lists.iter_mut()) {
        if s.size <= SMALL {
            out.extend(l.get_or_insert_with(|| s.list_counted(idx, work)).iter());
        }
    }
    let mut paired_sets = [false; 3];
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut paired: Vec<u32> = Vec::new();
    let mut walk_type: Vec<Option<usize>> = vec![None; sets.len()];
    let intersect_from = *work;
    for i in 0..sets.len() {
        for j in i + 1..sets.len() {
            if sets[i].size <= SMALL || sets[j].size <= SMALL {
                continue; // already scored whole
            }
            // Two very common words: their intersection costs more than
            // it narrows; their most important streets stand in.
            let too_broad = sets[i].size > MAX_LISTED / 2 && sets[j].size > 2 * MAX_LISTED;
            if sets[i].size > MAX_LISTED || sets[j].size >= usize::MAX / 4 || too_broad {
                continue;
            }
            // Bounded work: a pair whose intersection would not fit in what
            // is left of MAX_INTERSECT_WORK (a short prefix's many lists to
            // sort, a long probe) is not intersected; a word then walks its
            // most important streets, keeping those in the other set.
            let list_cost = if lists[i].is_some() { 0 } else { list_cost(&sets[i]) };
            let left = MAX_INTERSECT_WORK.saturating_sub(*work - intersect_from);
            if list_cost + probe_cost(idx, sets[i].size, &sets[j]) > left {
                match (sets[i].kind, sets[j].kind) {
                    (SetKind::Word, SetKind::StreetType | SetKind::Word) => walk_type[i] = walk_type[i].or(Some(j)),
                    (SetKind::StreetType, SetKind::Word) => walk_type[j] = walk_type[j].or(Some(i)),
                    _ => {}
                }
                continue;
            }
            // Sets are sorted by size: list the smaller, probe the larger.
            let a = lists[i].get_or_insert_with(|| sets[i].list_counted(idx, work));
            let both = probe_counted(idx, a, &sets[j], work);
            if !both.is_empty() {
                pairs.push((i, j));
                paired_sets[i] |= sets[j].kind != SetKind::StreetType;
                paired_sets[j] |= sets[i].kind != SetKind::StreetType;
                paired.extend(both);
            }
        }
    }
    if paired.len() > MAX_PAIRED {
        *work += paired.len() * log2(paired.len());
        sort_dedup(&mut paired);
        // Two words of a commune's name pair into all its streets: keep
        // those matching one more word, while some do.
        for (k, s) in sets.iter().enumerate().chain(later.iter().enumerate().map(|(k, s)| (k + 3, s))) {
            if paired.len() <= MAX_PAIRED {
                break;
            }
            // Useless (and slow) when every pair already holds it.
            if s.size >= usize::MAX / 4 || pairs.iter().all(|&(i, j)| i == k || j == k) {
                continue;
            }
            if probe_cost(idx, paired.len(), s) > MAX_INTERSECT_WORK.saturating_sub(*work - intersect_from) {
                continue;
            }
            let more = probe_counted(idx, &paired, s, work);
            if !more.is_empty() {
                paired = more;
            }
        }
        if paired.len() > MAX_PAIRED {
            *work += paired.len();
            let imp = |s: u32| idx.street(s).importance;
            paired.select_nth_unstable_by(MAX_PAIRED, |&a, &b| imp(b).total_cmp(&imp(a)));
            paired.truncate(MAX_PAIRED);
        }
    }
    out.extend(paired);
    let k = if sets.len() == 1 { TOP_ALONE } else { TOP };
    let any_word = sets.iter().any(|s| s.kind == SetKind::Word);
    for (i, s) in sets.iter().enumerate() {
        // Street types stand in for words only when no word was typed ("12 rue").
        let stands = s.kind == SetKind::Word || (s.kind == SetKind::StreetType && !any_word);
        // The most important streets fill what room is left: every query
        // scores at most about MAX_CANDIDATES streets.
        let room = MAX_CANDIDATES.saturating_sub(out.len());
        if stands && s.size > SMALL && !paired_sets[i] && room > 0 {
            match walk_type[i].map(|j| &sets[j]).or(common_types.first()).filter(|_| s.kind == SetKind::Word) {
                // Mostly streets of the typed type; a few of any type in
                // case the type was mistyped.
                Some(ty) => {
                    out.extend(s.top_within(idx, TOP_ALONE.min(room), ty, work));
                    out.extend(s.top_counted(idx, TOP.min(room), work));
                }
                None => out.extend(s.top_counted(idx, k.min(room), work)),
            }
        }
    }
    *work += out.len() * log2(out.len());
    sort_dedup(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intersection_matches_a_brute_force_one() {
        let mut rng = crate::synth::Rng::new(3);
        for _ in 0..300 {
            let mut a: Vec<u32> = (0..rng.below(60)).map(|_| rng.below(200) as u32).collect();
            let mut b: Vec<u32> = (0..rng.below(600)).map(|_| rng.below(200) as u32).collect();
            a.sort_unstable();
            a.dedup();
            b.sort_unstable();
            b.dedup();
            let want: Vec<u32> = a.iter().copied().filter(|x| b.contains(x)).collect();
            assert_eq!(intersect(&a, &b), want);
            assert_eq!(intersect(&b, &a), want);
            for x in 0..210 {
                assert_eq!(gallop(&b, x, &mut 0), b.partition_point(|&y| y < x));
            }
            let mut union: Vec<u32> = a.iter().chain(&b).copied().collect();
            union.sort_unstable();
            union.dedup();
            assert_eq!(merge(&a, &b), union);
            let ranges: Vec<Range<u32>> = (0..rng.below(70))
                .map(|_| {
                    let s = rng.below(200) as u32;
                    s..s + rng.below(4) as u32
                })
                .collect();
            let mut big: Vec<u32> = (0..rng.below(3000)).map(|_| rng.below(5_000_000) as u32 | (rng.below(2) as u32) << 31).collect();
            let mut want = big.clone();
            want.sort_unstable();
            want.dedup();
            sort_dedup(&mut big);
            assert_eq!(big, want);
            let tr = TokenRanges::new(&ranges);
            for t in 0..210 {
                assert_eq!(tr.contains(t), ranges.iter().any(|r| r.contains(&t)), "{t} in {ranges:?}");
            }
        }
    }
}
