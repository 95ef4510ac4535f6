//! Parsing what a person types into an address field: house number and
//! repetition index (kept as typed, never dropped), an optional postcode,
//! and the words of the street and commune.

use super::normalize::{self, TokenClass};

/// Longest query looked at, in characters (the HTTP layer rejects longer).
pub const MAX_QUERY_CHARS: usize = 200;
/// Most words used from a query.
pub const MAX_TERMS: usize = 12;

/// One word of the query.
#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    /// Folded, as typed ("av", "lemonier").
    pub text: String,
    /// Canonical form ("avenue").
    pub canon: String,
    /// Stop word, street type or naming word.
    pub class: TokenClass,
    /// The last word, still being typed: matches as a prefix too.
    pub prefix: bool,
}

/// A parsed query.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Query {
    /// House number, when the query starts with one.
    pub number: Option<u32>,
    /// Canonical repetition index (`b` for bis…), when typed.
    pub rep: Option<String>,
    /// The repetition index as typed (folded), for messages.
    pub rep_typed: Option<String>,
    /// A 5-digit postcode found among the words.
    pub postcode: Option<String>,
    /// The remaining words.
    pub terms: Vec<Term>,
}

impl Query {
    /// The house number as typed back to the person: "12 bis".
    pub fn housenumber_label(&self) -> Option<String> {
        let n = self.number?;
        Some(match &self.rep_typed {
            Some(r) => format!("{n} {}", normalize::display_rep(r)),
            None => n.to_string(),
        })
    }
}

/// Parses a query. Never panics, whatever the input.
pub fn parse(q: &str) -> Query {
    let q: String = q.chars().take(MAX_QUERY_CHARS).collect();
    let ends_open = q.chars().last().is_some_and(char::is_alphanumeric);
    let toks = normalize::tokens(&q);
    let mut out = Query::default();
    let mut i = 0;

    if let Some(first) = toks.first() {
        let digits: String = first.chars().take_while(|c| c.is_ascii_digit()).collect();
        let rest = &first[digits.len()..];
        let is_postcode = digits.len() == 5 && rest.is_empty();
        if !digits.is_empty() && digits.len() <= 5 && !is_postcode {
            if let Ok(n) = digits.parse::<u32>() {
                let rep_ok = rest.is_empty() || (rest.len() <= 9 && rest.chars().all(|c| c.is_ascii_alphanumeric()));
                if rep_ok {
                    out.number = Some(n);
                    if !rest.is_empty() {
                        out.rep = normalize::canonical_rep(rest);
                        out.rep_typed = Some(rest.to_string());
                    }
                    i = 1;
                }
            }
        }
    }
    // "12 bis rue…", "12 b rue…": a separate repetition index.
    if out.number.is_some() && out.rep.is_none() {
        if let Some(t) = toks.get(1) {
            let more_follow = toks.len() > 2;
            let single_letter = t.len() == 1 && t.chars().all(|c| c.is_ascii_alphabetic()) && !matches!(t.as_str(), "r" | "l");
            if normalize::is_rep_word(t) || (single_letter && more_follow) {
                out.rep = normalize::canonical_rep(t);
                out.rep_typed = Some(t.clone());
                i = 2;
            }
        }
    }
    let is_postcode = |t: &str| t.len() == 5 && t.bytes().all(|b| b.is_ascii_digit());
    // The word still being typed is the last one, or the last before a
    // trailing postcode: "1 place de la rou 10129" was cut short before the
    // postcode was added, so "rou" still matches as a prefix.
    let last_word = toks.iter().rposition(|t| !is_postcode(t));
    let open = |j: usize| Some(j) == last_word && (ends_open || j + 1 < toks.len());
    for (j, t) in toks.iter().enumerate().skip(i) {
        if is_postcode(t) {
            out.postcode = Some(t.clone());
            continue;
        }
        if out.terms.len() >= MAX_TERMS {
            break;
        }
        let canon = normalize::canonical(t).to_string();
        // A street type is one only in first place: "rue du Hameau".
        let class = match normalize::class(&canon) {
            TokenClass::Type if !out.terms.is_empty() => TokenClass::Word,
            c => c,
        };
        out.terms.push(Term { class, text: t.clone(), canon, prefix: open(j) });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_and_rep() {
        let q = parse("12 bis r de la roquette");
        assert_eq!(q.number, Some(12));
        assert_eq!(q.rep.as_deref(), Some("b"));
        assert_eq!(q.terms.iter().map(|t| t.canon.as_str()).collect::<Vec<_>>(), ["rue", "de", "la", "roquette"]);
        assert!(q.terms.last().unwrap().prefix);

        let q = parse("12b rue de la roquette ");
        assert_eq!((q.number, q.rep.as_deref()), (Some(12), Some("b")));
        assert!(!q.terms.last().unwrap().prefix);

        let q = parse("12 r");
        assert_eq!((q.number, q.rep.as_deref()), (Some(12), None));
        assert_eq!(q.terms[0].canon, "rue");

        let q = parse("3 a rue x");
        assert_eq!(q.rep.as_deref(), Some("a"));
        assert_eq!(q.housenumber_label().as_deref(), Some("3 A"));
    }

    #[test]
    fn postcode() {
        let q = parse("rue de la roquette 75011");
        assert_eq!(q.postcode.as_deref(), Some("75011"));
        assert_eq!(q.number, None);
        let q = parse("75011 roquette");
        assert_eq!((q.postcode.as_deref(), q.number), (Some("75011"), None));
    }

    #[test]
    fn word_before_a_trailing_postcode_is_open() {
        let q = parse("1 place de la rou 10129");
        assert_eq!(q.postcode.as_deref(), Some("10129"));
        assert_eq!(q.terms.iter().map(|t| t.prefix).collect::<Vec<_>>(), [false, false, false, true]);
        // Closed by a space and nothing after it: a whole word.
        assert!(!parse("1 place de la rou ").terms.last().unwrap().prefix);
        // A postcode alone, or before the words: nothing is cut short by it.
        assert!(parse("10129").terms.is_empty());
        assert!(parse("10129 rou ").terms.iter().all(|t| !t.prefix));
    }
}
