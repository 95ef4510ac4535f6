//! A tiny anchored backtracking matcher for the regex subset of Google's
//! phone-number metadata.
//!
//! Supported: digits, `\d`, classes of digits and ranges (`[0-57-9]`),
//! non-capturing `(?:…)` and capturing `(…)` groups with `|`, and the
//! quantifiers `?`, `{n}`, `{n,m}`, plus `$`. Matching is always anchored at
//! the start of the input, with Python `re` semantics (alternatives left to
//! right, greedy repetition, first match wins), so results agree with
//! libphonenumber's.
//!
//! The matcher interprets the pattern text directly: nothing is compiled or
//! allocated. It never panics: a malformed pattern simply matches nothing,
//! and the work per call is bounded (a step budget and a recursion limit),
//! so no pattern or input can blow up. `data/gen/phone.py` rejects any
//! metadata pattern outside the subset.

/// Most capturing groups recorded.
pub const MAX_GROUPS: usize = 9;
/// Longest input considered; longer input matches nothing.
pub const MAX_INPUT: usize = 64;
/// Longest pattern considered; longer patterns match nothing.
pub const MAX_PATTERN: usize = 8192;
const BUDGET: u32 = 50_000;
const MAX_DEPTH: u32 = 400;
const UNSET: u8 = u8::MAX;

/// The outcome of a successful match: where it ended and its groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Captures {
    /// Input bytes consumed.
    pub end: usize,
    /// True when the pattern was fully matched (in partial mode, false means
    /// the input ran out first and more digits could still complete it).
    pub complete: bool,
    groups: [(u8, u8); MAX_GROUPS],
}

impl Captures {
    /// The span of capturing group `i` (1-based), if it took part.
    pub fn group(&self, i: usize) -> Option<(usize, usize)> {
        let (s, e) = *self.groups.get(i.checked_sub(1)?)?;
        if s == UNSET || e == UNSET {
            None
        } else {
            Some((s as usize, e as usize))
        }
    }
}

/// True if `pattern` matches the whole of `input`.
pub fn full_match(pattern: &str, input: &str) -> bool {
    run(pattern, input, true, false).is_some()
}

/// True if `pattern` matches a prefix of `input` (Python's `re.match`).
pub fn prefix_match(pattern: &str, input: &str) -> bool {
    run(pattern, input, false, false).is_some()
}

/// The first match of `pattern` at the start of `input`, with its groups.
pub fn captures_prefix(pattern: &str, input: &str) -> Option<Captures> {
    run(pattern, input, false, false)
}

/// The full match of `pattern` on `input`, with its groups.
pub fn captures_full(pattern: &str, input: &str) -> Option<Captures> {
    run(pattern, input, true, false)
}

/// As-you-type matching: succeeds if `input` is a prefix of some string the
/// pattern matches (or, with `prefix`, if the pattern matches a prefix of
/// `input`). Groups still open when the input ran out end at its end.
pub fn partial(pattern: &str, input: &str, prefix: bool) -> Option<Captures> {
    run(pattern, input, !prefix, true)
}

fn run(pattern: &str, input: &str, full: bool, partial: bool) -> Option<Captures> {
    if input.len() > MAX_INPUT || pattern.len() > MAX_PATTERN {
        return None;
    }
    let st = structure(pattern.as_bytes())?;
    run_with(pattern, input, full, partial, &st)
}

fn run_with(
    pattern: &str,
    input: &str,
    full: bool,
    partial: bool,
    st: &Structure,
) -> Option<Captures> {
    let pat = pattern.as_bytes();
    let inp = input.as_bytes();
    if inp.len() > MAX_INPUT || st.0.len() != pat.len() + 1 {
        return None;
    }
    let mut m = Matcher {
        pat,
        inp,
        close: &st.0,
        sep: &st.1,
        groups: st.2,
        budget: BUDGET,
        depth: 0,
        partial,
        caps: [(UNSET, UNSET); MAX_GROUPS],
        out: None,
    };
    m.alt(0, pat.len(), 0, &mut |s: &mut Matcher, j| {
        if full && j != s.inp.len() {
            return false;
        }
        s.out = Some(Captures {
            end: j,
            complete: true,
            groups: s.caps,
        });
        true
    });
    m.out
}

/// The same functions for `'static` patterns (the generated tables): each
/// pattern's structure is computed once, on first use, and kept, so a match
/// costs only the digits it looks at.
pub mod cached {
    use super::{Captures, MAX_PATTERN, Structure, run_with, structure};
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::hash::{BuildHasherDefault, Hasher};
    use std::rc::Rc;

    /// Keys are addresses: a multiplicative hash is plenty (no untrusted keys).
    #[derive(Default)]
    struct AddrHasher(u64);
    impl Hasher for AddrHasher {
        fn finish(&self) -> u64 {
            self.0
        }
        fn write(&mut self, bytes: &[u8]) {
            for &b in bytes {
                self.write_u64(u64::from(b));
            }
        }
        fn write_usize(&mut self, n: usize) {
            self.write_u64(n as u64);
        }
        fn write_u64(&mut self, n: u64) {
            self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    type Cache = HashMap<(usize, usize), Option<Rc<Structure>>, BuildHasherDefault<AddrHasher>>;

    thread_local! {
        static CACHE: RefCell<Cache> = RefCell::new(Cache::default());
    }

    fn run(pattern: &'static str, input: &str, full: bool, partial: bool) -> Option<Captures> {
        if pattern.len() > MAX_PATTERN {
            return None;
        }
        // A 'static string is never freed: its address and length name it.
        let key = (pattern.as_ptr() as usize, pattern.len());
        let st = CACHE.with(|c| {
            if let Some(s) = c.borrow().get(&key) {
                return s.clone();
            }
            let s = structure(pattern.as_bytes()).map(Rc::new);
            c.borrow_mut().insert(key, s.clone());
            s
        })?;
        run_with(pattern, input, full, partial, &st)
    }

    /// See [`super::full_match`].
    pub fn full_match(pattern: &'static str, input: &str) -> bool {
        run(pattern, input, true, false).is_some()
    }
    /// See [`super::prefix_match`].
    pub fn prefix_match(pattern: &'static str, input: &str) -> bool {
        run(pattern, input, false, false).is_some()
    }
    /// See [`super::captures_prefix`].
    pub fn captures_prefix(pattern: &'static str, input: &str) -> Option<Captures> {
        run(pattern, input, false, false)
    }
    /// See [`super::partial`].
    pub fn partial(pattern: &'static str, input: &str, prefix: bool) -> Option<Captures> {
        run(pattern, input, !prefix, true)
    }
}

/// Jump tables: `close[i]` is the `)` (or `]`) closing the group (class)
/// opened at `i`; `sep[k]` is the `|` or `)` ending the branch that starts
/// after `k` (a `(` or a `|`; `k` = pattern length for the top level); and
/// where each capturing group opens.
pub(crate) type Structure = (Vec<u16>, Vec<u16>, [u16; MAX_GROUPS]);

/// One pass over the pattern: checks that it is well formed (balanced
/// groups, closed classes, `(?` only as `(?:`, `\` only as `\d`, known
/// characters) and records where every group, class and branch ends, so
/// that matching never rescans. `None` for a malformed pattern.
fn structure(p: &[u8]) -> Option<Structure> {
    let n = p.len();
    let mut close = vec![0u16; n + 1];
    let mut sep = vec![0u16; n + 1];
    let mut groups = [u16::MAX; MAX_GROUPS];
    let mut ngroups = 0;
    let mut stack: Vec<(usize, usize)> = Vec::new();
    let mut key = n;
    let mut i = 0;
    while i < n {
        match p[i] {
            b'(' => {
                stack.push((i, key));
                key = i;
                if p.get(i + 1) == Some(&b'?') {
                    if p.get(i + 2) != Some(&b':') {
                        return None;
                    }
                    i += 2;
                } else {
                    if ngroups < MAX_GROUPS {
                        groups[ngroups] = i as u16;
                    }
                    ngroups += 1;
                }
            }
            b')' => {
                let (open, outer) = stack.pop()?;
                sep[key] = i as u16;
                close[open] = i as u16;
                key = outer;
            }
            b'|' => {
                sep[key] = i as u16;
                key = i;
            }
            b'[' => {
                let j = i + p[i..].iter().position(|&c| c == b']')?;
                close[i] = j as u16;
                i = j;
            }
            b'\\' => {
                if p.get(i + 1) != Some(&b'd') {
                    return None;
                }
                i += 1;
            }
            b'0'..=b'9' | b'?' | b'{' | b'}' | b',' | b'$' => {}
            _ => return None,
        }
        i += 1;
    }
    if !stack.is_empty() {
        return None;
    }
    sep[key] = n as u16;
    Some((close, sep, groups))
}

type Cont<'k, 'a> = &'k mut dyn FnMut(&mut Matcher<'a>, usize) -> bool;

struct Matcher<'a> {
    pat: &'a [u8],
    inp: &'a [u8],
    close: &'a [u16],
    sep: &'a [u16],
    groups: [u16; MAX_GROUPS],
    budget: u32,
    depth: u32,
    partial: bool,
    caps: [(u8, u8); MAX_GROUPS],
    out: Option<Captures>,
}

impl<'a> Matcher<'a> {
    /// Matches the alternatives starting at `pi`, the first branch of the
    /// group opened at `key` (`key` = pattern length for the top level).
    fn alt(&mut self, pi: usize, key: usize, ii: usize, k: Cont<'_, 'a>) -> bool {
        let mut start = pi;
        let mut key = key;
        loop {
            if self.budget == 0 {
                return false;
            }
            if self.seq(start, ii, k) {
                return true;
            }
            let end = self.sep.get(key).copied().unwrap_or(u16::MAX) as usize;
            if self.pat.get(end) == Some(&b'|') {
                start = end + 1;
                key = end;
            } else {
                return false;
            }
        }
    }

    /// Matches the sequence at `pi` up to the end of its branch, then `k`.
    fn seq(&mut self, pi: usize, ii: usize, k: Cont<'_, 'a>) -> bool {
        if self.budget == 0 || self.depth >= MAX_DEPTH {
            self.budget = 0;
            return false;
        }
        self.budget -= 1;
        self.depth += 1;
        let r = self.seq_inner(pi, ii, k);
        self.depth -= 1;
        r
    }

    fn seq_inner(&mut self, pi: usize, ii: usize, k: Cont<'_, 'a>) -> bool {
        let pat = self.pat;
        let Some(&c) = pat.get(pi) else {
            return k(self, ii);
        };
        let atom_end = match c {
            b'|' | b')' => return k(self, ii),
            b'$' => {
                return if ii == self.inp.len() {
                    self.seq(pi + 1, ii, k)
                } else {
                    false
                };
            }
            b'(' | b'[' => match self.close.get(pi) {
                Some(&close) if close as usize > pi => close as usize + 1,
                _ => return false,
            },
            b'\\' => pi + 2,
            b'0'..=b'9' => pi + 1,
            _ => return false,
        };
        let Some((min, max, next)) = quantifier(pat, atom_end) else {
            return false;
        };
        self.rep(pi, atom_end, min, max, 0, ii, next, k)
    }

    /// Greedy repetition of the atom at `pi..atom_end`, `n` times done so far.
    #[allow(clippy::too_many_arguments)]
    fn rep(
        &mut self,
        pi: usize,
        atom_end: usize,
        min: u32,
        max: u32,
        n: u32,
        ii: usize,
        next: usize,
        k: Cont<'_, 'a>,
    ) -> bool {
        if n < max {
            let hit = self.atom(pi, atom_end, ii, &mut |s: &mut Matcher<'a>, j| {
                if j == ii {
                    // An empty iteration: more would be empty too.
                    return s.seq(next, j, k);
                }
                s.rep(pi, atom_end, min, max, n + 1, j, next, k)
            });
            if hit {
                return true;
            }
        }
        n >= min && self.seq(next, ii, k)
    }

    /// Matches one occurrence of the atom at `pi..atom_end`.
    fn atom(&mut self, pi: usize, atom_end: usize, ii: usize, k: Cont<'_, 'a>) -> bool {
        let pat = self.pat;
        match pat.get(pi) {
            Some(b'(') => {
                if pat.get(pi + 1) == Some(&b'?') {
                    return self.alt(pi + 3, pi, ii, k);
                }
                let gi = self
                    .groups
                    .iter()
                    .position(|&g| g as usize == pi)
                    .unwrap_or(MAX_GROUPS);
                if gi >= MAX_GROUPS || ii >= UNSET as usize {
                    return self.alt(pi + 1, pi, ii, k);
                }
                let saved = self.caps[gi];
                self.caps[gi] = (ii as u8, UNSET);
                let hit = self.alt(pi + 1, pi, ii, &mut |s: &mut Matcher<'a>, j| {
                    let open = s.caps[gi];
                    s.caps[gi] = (ii as u8, j as u8);
                    let r = k(s, j);
                    s.caps[gi] = open;
                    r
                });
                self.caps[gi] = saved;
                hit
            }
            Some(_) => {
                let Some(&d) = self.inp.get(ii) else {
                    if self.partial {
                        return self.ran_out();
                    }
                    return false;
                };
                if char_matches(&pat[pi..atom_end], d) {
                    k(self, ii + 1)
                } else {
                    false
                }
            }
            None => false,
        }
    }

    /// Partial mode: the input ran out while the pattern wanted more.
    fn ran_out(&mut self) -> bool {
        let end = self.inp.len() as u8;
        let mut groups = self.caps;
        for g in groups.iter_mut() {
            if g.0 != UNSET && g.1 == UNSET {
                g.1 = end;
            }
        }
        self.out = Some(Captures {
            end: self.inp.len(),
            complete: false,
            groups,
        });
        true
    }
}

/// Whether the single-character atom `a` (`7`, `\d` or `[…]`) matches `d`.
fn char_matches(a: &[u8], d: u8) -> bool {
    if !d.is_ascii_digit() {
        return false;
    }
    match a {
        [c] => *c == d,
        [b'\\', b'd'] => true,
        [b'[', body @ .., b']'] => {
            let mut i = 0;
            while i < body.len() {
                let lo = body[i];
                if body.get(i + 1) == Some(&b'-') && i + 2 < body.len() {
                    if lo <= d && d <= body[i + 2] {
                        return true;
                    }
                    i += 3;
                } else {
                    if lo == d {
                        return true;
                    }
                    i += 1;
                }
            }
            false
        }
        _ => false,
    }
}

/// Parses an optional quantifier at `i`: (min, max, position after it).
fn quantifier(p: &[u8], i: usize) -> Option<(u32, u32, usize)> {
    match p.get(i) {
        Some(b'?') => Some((0, 1, i + 1)),
        Some(b'{') => {
            let close = i + p.get(i..)?.iter().position(|&c| c == b'}')?;
            let body = p.get(i + 1..close)?;
            let num = |s: &[u8]| -> Option<u32> {
                if s.is_empty() || s.len() > 3 || !s.iter().all(u8::is_ascii_digit) {
                    return None;
                }
                Some(s.iter().fold(0u32, |n, &c| n * 10 + u32::from(c - b'0')))
            };
            let (min, max) = match body.iter().position(|&c| c == b',') {
                Some(comma) => (num(&body[..comma])?, num(&body[comma + 1..])?),
                None => {
                    let n = num(body)?;
                    (n, n)
                }
            };
            (min <= max).then_some((min, max, close + 1))
        }
        _ => Some((1, 1, i)),
    }
}

/// 0-based index of the capturing group opened at `open`.
fn group_index(p: &[u8], open: usize) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < open && i < p.len() {
        match p[i] {
            b'(' if p.get(i + 1) != Some(&b'?') => n += 1,
            b'[' => match p[i..].iter().position(|&c| c == b']') {
                Some(k) => i += k,
                None => return usize::MAX,
            },
            b'\\' => i += 1,
            _ => {}
        }
        i += 1;
    }
    n
}

/// Number of capturing groups in a pattern.
pub fn group_count(pattern: &str) -> usize {
    group_index(pattern.as_bytes(), pattern.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_classes_and_digits() {
        assert!(full_match("06\\d{8}", "0612345678"));
        assert!(!full_match("06\\d{8}", "061234567"));
        assert!(!full_match("06\\d{8}", "06123456789"));
        assert!(full_match("[1-35-9]", "5"));
        assert!(!full_match("[1-35-9]", "4"));
        assert!(full_match("[0-2]\\d", "29"));
        assert!(!full_match("\\d", "a"));
    }

    #[test]
    fn alternation_groups_and_quantifiers() {
        let p = "(?:26[013-9]|59[1-35-9])\\d{6}|(?:[13]\\d|2[0-57-9]|4[1-9]|5[0-8])\\d{7}";
        assert!(full_match(p, "123456789"));
        assert!(full_match(p, "260123456"));
        assert!(!full_match(p, "262123456"));
        assert!(full_match("1(?:2)?3", "13"));
        assert!(full_match("1(?:2)?3", "123"));
        assert!(full_match("\\d{2,4}", "123"));
        assert!(!full_match("\\d{2,4}", "12345"));
        // Backtracking into an earlier alternative and repetition.
        assert!(full_match("(?:1|12)3", "123"));
        assert!(full_match("\\d{1,3}4", "1234"));
        assert!(full_match("(?:\\d{2}){2,3}", "123456"));
        assert!(!full_match("(?:\\d{2}){2,3}", "12345"));
        assert!(full_match("(?:1?){3}2", "2"));
    }

    #[test]
    fn prefix_and_first_match() {
        assert!(prefix_match("00", "0033"));
        assert!(!prefix_match("00", "0133"));
        assert!(prefix_match("[1-79]", "6"));
        // First match by priority, like Python: `0|06` stops at "0".
        assert_eq!(captures_prefix("0|06", "0612").unwrap().end, 1);
        let c = captures_prefix("0(8(?:[1-46-8]|5\\d\\d))?", "0812345").unwrap();
        assert_eq!(c.end, 3);
        assert_eq!(c.group(1), Some((1, 3)));
        let c = captures_prefix("0(1\\d)?", "0612").unwrap();
        assert_eq!(c.group(1), None);
        assert_eq!(group_count("(\\d{3})(?:1)(\\d)"), 2);
    }

    #[test]
    fn dollar_anchor() {
        assert_eq!(
            captures_prefix("([2-9]\\d{6})$|1", "2345678")
                .unwrap()
                .group(1),
            Some((0, 7))
        );
        assert_eq!(
            captures_prefix("([2-9]\\d{6})$|1", "12345678").unwrap().end,
            1
        );
        assert!(captures_prefix("([2-9]\\d{6})$", "23456789").is_none());
    }

    #[test]
    fn captures_for_formats() {
        let c = captures_full("(\\d)(\\d{2})(\\d{2})(\\d{2})(\\d{2})", "612345678").unwrap();
        assert_eq!(c.group(1), Some((0, 1)));
        assert_eq!(c.group(5), Some((7, 9)));
        assert_eq!(c.group(6), None);
    }

    #[test]
    fn partial_matching() {
        let c = partial("(\\d)(\\d{2})(\\d{2})(\\d{2})(\\d{2})", "6123", false).unwrap();
        assert!(!c.complete);
        assert_eq!(c.group(1), Some((0, 1)));
        assert_eq!(c.group(2), Some((1, 3)));
        assert_eq!(c.group(3), Some((3, 4)));
        assert_eq!(c.group(4), None);
        assert!(partial("(\\d)(\\d{2})", "612", false).unwrap().complete);
        assert!(partial("(\\d)(\\d{2})", "6123", false).is_none());
        assert!(partial("6[1-3]", "6", false).is_some());
        assert!(partial("6[1-3]", "7", false).is_none());
        assert!(partial("80[6-9]", "80", true).is_some());
        assert!(partial("80[6-9]", "8075", true).is_some());
    }

    #[test]
    fn malformed_patterns_match_nothing() {
        for p in [
            "(", ")", "(?:1", "1)", "[12", "[", "\\", "\\w", "1{", "1{2", "1{3,2}", "1{,2}",
            "(?=1)", "(?", "a", "1*", "1+", "{2}", "?", "[]", "1{9999}", "((((", "))))", "[9-0]",
        ] {
            for i in ["", "1", "11", "12345678901234567"] {
                let _ = full_match(p, i);
                let _ = prefix_match(p, i);
                let _ = partial(p, i, true);
                let _ = partial(p, i, false);
            }
            assert!(!full_match(p, "1") || p == "?" || p == "{2}", "{p}");
        }
        assert!(!full_match("(", ""));
        assert!(!full_match("a", "a"));
    }

    #[test]
    fn work_is_bounded() {
        // Catastrophic backtracking patterns give up instead of hanging.
        let evil = "(?:(?:\\d?){1,40}){1,40}1";
        let _ = full_match(evil, "22222222222222222");
        let nested = "(?:".repeat(1000) + "1" + &")".repeat(1000);
        let _ = full_match(&nested, "1");
        let long = "1".repeat(100);
        assert!(!full_match("\\d+", &long));
        assert!(!full_match(&"\\d".repeat(100), &long));
    }
}
