//! A street line: house number (optional) and street name, e.g.
//! "12 bis rue de la Paix". The lookup service's address autocomplete
//! completes it; this check is what the page can say on its own.
//!
//! The line is normalised (trimmed, runs of spaces and tabs made one
//! space). It is invalid when longer than [`MAX_CHARS`] characters
//! (`field.too_long`), when
//! it has no letter ("12" alone names no street) or when it holds
//! characters no address has (`@`, `<`, `{`, …). A leading house number
//! with its repetition index ("12", "12 bis", "12B", "3-5") is returned
//! as the `housenumber` detail; without one the verdict is still valid
//! but says so (`street.no_number`): many addresses have a number, some
//! (a lieu-dit, "Le Bourg") do not.

use crate::messages::Msg;
use crate::text::{is_digit, is_letter};
use crate::{Options, Verdict};

/// Messages of the `street.` codes.
pub(crate) const MESSAGES: &[Msg] = &[
    Msg { code: "street.valid", en: "", fr: "" },
    // Short texts: every byte here ships in the Wasm of every page.
    Msg { code: "street.no_number", en: "No house number?", fr: "Pas de numéro\u{A0}?" },
    Msg { code: "street.no_letters", en: "Add the street name.", fr: "Ajoutez le nom de la voie." },
    Msg { code: "street.bad_characters", en: "Unexpected characters.", fr: "Caractères inattendus." },
];

/// Longest street line, in characters. A French postal line holds 38
/// (AFNOR NF Z10-011), but people type the whole street name and the
/// service shortens it; past 100 it is not an address line.
pub const MAX_CHARS: usize = 100;

/// Repetition indexes written after a house number ("12 bis").
const INDEXES: &str = "bis ter quater quinquies";

/// Checks a street line (non-empty: empty values are handled before).
pub fn check(value: &str, _opts: &Options) -> Verdict {
    let line = crate::text::squash_spaces(value);
    if crate::text::char_count(&line) > MAX_CHARS {
        return Verdict::invalid("field.too_long");
    }
    let allowed = |c: char| is_letter(c) || is_digit(c) || matches!(c, ' ' | '\'' | '’' | '-' | ',' | '.' | '/' | '°' | '(' | ')' | '&');
    if !line.chars().all(allowed) {
        return Verdict::invalid("street.bad_characters");
    }
    if !line.chars().any(is_letter) {
        return Verdict::invalid("street.no_letters");
    }
    match house_number(&line) {
        Some(n) => Verdict::valid("street.valid").with_normalized(line.clone()).with_text("housenumber", n),
        None => Verdict::valid("street.no_number").with_normalized(line.clone()),
    }
}

/// The leading house number with its index, if the line starts with one:
/// digits, an optional range ("3-5"), then an optional letter or
/// repetition index, glued or after a space ("12B", "12 bis").
fn house_number(line: &str) -> Option<String> {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 5 {
        return None;
    }
    let mut end = digits;
    let rest = &line[end..];
    if let Some(r) = rest.strip_prefix('-') {
        let more = r.bytes().take_while(u8::is_ascii_digit).count();
        if more > 0 && more <= 5 {
            end += 1 + more;
        }
    }
    let rest = &line[end..];
    let word = rest.trim_start_matches(' ');
    let word_end = word.find([' ', ',']).unwrap_or(word.len());
    let w = &word[..word_end];
    let glued = rest.len() == word.len();
    let is_index = INDEXES.split(' ').any(|i| w.eq_ignore_ascii_case(i));
    // One letter glued ("12B") or alone before the street ("12 B rue …").
    let is_letter_index = w.len() == 1 && w.bytes().all(|b| b.is_ascii_alphabetic()) && (glued || word_end < word.len());
    if is_index || is_letter_index {
        end += (rest.len() - word.len()) + word_end;
    } else if !glued && rest.is_empty() {
        // The number alone ("12") has no street: the no-letter rule said so.
    } else if glued && !rest.is_empty() && !rest.starts_with([' ', ',']) {
        // "12e arrondissement", "1er étage": not a house number.
        return None;
    }
    let n = line[..end].trim_end().to_string();
    // A number then nothing else but the index names no street.
    (end < line.len()).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn house_numbers() {
        assert_eq!(house_number("12 rue de la Paix").as_deref(), Some("12"));
        assert_eq!(house_number("12 bis rue de la Paix").as_deref(), Some("12 bis"));
        assert_eq!(house_number("12B rue de la Paix").as_deref(), Some("12B"));
        assert_eq!(house_number("3-5 avenue Foch").as_deref(), Some("3-5"));
        assert_eq!(house_number("12, rue de la Paix").as_deref(), Some("12"));
        assert_eq!(house_number("rue de la Paix").as_deref(), None);
        assert_eq!(house_number("1er étage").as_deref(), None);
        assert_eq!(house_number("Bâtiment B").as_deref(), None);
    }
}
