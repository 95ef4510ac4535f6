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
//! A pattern is compiled into a small program (digit sets as bit masks,
//! counted repetitions unrolled, every branch guarded by the set of digits
//! it can start with) and run by a backtracking machine. The generated
//! tables' patterns are compiled once, on first use, into a slot indexed by
//! pattern number ([`cached`]); with the program come the shortest and
//! longest input it can match and its possible first digits, which reject
//! most inputs before any matching. Nothing panics: a malformed pattern
//! matches nothing, and the work per call is bounded (a step budget and a
//! recursion limit), so no pattern or input can blow up. `data/gen/phone.py`
//! rejects any metadata pattern outside the subset.

/// Most capturing groups recorded.
pub const MAX_GROUPS: usize = 9;
/// Longest input considered; longer input matches nothing.
pub const MAX_INPUT: usize = 64;
/// Longest pattern considered; longer patterns match nothing.
pub const MAX_PATTERN: usize = 8192;
/// Largest compiled program (counted repetitions unrolled).
const MAX_PROGRAM: usize = 32_768;
const BUDGET: u32 = 200_000;
const MAX_DEPTH: u32 = 400;
const UNSET: u8 = u8::MAX;
/// In a first-digit set: the branch can match the empty string.
const NULLABLE: u16 = 1 << 15;

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
        if s == UNSET || e == UNSET { None } else { Some((s as usize, e as usize)) }
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

#[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
fn run(pattern: &str, input: &str, full: bool, partial: bool) -> Option<Captures> {
    if pattern.len() > MAX_PATTERN {
        return None;
    }
    compile(pattern.as_bytes())?.exec(input.as_bytes(), full, partial, false)
}

/// A pattern of the generated tables: its number there (which names its
/// cache slot) and its text.
#[derive(Clone, Copy, Debug)]
pub struct Static {
    /// Index in the generated pattern table (distinct per pattern).
    pub id: u16,
    /// The pattern.
    pub text: &'static str,
}

/// The same functions for the generated tables' patterns: each is compiled
/// once, on first use, into the slot of its number.
pub mod cached {
    use super::{Captures, MAX_PATTERN, Program, Static, compile};
    use std::sync::RwLock;

    enum Slot {
        Unknown,
        Malformed,
        Ready(Program),
    }

    /// A static, not a thread-local: no accessor to call through for each
    /// of the dozen patterns a phone check tries (in the Wasm, without
    /// threads, the lock is a counter).
    static CACHE: RwLock<Vec<Slot>> = RwLock::new(Vec::new());

    #[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
    fn run(p: Static, input: &str, full: bool, partial: bool, fit: bool) -> Option<Captures> {
        let id = usize::from(p.id);
        {
            let slots = CACHE.read().unwrap_or_else(|e| e.into_inner());
            match slots.get(id) {
                Some(Slot::Ready(prog)) => return prog.exec(input.as_bytes(), full, partial, fit),
                Some(Slot::Malformed) => return None,
                _ => {}
            }
        }
        let compiled = if p.text.len() > MAX_PATTERN { None } else { compile(p.text.as_bytes()) };
        let out = compiled.as_ref().and_then(|prog| prog.exec(input.as_bytes(), full, partial, fit));
        let mut slots = CACHE.write().unwrap_or_else(|e| e.into_inner());
        if slots.len() <= id {
            slots.resize_with(id + 1, || Slot::Unknown);
        }
        slots[id] = compiled.map_or(Slot::Malformed, Slot::Ready);
        out
    }

    /// See [`super::full_match`].
    pub fn full_match(p: Static, input: &str) -> bool {
        run(p, input, true, false, false).is_some()
    }
    /// See [`super::prefix_match`].
    pub fn prefix_match(p: Static, input: &str) -> bool {
        run(p, input, false, false, false).is_some()
    }
    /// See [`super::captures_prefix`].
    pub fn captures_prefix(p: Static, input: &str) -> Option<Captures> {
        run(p, input, false, false, false)
    }
    /// See [`super::partial`].
    pub fn partial(p: Static, input: &str, prefix: bool) -> Option<Captures> {
        run(p, input, !prefix, true, false)
    }
    /// The first match at the start of `input`, as [`captures_prefix`], if
    /// the pattern can match that many digits at all (else `None` at once):
    /// what a number format's `re.sub` matches first.
    pub fn captures_fitting(p: Static, input: &str) -> Option<Captures> {
        run(p, input, false, false, true)
    }
}

// ---------------------------------------------------------------------------
// Parsing.

/// One atom of the pattern.
enum Node {
    /// One digit of the set (bit `d` for digit `d`).
    Digit(u16),
    /// `$`.
    End,
    /// A group: its capture index (if recorded) and its branches.
    Group(Option<u8>, Vec<Vec<Term>>),
}

/// An atom and its repetition.
struct Term {
    node: Node,
    min: u16,
    max: u16,
}

/// What a piece of pattern can match: lengths and first digits.
#[derive(Clone, Copy)]
struct Shape {
    min: u32,
    max: u32,
    /// Digits a non-empty match can start with, and [`NULLABLE`].
    first: u16,
}

const EMPTY: Shape = Shape { min: 0, max: 0, first: NULLABLE };

fn then(a: Shape, b: Shape) -> Shape {
    Shape {
        min: a.min.saturating_add(b.min),
        max: a.max.saturating_add(b.max),
        first: if a.first & NULLABLE != 0 { (a.first & !NULLABLE) | b.first } else { a.first },
    }
}

fn either(a: Shape, b: Shape) -> Shape {
    Shape { min: a.min.min(b.min), max: a.max.max(b.max), first: a.first | b.first }
}

impl Node {
    fn shape(&self) -> Shape {
        match self {
            Node::Digit(m) => Shape { min: 1, max: 1, first: *m },
            Node::End => EMPTY,
            Node::Group(_, alts) => alts.iter().map(|b| branch_shape(b)).reduce(either).unwrap_or(EMPTY),
        }
    }
}

impl Term {
    fn shape(&self) -> Shape {
        let s = self.node.shape();
        Shape {
            min: s.min.saturating_mul(u32::from(self.min)),
            max: s.max.saturating_mul(u32::from(self.max)),
            first: if self.min == 0 { s.first | NULLABLE } else { s.first },
        }
    }
}

fn branch_shape(terms: &[Term]) -> Shape {
    terms.iter().map(Term::shape).fold(EMPTY, then)
}

struct Parser<'p> {
    p: &'p [u8],
    i: usize,
    groups: usize,
    depth: u32,
}

impl Parser<'_> {
    /// Branches up to a `)` or the end.
    fn alternation(&mut self) -> Option<Vec<Vec<Term>>> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let mut alts = vec![self.sequence()?];
        while self.p.get(self.i) == Some(&b'|') {
            self.i += 1;
            alts.push(self.sequence()?);
        }
        self.depth -= 1;
        Some(alts)
    }

    fn sequence(&mut self) -> Option<Vec<Term>> {
        let mut terms = Vec::new();
        loop {
            let node = match self.p.get(self.i) {
                None | Some(b'|' | b')') => return Some(terms),
                Some(b'$') => {
                    self.i += 1;
                    terms.push(Term { node: Node::End, min: 1, max: 1 });
                    continue;
                }
                Some(b'(') => {
                    let cap = if self.p.get(self.i + 1) == Some(&b'?') {
                        if self.p.get(self.i + 2) != Some(&b':') {
                            return None;
                        }
                        self.i += 3;
                        None
                    } else {
                        self.i += 1;
                        self.groups += 1;
                        (self.groups <= MAX_GROUPS).then(|| (self.groups - 1) as u8)
                    };
                    let alts = self.alternation()?;
                    if self.p.get(self.i) != Some(&b')') {
                        return None;
                    }
                    self.i += 1;
                    Node::Group(cap, alts)
                }
                Some(b'[') => {
                    let close = self.i + self.p[self.i..].iter().position(|&c| c == b']')?;
                    let body = &self.p[self.i + 1..close];
                    self.i = close + 1;
                    Node::Digit(class_mask(body)?)
                }
                Some(b'\\') => {
                    if self.p.get(self.i + 1) != Some(&b'd') {
                        return None;
                    }
                    self.i += 2;
                    Node::Digit(0x3ff)
                }
                Some(&c @ b'0'..=b'9') => {
                    self.i += 1;
                    Node::Digit(1 << (c - b'0'))
                }
                Some(_) => return None,
            };
            let (min, max, next) = quantifier(self.p, self.i)?;
            self.i = next;
            terms.push(Term { node, min, max });
        }
    }
}

/// The digits a class body (`0-57-9`) accepts; `None` when the body is
/// malformed or outside the subset: empty (`[]`), a reversed range
/// (`[9-0]`, an error in Python too) or anything but digits and ranges.
/// Such a class used to compile to "no digit", which a partial match
/// still accepted on empty input.
fn class_mask(body: &[u8]) -> Option<u16> {
    let mut m = 0u16;
    let mut i = 0;
    while i < body.len() {
        let lo = body[i];
        if !lo.is_ascii_digit() {
            return None;
        }
        if body.get(i + 1) == Some(&b'-') && i + 2 < body.len() {
            let hi = body[i + 2];
            if !hi.is_ascii_digit() || hi < lo {
                return None;
            }
            for d in lo..=hi {
                m |= 1 << (d - b'0');
            }
            i += 3;
        } else {
            m |= 1 << (lo - b'0');
            i += 1;
        }
    }
    (m != 0).then_some(m)
}

/// Parses an optional quantifier at `i`: (min, max, position after it).
fn quantifier(p: &[u8], i: usize) -> Option<(u16, u16, usize)> {
    match p.get(i) {
        Some(b'?') => Some((0, 1, i + 1)),
        Some(b'{') => {
            let close = i + p.get(i..)?.iter().position(|&c| c == b'}')?;
            let body = p.get(i + 1..close)?;
            let num = |s: &[u8]| -> Option<u16> {
                if s.is_empty() || s.len() > 3 || !s.iter().all(u8::is_ascii_digit) {
                    return None;
                }
                Some(s.iter().fold(0u16, |n, &c| n * 10 + u16::from(c - b'0')))
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

// ---------------------------------------------------------------------------
// Compiling.

#[derive(Clone, Copy, Debug)]
enum Inst {
    /// One digit of the set.
    Digit(u16),
    /// Greedily `min..=max` digits of the set.
    Repeat(u16, u8, u8),
    /// Try the next instruction, then (on failure) `.0`; the next one only
    /// if the input's next digit is in the set `.1` (or it may be empty).
    Split(u16, u16),
    Jump(u16),
    /// Capture group `.0` opens.
    Open(u8),
    /// Capture group `.0` closes.
    Close(u8),
    /// `$`.
    End,
    Match,
}

/// A compiled pattern.
pub(crate) struct Program {
    code: Vec<Inst>,
    min: u32,
    max: u32,
    first: u16,
}

struct Emitter {
    code: Vec<Inst>,
}

impl Emitter {
    fn push(&mut self, i: Inst) -> Option<usize> {
        if self.code.len() >= MAX_PROGRAM {
            return None;
        }
        self.code.push(i);
        Some(self.code.len() - 1)
    }

    fn here(&self) -> u16 {
        self.code.len() as u16
    }

    fn alternation(&mut self, alts: &[Vec<Term>]) -> Option<()> {
        let mut jumps = Vec::new();
        for (n, branch) in alts.iter().enumerate() {
            if n + 1 < alts.len() {
                let split = self.push(Inst::Split(0, branch_shape(branch).first))?;
                self.sequence(branch)?;
                jumps.push(self.push(Inst::Jump(0))?);
                let next = self.here();
                self.code[split] = Inst::Split(next, branch_shape(branch).first);
            } else {
                self.sequence(branch)?;
            }
        }
        let end = self.here();
        for j in jumps {
            self.code[j] = Inst::Jump(end);
        }
        Some(())
    }

    fn sequence(&mut self, terms: &[Term]) -> Option<()> {
        terms.iter().try_for_each(|t| self.term(t))
    }

    fn term(&mut self, t: &Term) -> Option<()> {
        if let Node::Digit(m) = t.node {
            if t.min == 1 && t.max == 1 {
                self.push(Inst::Digit(m))?;
            } else {
                // Inputs are at most MAX_INPUT long: counts past 255 act alike.
                let min = t.min.min(255) as u8;
                let max = t.max.min(255) as u8;
                self.push(Inst::Repeat(m, min, max))?;
            }
            return Some(());
        }
        for _ in 0..t.min {
            self.node(&t.node)?;
        }
        // Optional iterations, nested: each one only after the one before.
        let first = t.node.shape().first;
        let mut splits = Vec::new();
        for _ in t.min..t.max {
            splits.push(self.push(Inst::Split(0, first))?);
            self.node(&t.node)?;
        }
        let end = self.here();
        for s in splits {
            self.code[s] = Inst::Split(end, first);
        }
        Some(())
    }

    fn node(&mut self, n: &Node) -> Option<()> {
        match n {
            Node::Digit(m) => self.push(Inst::Digit(*m)).map(drop),
            Node::End => self.push(Inst::End).map(drop),
            Node::Group(cap, alts) => {
                if let Some(g) = cap {
                    self.push(Inst::Open(*g))?;
                }
                self.alternation(alts)?;
                if let Some(g) = cap {
                    self.push(Inst::Close(*g))?;
                }
                Some(())
            }
        }
    }
}

/// Parses and compiles a pattern; `None` when it is malformed.
pub(crate) fn compile(p: &[u8]) -> Option<Program> {
    let mut parser = Parser { p, i: 0, groups: 0, depth: 0 };
    let alts = parser.alternation()?;
    if parser.i != p.len() {
        return None;
    }
    let shape = alts.iter().map(|b| branch_shape(b)).reduce(either).unwrap_or(EMPTY);
    let mut e = Emitter { code: Vec::new() };
    e.alternation(&alts)?;
    e.push(Inst::Match)?;
    Some(Program { code: e.code, min: shape.min, max: shape.max, first: shape.first })
}

// ---------------------------------------------------------------------------
// Running.

fn bit(d: u8) -> u16 {
    if d.is_ascii_digit() { 1 << (d - b'0') } else { 0 }
}

impl Program {
    /// `fit`: match a prefix only if the whole input is not too long to match.
    #[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
    pub(crate) fn exec(&self, inp: &[u8], full: bool, partial: bool, fit: bool) -> Option<Captures> {
        let len = inp.len();
        if len > MAX_INPUT {
            return None;
        }
        // What the pattern's shape alone rules out.
        if ((full || fit) && len as u32 > self.max) || (!partial && (len as u32) < self.min) {
            return None;
        }
        if self.first & NULLABLE == 0 {
            match inp.first() {
                Some(&d) if self.first & bit(d) == 0 => return None,
                None if !partial => return None,
                _ => {}
            }
        }
        let mut m =
            Machine { code: &self.code, inp, full, partial, budget: BUDGET, depth: 0, caps: [(UNSET, UNSET); MAX_GROUPS], out: None };
        m.run(0, 0);
        m.out
    }
}

struct Machine<'a> {
    code: &'a [Inst],
    inp: &'a [u8],
    full: bool,
    partial: bool,
    budget: u32,
    depth: u32,
    caps: [(u8, u8); MAX_GROUPS],
    out: Option<Captures>,
}

impl Machine<'_> {
    /// Runs from instruction `pc` at input `ii`; true once matched.
    #[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
    fn run(&mut self, mut pc: usize, mut ii: usize) -> bool {
        if self.depth >= MAX_DEPTH {
            self.budget = 0;
        }
        self.depth += 1;
        let r = loop {
            if self.budget == 0 {
                break false;
            }
            self.budget -= 1;
            let Some(&inst) = self.code.get(pc) else {
                break false;
            };
            match inst {
                Inst::Digit(m) => match self.inp.get(ii) {
                    Some(&d) if m & bit(d) != 0 => {
                        ii += 1;
                        pc += 1;
                    }
                    Some(_) => break false,
                    None => break self.partial && self.ran_out(),
                },
                Inst::Repeat(m, min, max) => {
                    let (min, max) = (usize::from(min), usize::from(max));
                    let mut n = 0;
                    while n < max && self.inp.get(ii + n).is_some_and(|&d| m & bit(d) != 0) {
                        n += 1;
                    }
                    if n < max && ii + n == self.inp.len() && self.partial {
                        break self.ran_out();
                    }
                    if n < min {
                        break false;
                    }
                    // At the end of a full match only one count can work.
                    if self.full && matches!(self.code.get(pc + 1), Some(Inst::Match)) {
                        let want = self.inp.len() - ii;
                        if want < min || want > n {
                            break false;
                        }
                        ii += want;
                        pc += 1;
                        continue;
                    }
                    let mut k = n;
                    while k > min {
                        let saved = self.caps;
                        if self.run(pc + 1, ii + k) {
                            self.depth -= 1;
                            return true;
                        }
                        self.caps = saved;
                        if self.budget == 0 {
                            break;
                        }
                        k -= 1;
                    }
                    ii += min;
                    pc += 1;
                }
                Inst::Split(alt, first) => {
                    let try_next = first & NULLABLE != 0
                        || match self.inp.get(ii) {
                            Some(&d) => first & bit(d) != 0,
                            None => self.partial,
                        };
                    if try_next {
                        let saved = self.caps;
                        if self.run(pc + 1, ii) {
                            self.depth -= 1;
                            return true;
                        }
                        self.caps = saved;
                    }
                    pc = usize::from(alt);
                }
                Inst::Jump(to) => pc = usize::from(to),
                Inst::Open(g) => {
                    if let Some(c) = self.caps.get_mut(usize::from(g)) {
                        *c = (ii as u8, UNSET);
                    }
                    pc += 1;
                }
                Inst::Close(g) => {
                    if let Some(c) = self.caps.get_mut(usize::from(g)) {
                        c.1 = ii as u8;
                    }
                    pc += 1;
                }
                Inst::End => {
                    if ii != self.inp.len() {
                        break false;
                    }
                    pc += 1;
                }
                Inst::Match => {
                    if self.full && ii != self.inp.len() {
                        break false;
                    }
                    self.out = Some(Captures { end: ii, complete: true, groups: self.caps });
                    break true;
                }
            }
        };
        self.depth -= 1;
        r
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
        self.out = Some(Captures { end: self.inp.len(), complete: false, groups });
        true
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
        assert_eq!(captures_prefix("([2-9]\\d{6})$|1", "2345678").unwrap().group(1), Some((0, 7)));
        assert_eq!(captures_prefix("([2-9]\\d{6})$|1", "12345678").unwrap().end, 1);
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
            "(", ")", "(?:1", "1)", "[12", "[", "\\", "\\w", "1{", "1{2", "1{3,2}", "1{,2}", "(?=1)", "(?", "a", "1*", "1+", "{2}", "?",
            "[]", "1{9999}", "((((", "))))", "[9-0]", "1??", "1{2}{3}", "\\d?+", "?1", "{2}1", "[a-c]", "[1-]", "[-1]", "[0-9a]",
        ] {
            for i in ["", "1", "11", "12345678901234567"] {
                let _ = full_match(p, i);
                let _ = prefix_match(p, i);
                let _ = partial(p, i, true);
                let _ = partial(p, i, false);
            }
            // No excuse: a quantifier with nothing to repeat is malformed too.
            assert!(!full_match(p, "1") && !full_match(p, "") && !prefix_match(p, "1"), "{p}");
            assert!(partial(p, "1", true).is_none() && partial(p, "", false).is_none(), "{p}");
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
