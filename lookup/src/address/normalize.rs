//! Text normalisation shared by the index builder and the query parser:
//! accent and case folding, tokenisation, French street-name abbreviations
//! (both ways: every form is mapped to one canonical word), stop words,
//! street types, repetition indices (bis, ter…) and edit distance.
//!
//! The index and the query go through the *same* functions, so "Bd",
//! "BOULEVARD" and "boulevard" all become the token `boulevard`.

/// How much a token says about which street is meant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenClass {
    /// Articles and prepositions: "de", "la", "l"… Almost nothing.
    Stop,
    /// Street types: "rue", "avenue", "boulevard"… Something, not much.
    Type,
    /// Everything else: the words that name the street.
    Word,
}

impl TokenClass {
    /// Weight of a query token of this class in the match score.
    pub fn weight(self) -> f32 {
        match self {
            TokenClass::Stop => 0.15,
            TokenClass::Type => 0.5,
            TokenClass::Word => 1.0,
        }
    }
}

/// Abbreviation → canonical word. Canonical words map to themselves
/// implicitly. Only unambiguous abbreviations are here: "lot" (the river,
/// the département) and "col" (a mountain pass) are real street words.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("all", "allee"),
    ("av", "avenue"),
    ("ave", "avenue"),
    ("bd", "boulevard"),
    ("bld", "boulevard"),
    ("blvd", "boulevard"),
    ("boul", "boulevard"),
    ("cdt", "commandant"),
    ("ch", "chemin"),
    ("che", "chemin"),
    ("chem", "chemin"),
    ("cne", "capitaine"),
    ("cpt", "capitaine"),
    ("crs", "cours"),
    ("dr", "docteur"),
    ("esp", "esplanade"),
    ("fbg", "faubourg"),
    ("fg", "faubourg"),
    ("gal", "general"),
    ("gen", "general"),
    ("gl", "general"),
    ("hab", "habitation"),
    ("imp", "impasse"),
    ("lt", "lieutenant"),
    ("mal", "marechal"),
    ("mar", "marechal"),
    ("mte", "montee"),
    ("pass", "passage"),
    ("pdt", "president"),
    ("pl", "place"),
    ("pr", "professeur"),
    ("prof", "professeur"),
    ("prom", "promenade"),
    ("pte", "porte"),
    ("qu", "quai"),
    ("r", "rue"),
    ("res", "residence"),
    ("rte", "route"),
    ("sq", "square"),
    ("st", "saint"),
    ("ste", "sainte"),
    ("vla", "villa"),
];

const STOP_WORDS: &[&str] = &["a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les"];

const STREET_TYPES: &[&str] = &[
    "allee",
    "avenue",
    "boulevard",
    "chaussee",
    "chemin",
    "cite",
    "cour",
    "cours",
    "esplanade",
    "galerie",
    "hameau",
    "impasse",
    "lieu",
    "lotissement",
    "montee",
    "parvis",
    "passage",
    "passerelle",
    "place",
    "port",
    "promenade",
    "quai",
    "residence",
    "rond",
    "route",
    "rue",
    "ruelle",
    "sentier",
    "square",
    "villa",
    "voie",
];

/// The canonical form of one folded token: abbreviations expanded.
pub fn canonical(token: &str) -> &str {
    match ABBREVIATIONS.binary_search_by(|(a, _)| (*a).cmp(token)) {
        Ok(i) => ABBREVIATIONS[i].1,
        Err(_) => token,
    }
}

/// Whether `token` is an abbreviation of something else (`av`, `st`…).
pub fn is_abbreviation(token: &str) -> bool {
    ABBREVIATIONS.binary_search_by(|(a, _)| (*a).cmp(token)).is_ok()
}

/// The class of a canonical token.
pub fn class(token: &str) -> TokenClass {
    if STOP_WORDS.binary_search(&token).is_ok() {
        TokenClass::Stop
    } else if STREET_TYPES.binary_search(&token).is_ok() {
        TokenClass::Type
    } else {
        TokenClass::Word
    }
}

/// Folds (lower case, no accents) and splits into alphanumeric tokens.
/// "Avenue du Général-Lemonnier" → ["avenue", "du", "general", "lemonnier"];
/// "l'Abbé" → ["l", "abbe"].
pub fn tokens(s: &str) -> Vec<String> {
    let folded = fiable_core::text::fold(s);
    folded.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).map(str::to_string).collect()
}

/// Tokens in canonical form (what the index stores).
pub fn canonical_tokens(s: &str) -> Vec<String> {
    tokens(s).iter().map(|t| canonical(t).to_string()).collect()
}

/// Canonical form of a repetition index for comparison: "bis" and "b" are
/// the same index, so are "ter"/"t", "quater"/"q". `None` for anything that
/// is not a plausible index.
pub fn canonical_rep(rep: &str) -> Option<String> {
    let r = fiable_core::text::fold(rep.trim());
    if r.is_empty() || r.len() > 12 || !r.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    Some(
        match r.as_str() {
            "bis" | "b" => "b",
            "ter" | "t" => "t",
            "quater" | "q" => "q",
            "quinquies" => "quinquies",
            other => other,
        }
        .to_string(),
    )
}

/// How a repetition index is written in a label: `b` → `bis` (the BAN
/// writes bis/ter/quater as b/t/q), other letters upper case.
pub fn display_rep(rep: &str) -> String {
    match rep {
        "" => String::new(),
        "b" | "bis" => "bis".into(),
        "t" | "ter" => "ter".into(),
        "q" | "quater" => "quater".into(),
        "quinquies" => "quinquies".into(),
        other => other.to_uppercase(),
    }
}

/// Whether a folded token, standing alone after a house number, is a
/// repetition index rather than the start of the street name.
pub fn is_rep_word(token: &str) -> bool {
    matches!(token, "bis" | "ter" | "quater" | "quinquies")
}

/// Optimal-string-alignment distance (Levenshtein + adjacent
/// transposition) between two short strings, giving up early: returns
/// `max + 1` as soon as the distance is known to exceed `max`.
pub fn edit_distance(a: &str, b: &str, max: usize) -> usize {
    fiable_core::text::osa_distance(a.as_bytes(), b.as_bytes(), max).unwrap_or(max + 1)
}

/// How many typos a query token of this length may contain: 1 from 4
/// characters, 2 from 8. Numbers get none.
pub fn allowed_typos(token: &str) -> usize {
    if token.bytes().any(|b| b.is_ascii_digit()) {
        return 0;
    }
    match token.chars().count() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// A 32-bit FNV-1a hash: the key of the typo (deletion) index. Collisions
/// only cost a wasted edit-distance check.
pub fn hash32(s: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in s {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// Every string obtained by deleting one byte of `t` (deduplicated).
pub fn deletes1(t: &str) -> Vec<String> {
    let b = t.as_bytes();
    let mut out: Vec<String> = Vec::with_capacity(b.len());
    for i in 0..b.len() {
        if !t.is_char_boundary(i) || !t.is_char_boundary(i + 1) {
            continue;
        }
        let mut s = String::with_capacity(b.len() - 1);
        s.push_str(&t[..i]);
        s.push_str(&t[i + 1..]);
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted() {
        assert!(ABBREVIATIONS.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(STREET_TYPES.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn tokenises_and_expands() {
        assert_eq!(canonical_tokens("Av. du Gal Lemonnier"), ["avenue", "du", "general", "lemonnier"]);
        assert_eq!(canonical_tokens("Rue de l'Abbé-Grégoire"), ["rue", "de", "l", "abbe", "gregoire"]);
        assert_eq!(canonical_tokens("BD ST-GERMAIN"), ["boulevard", "saint", "germain"]);
        assert_eq!(class("rue"), TokenClass::Type);
        assert_eq!(class("la"), TokenClass::Stop);
        assert_eq!(class("roquette"), TokenClass::Word);
    }

    #[test]
    fn distances() {
        assert_eq!(edit_distance("lemonier", "lemonnier", 2), 1);
        assert_eq!(edit_distance("roqeutte", "roquette", 2), 1);
        assert_eq!(edit_distance("abc", "xyz", 1), 2);
        assert_eq!(edit_distance("", "ab", 2), 2);
    }

    #[test]
    fn reps() {
        assert_eq!(canonical_rep("BIS").as_deref(), Some("b"));
        assert_eq!(canonical_rep("b").as_deref(), Some("b"));
        assert_eq!(canonical_rep("ter").as_deref(), Some("t"));
        assert_eq!(canonical_rep("").as_deref(), None);
        assert_eq!(display_rep("b"), "bis");
        assert_eq!(display_rep("a"), "A");
    }
}
