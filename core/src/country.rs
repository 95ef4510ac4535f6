//! Countries: ISO 3166 alpha-2 and alpha-3 codes, English and French names.
//!
//! Input is matched whatever the case, accents, spaces, hyphens or
//! apostrophes: "FR", "fra", "France", "Allemagne", "Germany",
//! "royaume uni", "UK", "Côte d'Ivoire". The canonical form is the alpha-2
//! code. Names come from `i18n-iso-countries` (see `data/gen/countries.py`).
//! The English names that differ from the French ones are not in the Wasm:
//! they come with the chunk `text-en` ([`crate::messages::ENGLISH_CHUNK`]).

use crate::messages::{Locale, Msg};
use crate::tables::countries::{ALIASES, COUNTRIES};
use crate::text::name_key;
use crate::{Options, Verdict};
use std::sync::OnceLock;

/// Messages of the `country.` codes.
pub(crate) const MESSAGES: &[Msg] = &[
    Msg { code: "country.valid", en: "", fr: "" },
    Msg { code: "country.unknown", en: "This country is not recognised.", fr: "Ce pays n'est pas reconnu." },
    Msg { code: "country.pending", en: "Checking the country…", fr: "Vérification du pays…" },
];

/// Longest input looked at (the longest name is about 45 characters).
const MAX_LEN: usize = 80;

/// One country: alpha-2, alpha-3, French name.
type Row = (&'static str, &'static str, &'static str);

/// Every country of the table, by alpha-2; split once on first use.
fn table() -> &'static [Row] {
    static ROWS: OnceLock<Vec<Row>> = OnceLock::new();
    ROWS.get_or_init(|| {
        COUNTRIES
            .lines()
            .map(|l| {
                let mut f = l.split('\t');
                let mut next = || f.next().unwrap_or("");
                (next(), next(), next())
            })
            .collect()
    })
}

fn rows() -> impl Iterator<Item = Row> {
    table().iter().copied()
}

/// The extra names accepted as input: (name, alpha-2).
fn aliases() -> impl Iterator<Item = (&'static str, &'static str)> {
    ALIASES.lines().filter_map(|l| l.split_once('\t'))
}

/// (name key, alpha-2) of every name and alias: the French names, the
/// aliases and the English names that differ (in the Wasm, once the chunk
/// `text-en` is loaded: a second index then, the first one lacks them).
fn index() -> &'static [(String, &'static str)] {
    static HOME: OnceLock<Vec<(String, &'static str)>> = OnceLock::new();
    static FULL: OnceLock<Vec<(String, &'static str)>> = OnceLock::new();
    let lock = if crate::messages::english_loaded() { &FULL } else { &HOME };
    lock.get_or_init(|| {
        let mut v = Vec::with_capacity(600);
        for (a2, _, fr) in rows() {
            v.push((name_key(fr), a2));
        }
        for (name, a2) in aliases() {
            v.push((name_key(name), a2));
        }
        for (a2, en) in english_names() {
            v.push((name_key(en), *a2));
        }
        v
    })
}

/// The English names that differ from the French ones, `(alpha-2, name)`.
fn english_names() -> &'static [(&'static str, &'static str)] {
    crate::messages::english_country_names()
}

fn by_code(code: &str) -> Option<Row> {
    let c = code.trim().as_bytes();
    if !c.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    let mut key = [0u8; 3];
    for (k, b) in key.iter_mut().zip(c) {
        *k = b.to_ascii_uppercase();
    }
    match c.len() {
        // The generated table is sorted by alpha-2 (data/gen/countries.py; a test checks).
        2 => {
            let t = table();
            t.binary_search_by(|r| r.0.as_bytes().cmp(&key[..2])).ok().map(|i| t[i])
        }
        3 => rows().find(|r| r.1.as_bytes() == key),
        _ => None,
    }
}

/// The alpha-2 code of a country code or name ("fra", "Allemagne", "UK" → "DE"…), if known.
pub fn resolve(value: &str) -> Option<&'static str> {
    let v = value.trim();
    if v.is_empty() || v.len() > MAX_LEN {
        return None;
    }
    if let Some(r) = by_code(v) {
        return Some(r.0);
    }
    let key = name_key(v);
    index().iter().find(|(k, _)| *k == key).map(|(_, a2)| *a2)
}

/// The alpha-2 code of a code or name of the countries whose numbering
/// plans a French form loads up front (`HOME`: France and the overseas
/// regions sharing its plan), else `None`. What the eager Wasm module,
/// which has no country table, reads of an address country: where it
/// answers, [`resolve`] answers the same (a test checks).
pub fn resolve_home(value: &str) -> Option<&'static str> {
    // Folded letters and digits only: lighter than `name_key` in the eager
    // module, which has no other use for it ("St-Martin" is then left to
    // the full module).
    let key = |s: &str| crate::text::fold(s).chars().filter(|c| crate::text::is_alphanumeric(*c)).collect::<String>();
    let v = value.trim();
    let k = key(v);
    crate::tables::countries::HOME.lines().find_map(|l| {
        let mut f = l.split('\t');
        let a2 = f.next()?;
        let a3 = f.next()?;
        let same = a2.eq_ignore_ascii_case(v) || a3.eq_ignore_ascii_case(v) || f.any(|n| key(n) == k);
        same.then_some(a2)
    })
}

/// The name of a country (alpha-2 or alpha-3 code, any case) in a locale
/// (in the Wasm, English falls back to French until `text-en` is loaded).
pub fn name(code: &str, locale: Locale) -> Option<&'static str> {
    by_code(code).map(|(a2, _, fr)| match locale {
        Locale::En => english_names().iter().find(|(c, _)| *c == a2).map_or(fr, |(_, en)| en),
        Locale::Fr => fr,
    })
}

/// Whether checking this country value would need the chunk `text-en`: it
/// is not resolved yet, and might be an English name.
pub(crate) fn needs_english(value: &str) -> bool {
    !crate::messages::english_loaded() && could_be_name(value.trim()) && resolve(value).is_none()
}

/// Whether a trimmed value is written like a country name: letters, and
/// the spaces and punctuation names use, not too long.
fn could_be_name(v: &str) -> bool {
    v.len() <= MAX_LEN
        && v.chars().any(crate::text::is_letter)
        && v.chars().all(|c| crate::text::is_letter(c) || matches!(c, ' ' | '-' | '\'' | '’' | '.' | ',' | '(' | ')'))
}

/// The one country whose name is close to `key`, if exactly one is.
fn closest(key: &str) -> Option<&'static str> {
    let k: Vec<char> = key.chars().collect();
    let allowed = match k.len() {
        0..=3 => return None,
        4..=5 => 1,
        6..=9 => 2,
        _ => 3,
    };
    let mut best: Option<(usize, &'static str)> = None;
    let mut tie = false;
    for (name, a2) in index() {
        let n: Vec<char> = name.chars().collect();
        if n.len().abs_diff(k.len()) > allowed {
            continue;
        }
        let Some(d) = crate::text::osa_distance(&k, &n, allowed) else {
            continue;
        };
        match best {
            Some((bd, b)) if d > bd || (d == bd && b == *a2) => {}
            Some((bd, _)) if d == bd => tie = true,
            _ => {
                best = Some((d, a2));
                tie = false;
            }
        }
    }
    if tie { None } else { best.map(|(_, a2)| a2) }
}

/// Checks a country field: `valid` with `normalized` = alpha-2 and details
/// `name` in the locale, or `invalid` `country.unknown` with a suggestion
/// (the name in the locale) when one country's name is close.
#[inline(never)]
pub fn check(value: &str, opts: &Options) -> Verdict {
    let v = value.trim();
    if let Some(a2) = resolve(v) {
        let mut out = Verdict::valid("country.valid").with_normalized(a2);
        if let Some(n) = name(a2, opts.locale) {
            out = out.with_text("name", n);
        }
        return out;
    }
    // In the Wasm an English name may still be on its way (chunk `text-en`):
    // no verdict until it is there, never a wrong one.
    if needs_english(v) {
        return Verdict::new(crate::verdict::Status::Pending, "country.pending");
    }
    let mut out = Verdict::invalid("country.unknown");
    if could_be_name(v) {
        if let Some(n) = closest(&name_key(v)).and_then(|a2| name(a2, opts.locale)) {
            out = out.with_suggestion(n);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_home_countries_are_the_french_pack_read_as_resolve_reads_them() {
        let home: Vec<&str> = crate::tables::countries::HOME.lines().filter_map(|l| l.split('\t').next()).collect();
        let mut pack = crate::phone::FAMILIES[0].1.to_vec();
        pack.sort_unstable();
        assert_eq!(home, pack);
        for v in [
            "FR",
            "fra",
            "France",
            " FRANCE ",
            "Réunion",
            "reunion",
            "French Guiana",
            "guyane francaise",
            "Saint-Martin (partie française)",
        ] {
            assert!(resolve_home(v).is_some(), "{v}");
            assert_eq!(resolve_home(v), resolve(v), "{v}");
        }
        for v in ["Belgique", "BE", "bel", "", "Allemagne"] {
            assert_eq!(resolve_home(v), None, "{v}");
        }
    }

    use super::*;

    fn fr() -> Options {
        Options { locale: Locale::Fr, ..Options::default() }
    }

    #[test]
    fn table_is_in_alpha2_order() {
        assert!(table().windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(by_code("de").map(|r| r.1), Some("DEU"));
        assert_eq!(by_code("deu").map(|r| r.0), Some("DE"));
        assert_eq!(by_code("d3"), None);
    }

    #[test]
    fn resolves_codes_and_names() {
        for (input, want) in [
            ("FR", "FR"),
            ("fr", "FR"),
            ("FRA", "FR"),
            ("france", "FR"),
            ("Allemagne", "DE"),
            ("Germany", "DE"),
            ("royaume uni", "GB"),
            ("Royaume-Uni", "GB"),
            ("UK", "GB"),
            ("gbr", "GB"),
            ("Etats-Unis", "US"),
            ("U.S.A.", "US"),
            ("cote d'ivoire", "CI"),
            ("Côte-d’Ivoire", "CI"),
            ("Pays-Bas", "NL"),
            ("St Lucia", "LC"),
            ("Sainte-Lucie", "LC"),
            ("  Suisse ", "CH"),
        ] {
            assert_eq!(resolve(input), Some(want), "{input}");
        }
        assert_eq!(resolve("Congo"), None, "ambiguous");
        assert_eq!(resolve("Narnia"), None);
        assert_eq!(resolve(""), None);
    }

    #[test]
    fn names() {
        assert_eq!(name("DE", Locale::Fr), Some("Allemagne"));
        assert_eq!(name("de", Locale::En), Some("Germany"));
        assert_eq!(name("DEU", Locale::En), Some("Germany"));
        assert_eq!(name("AF", Locale::Fr), Some("Afghanistan"));
        assert_eq!(name("ZZ", Locale::Fr), None);
        assert_eq!(rows().count(), 250);
        assert!(aliases().count() > 50);
        // every country has a name in both languages and resolves to itself
        for (a2, a3, fr) in rows() {
            assert_eq!(resolve(a2), Some(a2));
            assert_eq!(resolve(a3), Some(a2));
            assert!(a2.len() == 2 && a3.len() == 3 && !fr.is_empty(), "{a2}");
            assert_eq!(resolve(fr), Some(a2), "{fr}");
            let en = name(a2, Locale::En).unwrap_or_default();
            assert_eq!(resolve(en), Some(a2), "{en}");
        }
        assert!(english_names().len() > 150);
        assert!(english_names().windows(2).all(|w| w[0].0 < w[1].0));
        assert!(!needs_english("Germany") && !needs_english(""));
        for (n, a2) in aliases() {
            assert_eq!(resolve(n), Some(a2), "{n}");
        }
    }

    #[test]
    fn checks() {
        let v = check("allemagne", &fr());
        assert_eq!((v.code, v.normalized.as_deref()), ("country.valid", Some("DE")));
        assert_eq!(v.details.get("name").map(|d| d.to_text()).as_deref(), Some("Allemagne"));
        let v = check("Allemagen", &fr());
        assert_eq!((v.code, v.suggestion.as_deref()), ("country.unknown", Some("Allemagne")));
        let v = check("Frnace", &Options::default());
        assert_eq!(v.suggestion.as_deref(), Some("France"));
        let v = check("Xyzzyland", &Options::default());
        assert_eq!((v.code, v.suggestion.as_deref()), ("country.unknown", None));
        assert_eq!(check("QQ", &Options::default()).suggestion, None);
    }

    #[test]
    fn distance_counts_transpositions_once() {
        let d = |a: &str, b: &str| crate::text::osa_distance(&a.chars().collect::<Vec<_>>(), &b.chars().collect::<Vec<_>>(), 9).unwrap();
        assert_eq!(d("allemagen", "allemagne"), 1);
        assert_eq!(d("", "abc"), 3);
        assert_eq!(d("kitten", "sitting"), 3);
    }
}
