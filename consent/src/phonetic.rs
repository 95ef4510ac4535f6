//! A phonetic key for French names: two spellings that a French speaker
//! says alike get the same key ("Lefèvre" / "Lefebvre" / "Lefeuvre",
//! "Dupont" / "Dupond", "Philippe" / "Filipe", "Gauthier" / "Gautier").
//!
//! Used by the lookup service's duplicate check: it stores only keyed
//! hashes of these keys, so the spelling a person typed never needs to be
//! kept. The rules are this crate's own, in the spirit of Soundex/Phonex:
//! 1. fold case and accents ([`fiable_core::text::fold`]), keep the letters a-z;
//! 2. rewrite digraphs and letters that sound alike (`ph`→`f`, `th`→`t`,
//!    `qu`/`ck`/hard `c`→`k`, soft `c`→`s`, soft `g`→`j`, `eau`/`au`→`o`,
//!    `ai`/`ei`/`eu`→`e`, `bv`→`v`, `w`→`v`, `y`→`i`, `z`→`s`, nasal
//!    `en`/`em`/`am`→`an`, silent `h`);
//! 3. collapse repeated letters, drop the silent endings (`e`, `s`, `t`,
//!    `d`, `x`, and `r` after `e`: "Gautier" ends in `e`).
//!
//! Never panics; the key is upper-case ASCII, empty when the input has no
//! Latin letter.

use fiable_core::text::fold;

/// The phonetic key of one name (several words are one key: "Le Goff" =
/// "Legoff").
pub fn encode(name: &str) -> String {
    // Bounded work on pasted text.
    let folded = fold(if name.len() > fiable_core::MAX_INPUT { "" } else { name });
    let letters: Vec<u8> = folded.bytes().filter(u8::is_ascii_lowercase).collect();
    let rewritten = rewrite(&letters);
    let mut out = collapse(&rewritten);
    trim_silent_end(&mut out);
    out.iter().map(|b| b.to_ascii_uppercase() as char).collect()
}

fn is_vowel(c: u8) -> bool {
    matches!(c, b'a' | b'e' | b'i' | b'o' | b'u' | b'y')
}

fn is_front(c: Option<&u8>) -> bool {
    matches!(c, Some(b'e' | b'i' | b'y'))
}

/// Step 2: left to right, longest pattern first.
fn rewrite(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    let at = |i: usize| s.get(i);
    let starts = |i: usize, p: &[u8]| s.get(i..i + p.len()) == Some(p);
    while i < s.len() {
        let c = s[i];
        // (pattern length consumed, replacement)
        let (n, rep): (usize, &[u8]) = if starts(i, b"eau") {
            (3, b"o")
        } else if starts(i, b"sch") {
            (3, b"x")
        } else if starts(i, b"ph") {
            (2, b"f")
        } else if starts(i, b"th") {
            (2, b"t")
        } else if starts(i, b"ch") || starts(i, b"sh") {
            (2, b"x")
        } else if starts(i, b"qu") || starts(i, b"ck") {
            (2, b"k")
        } else if starts(i, b"gu") && is_front(at(i + 2)) {
            (2, b"g")
        } else if starts(i, b"au") {
            (2, b"o")
        } else if starts(i, b"ai") || starts(i, b"ei") || starts(i, b"eu") {
            (2, b"e")
        } else if starts(i, b"bv") {
            (2, b"v")
        } else if ((starts(i, b"en") || starts(i, b"an")) && at(i + 2).is_none_or(|n| !is_vowel(*n) && *n != b'n'))
            || ((starts(i, b"em") || starts(i, b"am")) && matches!(at(i + 2), Some(b'b' | b'p')))
        {
            // Nasal vowels: "Laurent" = "Laurant", "Lambert" = "Lanbert".
            (2, b"an")
        } else {
            match c {
                b'c' if is_front(at(i + 1)) => (1, b"s"),
                b'c' | b'q' => (1, b"k"),
                b'g' if is_front(at(i + 1)) => (1, b"j"),
                b'w' => (1, b"v"),
                b'y' => (1, b"i"),
                b'z' => (1, b"s"),
                // Silent in French names once the digraphs above are read.
                b'h' => (1, b""),
                _ => (1, std::slice::from_ref(&s[i])),
            }
        };
        out.extend_from_slice(rep);
        i += n;
    }
    out
}

/// Step 3a: "pp" → "p", "ll" → "l".
fn collapse(s: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::with_capacity(s.len());
    for &c in s {
        if out.last() != Some(&c) {
            out.push(c);
        }
    }
    out
}

/// Step 3b: silent endings, keeping at least one letter.
fn trim_silent_end(s: &mut Vec<u8>) {
    loop {
        let n = s.len();
        if n <= 1 {
            return;
        }
        let drop = match s[n - 1] {
            b'e' | b's' | b't' | b'd' | b'x' => true,
            // "-ier", "-er", "-ez" sound like "-ié", "-é": Gauthier = Gautier = Gautié.
            b'r' => s[n - 2] == b'e' && n > 3,
            _ => false,
        };
        if !drop {
            return;
        }
        s.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::encode;

    #[test]
    fn french_spellings_that_sound_alike_share_a_key() {
        for group in [
            &["Lefèvre", "Lefebvre", "LEFEVRE", "lefeuvre", "Le Fèvre"][..],
            &["Dupont", "Dupond", "DUPONT", "Du Pont"],
            &["Philippe", "Filipe", "Philipe", "Fillipe"],
            &["Gauthier", "Gautier", "Gotier"],
            &["François", "Francois", "FRANÇOIS"],
            &["Laurent", "Laurant"],
            &["Mathieu", "Matthieu", "Matieu"],
            &["Rousseau", "Rousso", "Roussot"],
            &["Bertrand", "Bertrant"],
        ] {
            let k = encode(group[0]);
            assert!(!k.is_empty());
            for other in &group[1..] {
                assert_eq!(encode(other), k, "{other} vs {}", group[0]);
            }
        }
    }

    #[test]
    fn different_names_get_different_keys() {
        for (a, b) in [
            ("Martin", "Bernard"),
            ("Dupont", "Durand"),
            ("Petit", "Richard"),
            ("Moreau", "Morel"),
            ("Leroy", "Lefèvre"),
            ("Simon", "Michel"),
        ] {
            assert_ne!(encode(a), encode(b), "{a} vs {b}");
        }
    }

    #[test]
    fn keys_are_upper_case_ascii() {
        assert_eq!(encode("Éloïse"), encode("eloise"));
        assert!(encode("Zoë N'Diaye-Ó Súilleabháin").bytes().all(|b| b.is_ascii_uppercase()));
        assert_eq!(encode("王"), "");
        assert_eq!(encode(""), "");
    }
}
