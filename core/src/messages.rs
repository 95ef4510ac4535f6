//! Localised messages. Each validator module owns a catalogue of its codes;
//! this module finds a code's template and fills `{placeholders}` from the
//! verdict (`{suggestion}`, `{normalized}`, `{value}` or any detail key).

use crate::verdict::Verdict;

/// A message language. Unknown tags fall back to English.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Locale {
    /// English.
    #[default]
    En,
    /// French.
    Fr,
}

impl Locale {
    /// Parses a BCP 47 tag such as `fr`, `fr-FR`, `en_GB`; anything else is English.
    pub fn parse(tag: &str) -> Locale {
        let lang = tag.split(['-', '_']).next().unwrap_or("");
        if lang.eq_ignore_ascii_case("fr") { Locale::Fr } else { Locale::En }
    }
    /// The language subtag: `en` or `fr`.
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Fr => "fr",
        }
    }
}

/// One code's message in each language. An empty template means "say nothing".
pub struct Msg {
    /// The stable code, e.g. `email.domain_typo`.
    pub code: &'static str,
    /// English template.
    pub en: &'static str,
    /// French template.
    pub fr: &'static str,
}

/// Every catalogue, in one place so a translator finds them all.
const CATALOGUES: &[&[Msg]] = &[
    COMMON,
    crate::email::MESSAGES,
    crate::phone::MESSAGES,
    crate::postcode::MESSAGES,
    crate::communes::MESSAGES,
    crate::names::MESSAGES,
    crate::civility::MESSAGES,
    crate::birth_date::MESSAGES,
    crate::form::MESSAGES,
    crate::country::MESSAGES,
    crate::street::MESSAGES,
];
/// The catalogues the Wasm carries, packed below: all of them, or in the
/// eager module (without the feature `more`) those of the kinds it checks,
/// in the same order, so that the chunk `text-en`, written from them all,
/// still reads in one pass.
#[cfg(feature = "more")]
const PACKED: &[&[Msg]] = CATALOGUES;
#[cfg(not(feature = "more"))]
const PACKED: &[&[Msg]] = &[COMMON, crate::email::MESSAGES, crate::phone::MESSAGES, crate::names::MESSAGES, crate::civility::MESSAGES];

/// The codes of the verdicts built from the lookup service's answers (the
/// rules: [`crate::remote`]): their texts are exported to `pkg/defs.js`.
pub const SERVICE_CODES: [&str; 7] = [
    "email.domain_pending",
    "email.domain_not_found",
    "email.domain_no_mail",
    "email.mailbox_not_found",
    "email.disposable",
    "address.mail_returned",
    "address.mail_returned_on",
];

/// Texts of the verdicts built from the lookup service's answers (no local
/// check gives them): kept with the others for translators, but
/// outside [`CATALOGUES`] so that the Wasm does not carry them; they reach
/// the page through `pkg/defs.js`. `email.disposable` is in the email
/// catalogue, the core gives it too.
pub const SERVICE: &[Msg] = &[
    Msg { code: "email.domain_pending", en: "Checking the domain…", fr: "Vérification du domaine…" },
    Msg {
        code: "email.domain_not_found",
        en: "This domain does not exist: check what follows the “@”.",
        fr: "Ce domaine n’existe pas\u{A0}: vérifiez ce qui suit le «\u{A0}@\u{A0}».",
    },
    Msg {
        code: "email.domain_no_mail",
        en: "This domain does not receive email: check the address.",
        fr: "Ce domaine ne reçoit pas d’e-mails\u{A0}: vérifiez l’adresse.",
    },
    // Returned mail (NPAI) the shop reported for this person at this
    // address: the public form's warning on blur (no date: the page may be
    // anyone's), and the advisor's, with the day it came back.
    Msg {
        code: "address.mail_returned",
        en: "Mail we sent you at this address came back: please check it.",
        fr: "Un courrier envoyé à cette adresse nous est revenu\u{A0}: merci de la vérifier.",
    },
    Msg {
        code: "address.mail_returned_on",
        en: "Mail to this address came back on {date}: check the address.",
        fr: "Le courrier envoyé à cette adresse est revenu le {date}\u{A0}: vérifiez l’adresse.",
    },
    // The mailbox check (`GET /v1/email/mailbox`): only its `does_not_exist`
    // is shown; `accept_all` and `unknown` say nothing.
    Msg {
        code: "email.mailbox_not_found",
        en: "This mailbox does not exist: check the part before the “@”.",
        fr: "Cette boîte e-mail n’existe pas\u{A0}: vérifiez ce qui précède le «\u{A0}@\u{A0}».",
    },
];

/// Every message, catalogue by catalogue, then [`SERVICE`] (what
/// `pkg/defs.js` is made of).
pub fn all() -> impl Iterator<Item = &'static Msg> {
    CATALOGUES.iter().flat_map(|c| c.iter()).chain(SERVICE)
}

/// The text of any code of [`all`], the service ones included.
pub fn any_template(code: &str, locale: Locale) -> Option<&'static str> {
    let m = all().find(|m| m.code == code)?;
    Some(match locale {
        Locale::En => m.en,
        Locale::Fr => m.fr,
    })
}

/// Codes shared by every field kind.
pub(crate) const COMMON: &[Msg] = &[
    Msg { code: "field.required", en: "This field is required.", fr: "Ce champ est obligatoire." },
    Msg { code: "field.empty", en: "", fr: "" },
    Msg { code: "field.too_long", en: "This is too long.", fr: "C'est trop long." },
    // The eager Wasm module's answer for a kind only the full one checks,
    // until that one is loaded: nothing to say yet.
    Msg { code: "field.pending", en: "", fr: "" },
];

// What the Wasm carries of the catalogues, packed when compiled: each
// locale's texts in one string with the end of each text, beside the codes.
// A text as a `&str` in the table cost two pointers (8 B of little-
// compressible data an entry and locale); an end, 2 B.
const COUNT: usize = {
    let (mut n, mut i) = (0, 0);
    while i < PACKED.len() {
        n += PACKED[i].len();
        i += 1;
    }
    n
};

/// The codes of [`PACKED`], in order.
static CODES: [&str; COUNT] = {
    let mut out = [""; COUNT];
    let (mut n, mut i) = (0, 0);
    while i < PACKED.len() {
        let mut j = 0;
        while j < PACKED[i].len() {
            out[n] = PACKED[i][j].code;
            n += 1;
            j += 1;
        }
        i += 1;
    }
    out
};

const fn text(m: &Msg, fr: bool) -> &'static str {
    if fr { m.fr } else { m.en }
}

const fn packed_len(fr: bool) -> usize {
    let (mut n, mut i) = (0, 0);
    while i < PACKED.len() {
        let mut j = 0;
        while j < PACKED[i].len() {
            n += text(&PACKED[i][j], fr).len();
            j += 1;
        }
        i += 1;
    }
    n
}

/// A locale's texts end to end, and where each ends.
struct Packed<const L: usize> {
    text: [u8; L],
    ends: [u16; COUNT],
}

const fn pack<const L: usize>(fr: bool) -> Packed<L> {
    let mut p = Packed { text: [0; L], ends: [0; COUNT] };
    let (mut n, mut at, mut i) = (0, 0, 0);
    while i < PACKED.len() {
        let mut j = 0;
        while j < PACKED[i].len() {
            let t = text(&PACKED[i][j], fr).as_bytes();
            let mut k = 0;
            while k < t.len() {
                p.text[at] = t[k];
                at += 1;
                k += 1;
            }
            assert!(at <= u16::MAX as usize, "the packed messages outgrow u16 ends");
            p.ends[n] = at as u16;
            n += 1;
            j += 1;
        }
        i += 1;
    }
    p
}

// English is not in the Wasm: a French page needs none of it, so the Wasm
// carries the French texts and fetches the English ones (these messages and
// the country names that differ) as the data chunk `text-en`, written by
// `make tables` (core/examples/defs.rs); until it is loaded a message is in
// French rather than empty. Native builds (the service, tests) compile both in.
#[cfg(not(target_arch = "wasm32"))]
const EN_LEN: usize = packed_len(false);
const FR_LEN: usize = packed_len(true);
#[cfg(not(target_arch = "wasm32"))]
static EN: Packed<EN_LEN> = pack(false);
static FR: Packed<FR_LEN> = pack(true);
// Checked when compiled: a compile error, never a run-time one.
#[cfg(not(target_arch = "wasm32"))]
static EN_TEXT: &str = match std::str::from_utf8(&EN.text) {
    Ok(s) => s,
    Err(_) => panic!("messages are UTF-8"), // ok: a static initialiser, evaluated when compiled
};
static FR_TEXT: &str = match std::str::from_utf8(&FR.text) {
    Ok(s) => s,
    Err(_) => panic!("messages are UTF-8"), // ok: a static initialiser, evaluated when compiled
};

/// The data chunk of the English texts the Wasm leaves out.
pub const ENGLISH_CHUNK: &str = "text-en";

/// The English texts of the chunk `text-en`: each message in [`CODES`]
/// order, and the English names of the countries whose French name
/// differs, `(alpha-2, name)`.
struct English<'a> {
    texts: Vec<&'a str>,
    names: Vec<(&'a str, &'a str)>,
}

/// Parses the chunk `text-en`: a line `code \t text` for each code of
/// [`CODES`], in that order (a chunk of another build is refused, not
/// misread), then lines `alpha-2 \t country name`. The eager Wasm module
/// (without the feature `more`) skips the codes of the kinds it leaves out.
fn parse_english(text: &str) -> Result<English<'_>, crate::chunks::ChunkError> {
    let mut e = English { texts: Vec::with_capacity(COUNT), names: Vec::new() };
    for (n, line) in text.lines().enumerate() {
        let bad = |reason| crate::chunks::ChunkError::BadLine { line: n + 1, reason };
        let (key, t) = line.split_once('\t').ok_or(bad("expected a code, a tab and a text"))?;
        match CODES.get(e.texts.len()) {
            Some(code) if *code == key => e.texts.push(t),
            _ if !cfg!(feature = "more") && key.contains('.') => {}
            Some(_) => return Err(bad("expected the next message code")),
            None if key.len() == 2 && key.bytes().all(|b| b.is_ascii_uppercase()) && !t.is_empty() => e.names.push((key, t)),
            None => return Err(bad("expected a country code and its name")),
        }
    }
    if e.texts.len() < COUNT {
        return Err(crate::chunks::ChunkError::BadLine { line: e.texts.len() + 1, reason: "expected the next message code" });
    }
    Ok(e)
}

#[cfg(target_arch = "wasm32")]
static ENGLISH: std::sync::OnceLock<English<'static>> = std::sync::OnceLock::new();

/// Loads the chunk `text-en` (the Wasm keeps it; native builds, which
/// compile the texts in, only check it). A second load changes nothing.
pub(crate) fn load_english(text: &str) -> Result<(), crate::chunks::ChunkError> {
    #[cfg(target_arch = "wasm32")]
    if ENGLISH.get().is_none() {
        let text: &'static str = Box::leak(text.to_owned().into_boxed_str());
        let _ = ENGLISH.set(parse_english(text)?);
    }
    #[cfg(not(target_arch = "wasm32"))]
    parse_english(text)?;
    Ok(())
}

/// Whether the English texts are at hand (always, natively).
pub fn english_loaded() -> bool {
    #[cfg(target_arch = "wasm32")]
    return ENGLISH.get().is_some();
    #[cfg(not(target_arch = "wasm32"))]
    true
}

/// The data chunk a locale's texts need that is not loaded yet, if any.
pub fn chunk_for(locale: Locale) -> Option<&'static str> {
    (locale == Locale::En && !english_loaded()).then_some(ENGLISH_CHUNK)
}

/// The English names of the countries whose French name differs, `(alpha-2,
/// name)` in alpha-2 order (in the Wasm, empty until `text-en` is loaded).
pub(crate) fn english_country_names() -> &'static [(&'static str, &'static str)] {
    #[cfg(target_arch = "wasm32")]
    return ENGLISH.get().map_or(&[], |e| &e.names);
    #[cfg(not(target_arch = "wasm32"))]
    {
        static NAMES: std::sync::OnceLock<Vec<(&str, &str)>> = std::sync::OnceLock::new();
        NAMES.get_or_init(|| crate::tables::countries::COUNTRIES_EN.lines().filter_map(|l| l.split_once('\t')).collect())
    }
}

/// The contents of the chunk `text-en`, from the compiled-in texts (what
/// `make tables` writes to `core/chunks/text-en.tsv`).
#[cfg(not(target_arch = "wasm32"))]
pub fn english_chunk() -> String {
    let mut out = String::new();
    for (i, code) in CODES.iter().enumerate() {
        for part in [code, "\t", packed(i, Locale::En).unwrap_or_default(), "\n"] {
            out.push_str(part);
        }
    }
    for (a2, name) in english_country_names() {
        for part in [a2, "\t", name, "\n"] {
            out.push_str(part);
        }
    }
    out
}

/// The text of entry `i` of [`CODES`] in a locale.
fn packed(i: usize, locale: Locale) -> Option<&'static str> {
    let (text, ends) = match locale {
        #[cfg(not(target_arch = "wasm32"))]
        Locale::En => (EN_TEXT, &EN.ends),
        #[cfg(target_arch = "wasm32")]
        Locale::En if ENGLISH.get().is_some() => return ENGLISH.get().and_then(|e| e.texts.get(i).copied()),
        _ => (FR_TEXT, &FR.ends),
    };
    let start = if i == 0 { 0 } else { usize::from(*ends.get(i - 1)?) };
    text.get(start..usize::from(*ends.get(i)?))
}

/// The template of a code in a locale, if the code is known.
pub fn template(code: &str, locale: Locale) -> Option<&'static str> {
    // A verdict's code is nearly always the very literal of its catalogue
    // (the compiler merges equal literals): found by address, one compare an
    // entry, before the text comparisons (a tenth of a phone check's time).
    // A plain loop: `position` is a call per entry in the size-built Wasm.
    let mut i = 0;
    while i < COUNT && !std::ptr::eq(CODES[i], code) {
        i += 1;
    }
    if i == COUNT {
        i = CODES.iter().position(|c| *c == code)?;
    }
    packed(i, locale)
}

/// Renders the verdict's message for `value` in `locale`.
pub fn render(v: &Verdict, value: &str, locale: Locale) -> String {
    let Some(t) = template(v.code, locale).filter(|t| !t.is_empty()) else {
        return String::new();
    };
    fill(t, |key| match key {
        "suggestion" => v.suggestion.clone(),
        "normalized" => v.normalized.clone(),
        "value" => Some(value.to_string()),
        k => v.details.get(k).map(|d| d.to_text()),
    })
}

/// Replaces each `{key}` with `lookup(key)`; unknown keys are kept as written.
pub fn fill(template: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let key = &after[..close];
                match lookup(key) {
                    Some(val) => out.push_str(&val),
                    None => {
                        out.push('{');
                        out.push_str(key);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_both_languages_and_is_unique() {
        let mut seen = std::collections::HashSet::new();
        for m in all() {
            assert!(seen.insert(m.code), "duplicate code {}", m.code);
            assert!(m.code.contains('.'), "code {} lacks a kind prefix", m.code);
            assert_eq!(m.en.is_empty(), m.fr.is_empty(), "code {} translated in one language only", m.code);
        }
    }

    #[test]
    fn the_packed_texts_are_the_catalogues() {
        let msgs: Vec<&Msg> = CATALOGUES.iter().flat_map(|c| c.iter()).collect();
        assert_eq!(msgs.len(), COUNT);
        for m in msgs {
            assert_eq!(template(m.code, Locale::En), Some(m.en), "{}", m.code);
            assert_eq!(template(m.code, Locale::Fr), Some(m.fr), "{}", m.code);
            // A code that is not the catalogue's literal (another address).
            let copy = String::from(m.code);
            assert_eq!(template(copy.as_str(), Locale::Fr), Some(m.fr), "{}", m.code);
        }
        assert_eq!(template("email.nope", Locale::En), None);
    }

    #[test]
    fn the_english_chunk_holds_the_compiled_in_english() {
        use crate::chunks::ChunkError;
        let chunk = english_chunk();
        let e = parse_english(&chunk).unwrap();
        for (i, code) in CODES.iter().enumerate() {
            assert_eq!(Some(e.texts[i]), template(code, Locale::En), "{code}");
        }
        assert_eq!(e.names, english_country_names());
        assert!(e.names.contains(&("DE", "Germany")));
        // What `make tables` wrote is what the texts make.
        #[cfg(feature = "embedded-chunks")]
        {
            let file = crate::chunks::EMBEDDED.iter().find(|(n, _)| *n == ENGLISH_CHUNK).map(|(_, b)| *b);
            assert_eq!(file, Some(chunk.as_bytes()));
        }
        for (bad, line) in [("field.nope\tx", 1), ("field.required\tx\nFR", 2), ("FRA\tFrance", 1), ("fr\tFrance", 1), ("FR\t", 1)] {
            assert!(matches!(parse_english(bad), Err(ChunkError::BadLine { line: l, .. }) if l == line), "{bad:?}");
        }
        assert!(load_english(&chunk).is_ok());
        // Native builds have the English compiled in: nothing to fetch.
        assert!(english_loaded());
        assert_eq!((chunk_for(Locale::En), chunk_for(Locale::Fr)), (None, None));
    }

    #[test]
    fn service_codes_have_messages() {
        for c in SERVICE_CODES {
            assert!(any_template(c, Locale::Fr).is_some_and(|t| !t.is_empty()), "{c}");
            assert!(any_template(c, Locale::En).is_some_and(|t| !t.is_empty()), "{c}");
        }
    }

    #[test]
    fn fill_replaces_known_keys_and_keeps_unknown() {
        let s = fill("Did you mean {suggestion}? {x}", |k| (k == "suggestion").then(|| "a@b.fr".into()));
        assert_eq!(s, "Did you mean a@b.fr? {x}");
        assert_eq!(fill("open { brace", |_| None), "open { brace");
    }

    #[test]
    fn locale_parse() {
        assert_eq!(Locale::parse("fr-FR"), Locale::Fr);
        assert_eq!(Locale::parse("FR"), Locale::Fr);
        assert_eq!(Locale::parse("en_GB"), Locale::En);
        assert_eq!(Locale::parse(""), Locale::En);
        assert_eq!(Locale::parse("de"), Locale::En);
    }
}
