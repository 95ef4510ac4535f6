//! First and last names: clean-up, casing, junk.
//!
//! What a person finds helpful, as decided here:
//! - A name is *never* wrong for being rare: "Ng", "Li", "Oz", "Ève", "Zoë",
//!   "N'Diaye", "Saint-Exupéry", "Ó Súilleabháin", any script.
//! - Casing is not an error: capitals are a French administrative habit.
//!   The verdict stays `valid`, `normalized` carries the tidy form
//!   ("jean-pierre" → "Jean-Pierre", "DE LA FONTAINE" → "de La Fontaine")
//!   and `suggestion` repeats it when it differs from what was typed, so the
//!   widget can apply it on blur.
//! - Only a word typed all in capitals or all in lower case is re-cased. A
//!   word typed with deliberate inner capitals ("MacDonald", "DiCaprio",
//!   "LeBlanc") or in title case ("De Bruyne", "D'Angelo") is kept as typed;
//!   "mcdonald" becomes "Mcdonald" (Mc/Mac is not forced).
//! - Last-name particles: `de`, `du`, `des` (before another word) and an
//!   elided `d'` after the first word are lower case ("de La Fontaine",
//!   "Giscard d'Estaing"); `Le`/`La` are part of the name and capitalised
//!   ("Le Pen", "de La Fontaine"); an all-caps `D'` opening the name stays
//!   capital ("D'ANGELO" → "D'Angelo") as it is for most such names.
//!   Inside a name (not first, not last) `van`, `von`, `der`, `den`, `da`,
//!   `dos`, `di`, `del`, `y`… are lower case too ("VAN DER BERG" →
//!   "Van der Berg", "PEREIRA DA SILVA" → "Pereira da Silva").
//! - Curly apostrophes become `'`, dashes `-`, whitespace runs collapse, no
//!   space around hyphens or apostrophes.
//! - Invalid (`name.invalid_chars`): digits, `@`, emoji, punctuation other
//!   than space, hyphen, apostrophe and an abbreviating period ("St. John").
//!   Invalid too: a letter repeated ("aaaa", `name.repeated`) and keyboard
//!   runs ("azerty", "qsdfgh", `name.keyboard`) — nobody is called that.
//! - Warnings (the person may be right): placeholders such as "test",
//!   "toto", "nom" (`name.placeholder`: Toto is a nickname, Test a rare
//!   surname), a single letter (`name.too_short`: an initial, though
//!   single-letter names exist, e.g. "O", "Ö"), more than 60 characters
//!   (`name.too_long`: probably two fields pasted into one).

use crate::messages::Msg;
use crate::text::{self, fold};
use crate::{Options, Verdict};

/// Messages of this module.
pub(crate) const MESSAGES: &[Msg] = &[
    Msg { code: "name.valid", en: "", fr: "" },
    Msg { code: "name.invalid_chars", en: "A name cannot contain {chars}.", fr: "Un nom ne peut pas contenir {chars}." },
    Msg { code: "name.no_letters", en: "Please enter a name with letters.", fr: "Saisissez un nom avec des lettres." },
    Msg { code: "name.repeated", en: "This does not look like a real name.", fr: "Cela ne ressemble pas à un vrai nom." },
    Msg {
        code: "name.keyboard",
        en: "This looks like keys typed in a row, not a name.",
        fr: "Cela ressemble à une suite de touches du clavier, pas à un nom.",
    },
    Msg { code: "name.placeholder", en: "Is \"{normalized}\" really your name?", fr: "« {normalized} » est-il vraiment votre nom ?" },
    Msg {
        code: "name.too_short",
        en: "Please write the name in full, not just an initial.",
        fr: "Écrivez le nom en entier, pas seulement l'initiale.",
    },
    Msg {
        code: "name.too_long",
        en: "This name is very long: is it only the name?",
        fr: "Ce nom est très long : ne contient-il que le nom ?",
    },
];

/// Longest name (in characters) that raises no question.
pub const MAX_LEN: usize = 60;

/// Which name a check is about (last names have particles).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    First,
    Last,
}

/// Checks a first name.
#[inline(never)]
pub fn check_first(value: &str, opts: &Options) -> Verdict {
    check(value, opts, Which::First)
}

/// Checks a last name.
#[inline(never)]
pub fn check_last(value: &str, opts: &Options) -> Verdict {
    check(value, opts, Which::Last)
}

/// The tidy form of a first name: spaces, apostrophes, hyphens and casing.
pub fn normalize_first(value: &str) -> String {
    recase(&tidy(value), Which::First)
}

/// The tidy form of a last name: as [`normalize_first`], plus particles.
pub fn normalize_last(value: &str) -> String {
    recase(&tidy(value), Which::Last)
}

fn check(value: &str, _opts: &Options, which: Which) -> Verdict {
    if value.len() > crate::MAX_INPUT {
        return Verdict::invalid("field.too_long");
    }
    let bad = bad_chars(value);
    if !bad.is_empty() {
        let mut shown = String::new();
        for c in &bad {
            if !shown.is_empty() {
                shown.push(' ');
            }
            shown.push_str("« ");
            shown.push_str(&show(*c));
            shown.push_str(" »");
        }
        return Verdict::invalid("name.invalid_chars")
            .with_text("chars", shown)
            .with("invalid_chars", crate::verdict::Detail::List(bad.iter().map(|c| c.to_string()).collect()));
    }
    let tidied = tidy(value);
    let letters: String = fold(&tidied).chars().filter(|c| text::is_alphanumeric(*c)).collect();
    if letters.is_empty() {
        return Verdict::invalid("name.no_letters");
    }
    let normalized = recase(&tidied, which);
    let with_norm = |v: Verdict| {
        let v = v.with_normalized(normalized.clone());
        if normalized != value.trim() { v.with_suggestion(normalized.clone()) } else { v }
    };
    if is_repeated(&letters) {
        return Verdict::invalid("name.repeated");
    }
    if is_keyboard_run(&letters) {
        return Verdict::invalid("name.keyboard");
    }
    if text::list_find(PLACEHOLDERS, &letters).is_some() {
        return with_norm(Verdict::warning("name.placeholder"));
    }
    // One letter of a cased alphabet is an initial; one CJK or Hangul
    // character is a whole name ("李" is Li).
    let mut letters_iter = tidied.chars().filter(|c| text::is_letter(*c));
    let only = letters_iter.next().filter(|_| letters_iter.next().is_none());
    if only.is_some_and(|c| text::is_upper(c) || text::is_lower(c)) {
        return with_norm(Verdict::warning("name.too_short"));
    }
    let len = text::char_count(&normalized);
    if len > MAX_LEN {
        return with_norm(Verdict::warning("name.too_long").with_number("max_length", MAX_LEN as f64));
    }
    with_norm(Verdict::valid("name.valid"))
}

/// Characters a name may not hold, in order of appearance, each once.
fn bad_chars(value: &str) -> Vec<char> {
    let mut bad: Vec<char> = Vec::new();
    let mut prev_letter = false;
    for c in value.chars() {
        let ok = text::is_letter(c)
            || is_combining(c)
            || c.is_whitespace()
            || is_apostrophe(c)
            || is_hyphen(c)
            || (c == '.' && prev_letter)
            || matches!(c, '\u{200c}' | '\u{200d}'); // ZWNJ/ZWJ: Persian, Indic names
        if !ok && !bad.contains(&c) {
            bad.push(c);
        }
        prev_letter = text::is_letter(c) || is_combining(c);
    }
    bad
}

/// A character as a message can show it: itself, or `U+XXXX` when it is
/// invisible (controls, format characters) or a template brace.
fn show(c: char) -> String {
    let invisible = c.is_control()
        || matches!(c, '{' | '}' | '\u{00ad}' | '\u{180e}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{fe00}'..='\u{fe0f}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}' | '\u{e0000}'..='\u{e007f}');
    if !invisible {
        return c.to_string();
    }
    // `format!("U+{:04X}", c as u32)` without the formatting machinery.
    let n = c as u32;
    let mut out = String::from("U+");
    let digits = if n > 0xFFFF { if n > 0xF_FFFF { 6 } else { 5 } } else { 4 };
    for i in (0..digits).rev() {
        out.push(char::from(b"0123456789ABCDEF"[((n >> (4 * i)) & 0xF) as usize]));
    }
    out
}

fn is_combining(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036f}' | '\u{1ab0}'..='\u{1aff}' | '\u{1dc0}'..='\u{1dff}' | '\u{20d0}'..='\u{20ff}')
        // Arabic and Hebrew vowel points; Indic viramas and vowel signs.
        || matches!(c, '\u{0591}'..='\u{05c7}' | '\u{064b}'..='\u{065f}' | '\u{0670}')
        || (matches!(c, '\u{0900}'..='\u{0dff}') && !text::is_digit(c) && !matches!(c, '\u{0964}' | '\u{0965}'))
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | 'ʼ' | '‘' | '`' | '´' | '′')
}

fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '‐' | '‑' | '–' | '—' | '‒' | '―')
}

/// Spaces collapsed, apostrophes and hyphens made ASCII, no space around
/// them, repeated separators merged, separators trimmed from both ends.
fn tidy(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut pending_space = false;
    for c in value.chars() {
        let c = if is_apostrophe(c) {
            '\''
        } else if is_hyphen(c) {
            '-'
        } else {
            c
        };
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        let last = out.chars().last();
        if c == '-' || c == '\'' {
            // No space before a separator; a repeated one is merged.
            if matches!(last, Some('-' | '\'')) || last.is_none() {
                pending_space = false;
                continue;
            }
            if last == Some(' ') {
                out.pop();
            }
            out.push(c);
            pending_space = false;
            continue;
        }
        if pending_space && !matches!(last, None | Some('-' | '\'')) {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
    }
    while out.ends_with(['-', '\'', ' ']) {
        out.pop();
    }
    out
}

/// Re-cases each word typed all upper or all lower case; keeps the rest.
fn recase(tidied: &str, which: Which) -> String {
    let words: Vec<&str> = tidied.split(' ').collect();
    let n = words.len();
    let mut out = String::with_capacity(tidied.len());
    for (wi, word) in words.iter().enumerate() {
        if wi > 0 {
            out.push(' ');
        }
        let f = fold(word);
        let is_last_word = wi + 1 == n;
        let particle = matches!(f.as_str(), "de" | "du" | "des") || (wi > 0 && text::list_find(MID_PARTICLES, &f).is_some());
        if which == Which::Last && !is_last_word && particle && shouty_or_quiet(word) {
            out.push_str(&f);
            continue;
        }
        // Segments between hyphens and apostrophes, each with the separator after it.
        let mut seg = String::new();
        let mut seg_index = 0;
        for (pos, c) in word.char_indices().chain(std::iter::once((word.len(), '\0'))) {
            if c == '-' || c == '\'' || c == '\0' {
                let elided_d = which == Which::Last && c == '\'' && fold(&seg) == "d";
                if elided_d && seg == "d" {
                    out.push('d'); // typed lower case: a particle, keep it
                } else if elided_d && (wi > 0 || seg_index > 0) && particle_case(&word[pos + 1..]) {
                    // "Giscard D'ESTAING" → "Giscard d'Estaing"; "Giscard D'Estaing" is kept.
                    out.push('d');
                } else {
                    push_cased(&mut out, &seg);
                }
                if c != '\0' {
                    out.push(c);
                }
                seg.clear();
                seg_index += 1;
            } else {
                seg.push(c);
            }
        }
    }
    out
}

/// Whether the segment after a non-initial `D'` shows it was typed without
/// care for case (all lower, or at least two capitals and no lower case), so
/// the `d'` is a particle to write in lower case. A title-case segment
/// ("D'Estaing") keeps the capital. Re-cased output never matches, so
/// normalising twice changes nothing.
fn particle_case(after: &str) -> bool {
    let next: &str = after.split(['-', '\'']).next().unwrap_or("");
    let upper = next.chars().filter(|c| text::is_upper(*c)).count();
    let lower = next.chars().filter(|c| text::is_lower(*c)).count();
    (lower > 0 && upper == 0) || (upper >= 2 && lower == 0)
}

/// Particles written in lower case inside a name, not at its start:
/// "Van der Berg", "Pereira da Silva", "López y García".
const MID_PARTICLES: &str = "van von der den ter da das do dos di del della dei degli y e";

/// True when a word is all capitals or all lower case (ignoring uncased letters).
fn shouty_or_quiet(word: &str) -> bool {
    let upper = word.chars().any(text::is_upper);
    let lower = word.chars().any(text::is_lower);
    !(upper && lower)
}

/// Pushes one segment, re-cased unless its casing looks deliberate.
fn push_cased(out: &mut String, seg: &str) {
    let mut chars = seg.chars();
    let Some(first) = chars.next() else { return };
    let rest: Vec<char> = chars.collect();
    let rest_upper = rest.iter().any(|c| text::is_upper(*c));
    let rest_lower = rest.iter().any(|c| text::is_lower(*c));
    let second_upper = rest.first().is_some_and(|c| text::is_upper(*c));
    // Deliberate: "Jean", "MacDonald", "DiCaprio" (capital first, then lower
    // case with maybe inner capitals) — but not "JEan" (caps lock let go late).
    let deliberate = text::is_upper(first) && rest_lower && !(second_upper && rest_upper && rest.len() > 1);
    let already_title = text::is_upper(first) && !rest_upper;
    if deliberate || already_title {
        out.push_str(seg);
        return;
    }
    out.push(text::upper(first));
    for c in rest {
        out.push(text::lower(c));
    }
}

fn is_repeated(letters: &str) -> bool {
    let mut it = letters.chars();
    let Some(first) = it.next() else { return false };
    text::char_count(letters) >= 3 && it.all(|c| c == first)
}

/// Keyboard rows (AZERTY, QWERTY, QWERTZ) a bored finger runs along.
const ROWS: &[&str] = &["azertyuiop", "qsdfghjklm", "wxcvbn", "qwertyuiop", "asdfghjkl", "zxcvbnm", "qwertzuiop", "yxcvbnm"];

/// The whole name is a run of ≥ 4 neighbouring keys ("azerty", "qsdf"),
/// or ≥ 5 backwards ("poiuy"); "azer" is spared (a real first name), and so
/// is its reverse "reza".
fn is_keyboard_run(letters: &str) -> bool {
    let n = letters.len();
    if !letters.is_ascii() || n < 4 || letters == "azer" {
        return false;
    }
    // Byte windows, not `str::contains`: the rows and `letters` are ASCII,
    // and this keeps the substring searcher out of the Wasm binary.
    let l = letters.as_bytes();
    ROWS.iter().any(|r| r.as_bytes().windows(n).any(|w| w == l))
        || (n >= 5 && ROWS.iter().any(|r| r.as_bytes().windows(n).any(|w| w.iter().rev().eq(l.iter()))))
}

/// Folded, letters-only values that are fill-ins rather than names.
const PLACEHOLDERS: &str = "\
test tests testtest toto titi tutu nom prenom nomprenom name firstname lastname surname \
givenname inconnu inconnue unknown none null nil undefined anonyme anonymous foo foobar lorem \
ipsum loremipsum blabla bla exemple example sample xyz abc abcd abcde abcdef johndoe janedoe na \
nc neant";

#[cfg(test)]
mod tests {
    use super::*;

    fn first(v: &str) -> Verdict {
        check_first(v, &Options::default())
    }
    fn last(v: &str) -> Verdict {
        check_last(v, &Options::default())
    }

    #[test]
    fn normalizes() {
        for (input, want) in [
            ("jean-pierre", "Jean-Pierre"),
            ("JEAN - PIERRE", "Jean-Pierre"),
            ("  marie   claire ", "Marie Claire"),
            ("MARIE-ÈVE", "Marie-Ève"),
            ("zoë", "Zoë"),
            ("Jean", "Jean"),
            ("JEan", "Jean"),
            ("eLODIE", "Elodie"),
        ] {
            assert_eq!(normalize_first(input), want, "{input}");
        }
        for (input, want) in [
            ("d'ARTAGNAN", "d'Artagnan"),
            ("d’artagnan", "d'Artagnan"),
            ("DE LA FONTAINE", "de La Fontaine"),
            ("de la fontaine", "de La Fontaine"),
            ("LE PEN", "Le Pen"),
            ("le pen", "Le Pen"),
            ("Le Pen", "Le Pen"),
            ("De Bruyne", "De Bruyne"),
            ("mcdonald", "Mcdonald"),
            ("MacDonald", "MacDonald"),
            ("DiCaprio", "DiCaprio"),
            ("O'BRIEN", "O'Brien"),
            ("n'diaye", "N'Diaye"),
            ("N'Diaye", "N'Diaye"),
            ("D'ANGELO", "D'Angelo"),
            ("GISCARD D'ESTAING", "Giscard d'Estaing"),
            ("Giscard D'Estaing", "Giscard D'Estaing"),
            ("a D'ë ", "A d'Ë"),
            ("A d'Ë", "A d'Ë"),
            ("A-D'A'a", "A-D'A'A"),
            ("saint-exupéry", "Saint-Exupéry"),
            ("ó súilleabháin", "Ó Súilleabháin"),
            ("DU BELLAY", "du Bellay"),
            ("DE", "De"),
            ("dupont  -  durand", "Dupont-Durand"),
            ("ng", "Ng"),
            ("' Dupont -", "Dupont"),
            ("van der berg", "Van der Berg"),
            ("PEREIRA DA SILVA", "Pereira da Silva"),
            ("DA SILVA", "Da Silva"),
            ("LUDWIG VAN BEETHOVEN", "Ludwig van Beethoven"),
            ("Van Der Berg", "Van Der Berg"),
        ] {
            assert_eq!(normalize_last(input), want, "{input}");
        }
    }

    #[test]
    fn rare_real_names_are_left_alone() {
        for n in ["Ng", "Li", "Oz", "Ève", "Zoë", "N'Diaye", "Saint-Exupéry", "Ó Súilleabháin", "Ai", "Åsa", "Юлия", "李", "محمد"]
        {
            let v = last(n);
            assert_eq!(v.status, crate::Status::Valid, "{n}: {v:?}");
            assert_eq!(v.suggestion, None, "{n}");
            assert_eq!(first(n).status, crate::Status::Valid, "{n}");
        }
    }

    #[test]
    fn junk() {
        assert_eq!(first("Jean2").code, "name.invalid_chars");
        assert_eq!(first("jean@x").code, "name.invalid_chars");
        assert_eq!(first("Jean 😀").code, "name.invalid_chars");
        assert_eq!(first("Jean 😀").details.get("chars").unwrap().to_text(), "« 😀 »");
        assert_eq!(last("Dupont; DROP").code, "name.invalid_chars");
        assert_eq!(last(".Dupont").code, "name.invalid_chars");
        assert_eq!(last("Du{pont}").details.get("chars").unwrap().to_text(), "« U+007B » « U+007D »");
        assert_eq!(last("Du\u{0}").details.get("chars").unwrap().to_text(), "« U+0000 »");
        assert_eq!(last("St. John").code, "name.valid");
        assert_eq!(last("-'-").code, "name.no_letters");
        assert_eq!(first("aaaa").code, "name.repeated");
        assert_eq!(first("XXXXX").code, "name.repeated");
        assert_eq!(first("azerty").code, "name.keyboard");
        assert_eq!(first("QWERTY").code, "name.keyboard");
        assert_eq!(first("qsdfgh").code, "name.keyboard");
        assert_eq!(first("asdf").code, "name.keyboard");
        assert_eq!(first("Azer").code, "name.valid");
        assert_eq!(first("Reza").code, "name.valid");
        assert_eq!(first("toto").code, "name.placeholder");
        assert_eq!(first("toto").status, crate::Status::Warning);
        assert_eq!(last("TEST").code, "name.placeholder");
        assert_eq!(last("X").code, "name.too_short");
        assert_eq!(last("Ö").code, "name.too_short");
        assert_eq!(last("Ö").status, crate::Status::Warning);
        assert_eq!(last(&"Dupontel ".repeat(8)).code, "name.too_long");
        assert_eq!(last(&"Dupontel ".repeat(6)).code, "name.valid");
    }
}
