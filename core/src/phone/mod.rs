//! Phone numbers: validation, type, E.164 and national / international
//! formats, and as-you-type formatting, for every region of Google's
//! libphonenumber metadata (generated into `crate::tables::phone`).
//!
//! Parsing follows libphonenumber's algorithm step by step (international
//! prefix, country calling code, national prefix and its transform rules,
//! the region among those sharing a calling code, the type order), so that
//! verdicts agree with Google's library; `tests/phone_google.rs` measures it.
//! Two deliberate differences: letters are rejected (no vanity numbers),
//! except for an extension at the end (`poste 204`, `ext 5`, `x 12`, `#3`),
//! given apart in the verdict's details; and `00` introduces an
//! international number when no default region is given.

mod format;
pub(crate) mod meta;
pub mod pattern;

pub use format::format_as_you_type;

use crate::messages::Msg;
use crate::{Detail, Options, Verdict};
use meta::Region;
use std::borrow::Cow;

/// Messages of this module.
pub(crate) const MESSAGES: &[Msg] = &[
    Msg { code: "phone.valid", en: "", fr: "" },
    Msg {
        code: "phone.invalid_chars",
        en: "A phone number can only contain digits, spaces and + ( ) . - /",
        fr: "Un numéro de téléphone ne peut contenir que des chiffres, des espaces et + ( ) . - /",
    },
    Msg { code: "phone.too_short", en: "This phone number is too short.", fr: "Ce numéro de téléphone est trop court." },
    Msg { code: "phone.too_long", en: "This phone number is too long.", fr: "Ce numéro de téléphone est trop long." },
    Msg {
        code: "phone.invalid_length",
        en: "This phone number does not have the right number of digits.",
        fr: "Ce numéro de téléphone n'a pas le bon nombre de chiffres.",
    },
    Msg { code: "phone.invalid_country_code", en: "This country calling code does not exist.", fr: "Cet indicatif pays n'existe pas." },
    Msg {
        code: "phone.missing_country",
        en: "Please start with + and the country code (e.g. +33).",
        fr: "Commencez par + et l'indicatif du pays (par exemple +33).",
    },
    Msg { code: "phone.pending", en: "Checking the number…", fr: "Vérification du numéro…" },
    Msg { code: "phone.invalid_number", en: "This is not a valid phone number.", fr: "Ce numéro de téléphone n'est pas valide." },
];

/// Longest national significant number (ITU E.164).
const MAX_NSN: usize = 17;
/// Shortest national significant number.
const MIN_NSN: usize = 2;

/// The type of a phone number, as in Google's metadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PhoneType {
    /// Fixed line (landline).
    FixedLine,
    /// Mobile.
    Mobile,
    /// Fixed line or mobile: the region's patterns cannot tell (e.g. US).
    FixedLineOrMobile,
    /// Toll free (e.g. 0800 in France).
    TollFree,
    /// Premium rate (e.g. 089x in France).
    PremiumRate,
    /// Shared cost.
    SharedCost,
    /// Voice over IP (e.g. 09 in France).
    Voip,
    /// Personal number.
    PersonalNumber,
    /// Pager.
    Pager,
    /// Universal access number (company number).
    Uan,
    /// Voicemail access.
    Voicemail,
    /// Valid but of no known type (not produced for valid numbers today).
    Unknown,
}

/// Types in the order of the generated table's columns.
const TABLE_TYPES: [PhoneType; meta::TYPE_COUNT] = [
    PhoneType::FixedLine,
    PhoneType::Mobile,
    PhoneType::TollFree,
    PhoneType::PremiumRate,
    PhoneType::SharedCost,
    PhoneType::Voip,
    PhoneType::PersonalNumber,
    PhoneType::Pager,
    PhoneType::Uan,
    PhoneType::Voicemail,
];

impl PhoneType {
    /// The wire name: `mobile`, `fixed_line`, `toll_free`, …
    pub fn as_str(self) -> &'static str {
        match self {
            PhoneType::FixedLine => "fixed_line",
            PhoneType::Mobile => "mobile",
            PhoneType::FixedLineOrMobile => "fixed_line_or_mobile",
            PhoneType::TollFree => "toll_free",
            PhoneType::PremiumRate => "premium_rate",
            PhoneType::SharedCost => "shared_cost",
            PhoneType::Voip => "voip",
            PhoneType::PersonalNumber => "personal_number",
            PhoneType::Pager => "pager",
            PhoneType::Uan => "uan",
            PhoneType::Voicemail => "voicemail",
            PhoneType::Unknown => "unknown",
        }
    }
}

/// A valid phone number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhoneNumber {
    /// Region (ISO 3166 alpha-2, e.g. "GP"), or "001" for non-geographic
    /// numbers (+800, +882, …).
    pub region: &'static str,
    /// Country calling code, e.g. 33.
    pub calling_code: u16,
    /// National significant number: digits without national prefix, e.g. "612345678".
    pub national_number: String,
    /// The number's type.
    pub number_type: PhoneType,
    /// E.164 form, e.g. "+33612345678".
    pub e164: String,
    /// National format, e.g. "06 12 34 56 78".
    pub national: String,
    /// International format, e.g. "+33 6 12 34 56 78".
    pub international: String,
}

/// The shape of every E.164 form [`parse`] writes, as a JavaScript /
/// JSON Schema pattern: `+`, a calling code not starting with 0, at most
/// 15 digits in all, and at least 6 (shorter than any number the metadata
/// allows). Exported to `pkg/defs.js` and `pkg/consent.schema.json` so
/// that the JS layer and the schema test the same rule as [`is_e164`].
pub const E164_PATTERN: &str = "^\\+[1-9][0-9]{5,14}$";

/// Whether `s` has the E.164 shape of [`E164_PATTERN`].
pub fn is_e164(s: &str) -> bool {
    let d = s.as_bytes();
    d.first() == Some(&b'+') && (7..=16).contains(&d.len()) && d[1] != b'0' && d[1..].iter().all(u8::is_ascii_digit)
}

/// Checks a phone number. `opts.country` is the default region for numbers
/// written in national format.
#[inline(never)]
#[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
pub fn check(value: &str, opts: &Options) -> Verdict {
    let (value, extension) = split_extension(value);
    meta::clear_misses();
    let parsed = parse(value, opts.country.as_deref());
    // Built while a region's data chunk was missing: no verdict yet.
    if !meta::take_misses().is_empty() {
        return Verdict::new(crate::verdict::Status::Pending, "phone.pending");
    }
    match parsed {
        Ok(n) => {
            // Filled in place: the builder methods move the whole verdict at each step.
            let mut v = Verdict::valid("phone.valid");
            v.normalized = Some(n.e164);
            v.details.0 = vec![
                ("type", Detail::Text(n.number_type.as_str().into())),
                ("country", Detail::Text(n.region.into())),
                ("national", Detail::Text(n.national)),
                ("international", Detail::Text(n.international)),
            ];
            if let Some(x) = extension {
                v.details.0.push(("extension", Detail::Text(x.into())));
            }
            v
        }
        Err(code) => Verdict::invalid(code),
    }
}

/// Words that introduce an extension, lower case, longest first, space-separated.
const EXTENSION_MARKS: &str = ";ext= extension poste ext. ext # x";

/// Splits an extension off the end: `01 23 45 67 89 poste 204` →
/// (`01 23 45 67 89`, `Some("204")`). A mark, then 1 to 7 digits, after a
/// space or a digit; anything else is left for the number's own check.
#[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
fn split_extension(value: &str) -> (&str, Option<&str>) {
    let t = value.trim_end();
    // Plain loops over bytes: iterator chains and char patterns are calls per
    // character in the size-built Wasm, and this runs on every number.
    let b = t.as_bytes();
    let mut k = b.len();
    while k > 0 && b[k - 1].is_ascii_digit() {
        k -= 1;
    }
    if !(1..=7).contains(&(b.len() - k)) {
        return (value, None);
    }
    let mut h = k;
    while h > 0 && matches!(b[h - 1], b' ' | b':' | b'.') {
        h -= 1;
    }
    // Every mark ends with a letter, `=` or `#`: most numbers stop here.
    if h == 0 || !(b[h - 1].is_ascii_alphabetic() || b[h - 1] == b'=' || b[h - 1] == b'#') {
        return (value, None);
    }
    // Both cuts next to ASCII bytes: char boundaries.
    let (head, ext) = (t.get(..h).unwrap_or(""), t.get(k..).unwrap_or(""));
    for mark in EXTENSION_MARKS.split(' ') {
        let n = mark.len();
        let Some(start) = head.len().checked_sub(n) else {
            continue;
        };
        if !head.is_char_boundary(start) || !head[start..].eq_ignore_ascii_case(mark) {
            continue;
        }
        let number = &head[..start];
        let joined = number.chars().next_back().is_some_and(|c| c.is_whitespace() || c.is_ascii_digit());
        if joined && number.bytes().any(|b| b.is_ascii_digit()) {
            return (number.trim_end(), Some(ext));
        }
    }
    (value, None)
}

/// The data chunks (`phone-<calling code>`) that checking `value` with
/// this default country needs and that are not loaded; with an empty value,
/// the default country's. A default country of a family (FAMILIES) asks for
/// the family's pack (`phones-fr`) instead of its codes' chunks one by one.
/// Empty when the chunks are compiled in.
pub fn missing_chunks(value: &str, default_country: Option<&str>) -> Vec<String> {
    meta::clear_misses();
    // A national number that is invalid at home is tried in the rest of
    // its family (FAMILIES): those regions are wanted from the start too,
    // or every number still being typed would wait for them.
    let family = default_country.and_then(|c| FAMILIES.iter().find(|f| f.1.iter().any(|id| id.eq_ignore_ascii_case(c.trim()))));
    let mut out: Vec<String> = Vec::new();
    if let Some((_, ids)) = family {
        for id in *ids {
            let _ = meta::region(id);
        }
    }
    let in_pack = meta::take_misses();
    if let (Some((pack, _)), false) = (family, in_pack.is_empty()) {
        out.push(pack.to_string());
    }
    let _ = parse(value, default_country);
    let rest = meta::take_misses().into_iter().filter(|cc| !in_pack.contains(cc));
    out.extend(rest.map(|cc| ["phone-", &crate::text::decimal(cc.into())].concat()));
    out
}

/// Loads a `phone-<calling code>` chunk; `cc` is the part after `phone-`.
pub(crate) fn load_chunk(cc: &str, text: &str) -> Result<(), crate::chunks::error::ChunkError> {
    meta::load(cc, text)
}

/// Loads a family's pack (`phones-fr`).
pub(crate) fn load_pack(name: &str, text: &str) -> Result<(), crate::chunks::error::ChunkError> {
    if !FAMILIES.iter().any(|f| f.0 == name) {
        return Err(crate::chunks::error::ChunkError::UnknownChunk(name.to_string()));
    }
    meta::load_pack(text)
}

/// Parses and validates a phone number; the error is the verdict code
/// (`phone.too_short`, `phone.invalid_number`, …).
#[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
pub fn parse(value: &str, default_country: Option<&str>) -> Result<PhoneNumber, &'static str> {
    let region = default_country.and_then(meta::region);
    let cleaned = clean(value)?;
    let first = parse_digits(&cleaned, region).and_then(|(cc, nsn)| classify(cc, nsn));
    if first.is_ok() || cleaned.plus || cleaned.digits.starts_with("00") {
        return first.map(build);
    }
    // One national numbering plan, several calling codes: from mainland
    // France one dials 0690 12 34 56 for a Guadeloupe mobile (and from
    // Guadeloupe 06 12 34 56 78 for a mainland one). A national number that
    // is invalid in the default region is tried in the rest of its family.
    let Some(r) = region else {
        return first.map(build);
    };
    let Some((_, family)) = FAMILIES.iter().find(|f| f.1.contains(&r.id())) else {
        return first.map(build);
    };
    for other in family.iter().filter(|id| **id != r.id()) {
        let found = meta::region(other)
            .and_then(|o| parse_digits(&cleaned, Some(o)).ok().filter(|(cc, _)| *cc == u32::from(o.cc)))
            .and_then(|(cc, nsn)| classify(cc, nsn).ok());
        if let Some(n) = found {
            return Ok(build(n));
        }
    }
    first.map(build)
}

/// Regions that share one national numbering plan under several calling
/// codes: France and its overseas departments and collectivities dialled
/// with the national prefix 0 (ARCEP's 10-digit plan). Not Saint-Pierre-et-
/// Miquelon: +508 has its own 6-digit plan, dialled internationally from France.
/// Each with the name of its pack, the chunks of its calling codes in one
/// file (data/gen/phone.py's PACKS).
pub(crate) const FAMILIES: &[(&str, &[&str])] = &[("phones-fr", &["FR", "GP", "MQ", "GF", "RE", "YT", "BL", "MF"])];

// ---------------------------------------------------------------------------
// Cleaning the raw input.

pub(crate) struct Cleaned {
    /// A `+` came before the first digit.
    pub plus: bool,
    /// Every digit, ASCII.
    pub digits: String,
}

/// Keeps the digits, notes a leading `+`, accepts the usual separators and a
/// leading `tel:`; rejects anything else. Also used as you type.
#[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
pub(crate) fn clean(value: &str) -> Result<Cleaned, &'static str> {
    let mut s = value.trim();
    if s.len() >= 4 && s.is_char_boundary(4) && s[..4].eq_ignore_ascii_case("tel:") {
        s = s[4..].trim_start();
    }
    // Bytes, ASCII digits only, made a String once: a char pushed on a
    // String is encoded first, a call per digit in the size-built Wasm.
    let (mut plus, mut digits) = (false, Vec::with_capacity(s.len()));
    // By index, ASCII without decoding: `chars()` is a call per character too.
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = match b[i] {
            a @ 0..0x80 => char::from(a),
            _ => s.get(i..).and_then(|t| t.chars().next()).unwrap_or('\u{FFFD}'),
        };
        i += c.len_utf8();
        if let Some(d) = digit_value(c) {
            if digits.len() >= 2 * pattern::MAX_INPUT {
                return Err("phone.too_long");
            }
            digits.push(b'0' + d);
        } else if c == '+' || c == '\u{FF0B}' {
            if !digits.is_empty() {
                return Err("phone.invalid_chars");
            }
            plus = true;
        } else if !is_separator(c) {
            return Err("phone.invalid_chars");
        }
    }
    Ok(Cleaned { plus, digits: String::from_utf8(digits).unwrap_or_default() })
}

fn digit_value(c: char) -> Option<u8> {
    let zero = match c {
        '0'..='9' => '0',
        '\u{FF10}'..='\u{FF19}' => '\u{FF10}',
        '\u{0660}'..='\u{0669}' => '\u{0660}',
        '\u{06F0}'..='\u{06F9}' => '\u{06F0}',
        _ => return None,
    };
    Some((c as u32 - zero as u32) as u8)
}

fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '.' | '-'
                | '('
                | ')'
                | '['
                | ']'
                | '/'
                | '~'
                | '\u{2010}'..='\u{2015}'
                | '\u{2212}'
                | '\u{30FC}'
                | '\u{FF0D}'..='\u{FF0F}'
                | '\u{00AD}'
                | '\u{200B}'
                | '\u{2060}'
                | '\u{FF08}'
                | '\u{FF09}'
                | '\u{FF3B}'
                | '\u{FF3D}'
                | '\u{2053}'
                | '\u{223C}'
                | '\u{FF5E}'
        )
}

// ---------------------------------------------------------------------------
// libphonenumber's parse().

/// Splits the digits into calling code and national significant number.
#[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
fn parse_digits(c: &Cleaned, region: Option<&'static Region>) -> Result<(u32, String), &'static str> {
    let digits = c.digits.as_str();
    if digits.len() < MIN_NSN || (digits.len() == MIN_NSN && c.plus) {
        return Err("phone.too_short");
    }
    let mut plus = c.plus;
    let mut digits = digits;
    if region.is_none() && !plus {
        // `00` always introduces an international number.
        match digits.strip_prefix("00") {
            Some(rest) => {
                plus = true;
                digits = rest;
            }
            None => return Err("phone.missing_country"),
        }
    }
    // With a default region, only its own international prefix counts:
    // `011` from the US, `00` across Europe (`00 1 …` in a US form is no
    // US number).
    parse_with(plus, digits, region)
}

fn parse_with(plus: bool, digits: &str, region: Option<&'static Region>) -> Result<(u32, String), &'static str> {
    let extracted = match extract_country_code(plus, digits, region) {
        Err("phone.invalid_country_code") if plus => match extract_country_code(false, digits, region)? {
            (0, _) => return Err("phone.invalid_country_code"),
            found => found,
        },
        other => other?,
    };
    let (cc, nsn, meta) = match extracted {
        (0, _) => match region {
            Some(r) => (u32::from(r.cc), Cow::Borrowed(digits), Some(r)),
            None => return Err("phone.missing_country"),
        },
        (cc, rest) => (cc, rest, meta::main_region(cc)),
    };
    if nsn.len() < MIN_NSN {
        return Err("phone.too_short");
    }
    // Borrowed from the input until here: one allocation for the result.
    let nsn = match (meta, nsn) {
        (Some(m), Cow::Borrowed(n)) => without_national_prefix(n, m),
        (Some(m), Cow::Owned(n)) => Cow::Owned(without_national_prefix(&n, m).into_owned()),
        (None, n) => n,
    };
    if nsn.len() > MAX_NSN {
        return Err("phone.too_long");
    }
    if nsn.len() < MIN_NSN {
        return Err("phone.too_short");
    }
    Ok((cc, nsn.into_owned()))
}

/// The number without its national prefix, if what is left has a possible length.
fn without_national_prefix<'a>(n: &'a str, m: &Region) -> Cow<'a, str> {
    let (stripped, _) = strip_national_prefix(n, m);
    if matches!(test_length(&stripped, m), Length::Possible | Length::TooLong) { stripped } else { Cow::Borrowed(n) }
}

/// libphonenumber's maybeExtractCountryCode: (0, "") when the number has no
/// calling code of its own.
fn extract_country_code<'a>(plus: bool, number: &'a str, region: Option<&Region>) -> Result<(u32, Cow<'a, str>), &'static str> {
    if number.is_empty() {
        return Ok((0, Cow::Borrowed("")));
    }
    let mut full = number;
    let mut international = plus;
    if !plus {
        if let Some(m) = region.and_then(Region::idd).and_then(|idd| pattern::cached::captures_prefix(idd, number)) {
            let rest = &number[m.end..];
            if !rest.starts_with('0') {
                full = rest;
                international = true;
            }
        }
    }
    if international {
        if full.len() <= MIN_NSN {
            return Err("phone.too_short");
        }
        if !full.starts_with('0') {
            // The calling code: one to three digits, the shortest that exists.
            let (d, mut cc, mut n) = (full.as_bytes(), 0, 0);
            while n < 3 && n < d.len() {
                cc = cc * 10 + u32::from(d[n].wrapping_sub(b'0'));
                n += 1;
                if meta::is_calling_code(cc) {
                    return Ok((cc, Cow::Borrowed(full.get(n..).unwrap_or(""))));
                }
            }
        }
        return Err("phone.invalid_country_code");
    }
    if let Some(r) = region {
        let mut buf = [0u8; 5];
        if let Some(rest) = full.strip_prefix(decimal(u32::from(r.cc), &mut buf)) {
            let (potential, _) = strip_national_prefix(rest, r);
            if (!general_match(full, r) && general_match(&potential, r)) || test_length(full, r) == Length::TooLong {
                return Ok((u32::from(r.cc), potential));
            }
        }
    }
    Ok((0, Cow::Borrowed("")))
}

fn general_match(n: &str, r: &Region) -> bool {
    r.general().is_some_and(|p| pattern::cached::full_match(p, n))
}

/// libphonenumber's maybeStripNationalPrefixAndCarrierCode.
fn strip_national_prefix<'a>(number: &'a str, r: &Region) -> (Cow<'a, str>, bool) {
    let Some(npp) = r.npp() else {
        return (Cow::Borrowed(number), false);
    };
    if number.is_empty() {
        return (Cow::Borrowed(""), false);
    }
    let Some(m) = pattern::cached::captures_prefix(npp, number) else {
        return (Cow::Borrowed(number), false);
    };
    let viable = general_match(number, r);
    let groups = pattern::group_count(npp.text);
    let rule = r.npt();
    let last = if groups > 0 { m.group(groups) } else { None };
    let candidate = if rule.is_empty() || last.is_none() {
        Cow::Borrowed(&number[m.end..])
    } else {
        let mut t = String::with_capacity(rule.len() + number.len());
        expand_into(&mut t, rule, &m, number, "", 1);
        t.push_str(&number[m.end..]);
        Cow::Owned(t)
    };
    if viable && !general_match(&candidate, r) {
        return (Cow::Borrowed(number), false);
    }
    (candidate, true)
}

/// `n` in decimal, written into `buf`.
fn decimal(mut n: u32, buf: &mut [u8; 5]) -> &str {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[i..]).unwrap_or("")
}

/// Fills `\1`…`\9` in a template from a match on `s`, `\1` standing for
/// group `one`. With a national-prefix formatting `rule`, the first group
/// reference is written as that rule, whose `\1` stands for the group.
#[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
fn expand_into(out: &mut String, template: &str, m: &pattern::Captures, s: &str, mut rule: &str, one: usize) {
    let t = template.as_bytes();
    let (mut lit, mut i) = (0, 0);
    while i < t.len() {
        if t[i] == b'\\' {
            out.push_str(template.get(lit..i).unwrap_or(""));
            // The escaped character is written as it is, a digit as its group.
            lit = i + 1;
            if let Some(d) = t.get(i + 1).filter(|d| d.is_ascii_digit()) {
                lit = i + 2;
                let g = if *d == b'1' { one } else { usize::from(d - b'0') };
                if !rule.is_empty() {
                    expand_into(out, rule, m, s, "", g);
                    rule = "";
                } else if let Some((a, b)) = m.group(g) {
                    out.push_str(s.get(a..b).unwrap_or(""));
                }
            }
            i += 1;
        }
        i += 1;
    }
    out.push_str(template.get(lit..).unwrap_or(""));
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Length {
    Possible,
    LocalOnly,
    TooShort,
    TooLong,
    Invalid,
}

/// libphonenumber's testNumberLength against the general description.
fn test_length(n: &str, r: &Region) -> Length {
    let len = n.len();
    let possible = r.lengths();
    if len < 32 && r.local_lengths() & (1 << len) != 0 {
        return Length::LocalOnly;
    }
    if possible == 0 {
        return Length::Invalid;
    }
    let min = possible.trailing_zeros() as usize;
    let max = 31 - possible.leading_zeros() as usize;
    if len < min {
        Length::TooShort
    } else if len > max {
        Length::TooLong
    } else if possible & (1 << len) != 0 {
        Length::Possible
    } else {
        Length::Invalid
    }
}

// ---------------------------------------------------------------------------
// Validation, type, region.

#[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
fn matches_desc(nsn: &str, r: &Region, i: usize) -> bool {
    r.desc(i, nsn.len()).is_some_and(|p| pattern::cached::full_match(p, nsn))
}

/// libphonenumber's getNumberTypeHelper.
#[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
fn number_type(nsn: &str, r: &Region) -> Option<PhoneType> {
    if !general_match(nsn, r) {
        return None;
    }
    // Premium rate, toll free, shared cost, VoIP, personal, pager, UAN, voicemail.
    for &i in &[3, 2, 4, 5, 6, 7, 8, 9] {
        if matches_desc(nsn, r, i) {
            return Some(TABLE_TYPES[i]);
        }
    }
    if matches_desc(nsn, r, 0) {
        if r.same_mobile_fixed() || matches_desc(nsn, r, 1) {
            return Some(PhoneType::FixedLineOrMobile);
        }
        return Some(PhoneType::FixedLine);
    }
    if !r.same_mobile_fixed() && matches_desc(nsn, r, 1) {
        return Some(PhoneType::Mobile);
    }
    None
}

/// The region of a number and its type, as libphonenumber's getRegionCodeForNumber.
fn region_and_type(regions: &'static [Region], nsn: &str) -> Option<(&'static Region, Option<PhoneType>)> {
    if let [only] = regions {
        return Some((only, number_type(nsn, only)));
    }
    for r in regions {
        if let Some(lead) = r.leading() {
            if pattern::cached::prefix_match(lead, nsn) {
                return Some((r, number_type(nsn, r)));
            }
        } else if let Some(t) = number_type(nsn, r) {
            return Some((r, Some(t)));
        }
    }
    None
}

/// A valid number: calling code, national significant number, region, type
/// and the calling code's main region (whose formats it is written with).
type Valid = (u32, String, &'static Region, PhoneType, &'static Region);

/// The region and type of a valid number, or why it is not valid.
#[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
fn classify(cc: u32, nsn: String) -> Result<Valid, &'static str> {
    let regions = meta::regions_for_code(cc);
    let main = regions.first().ok_or("phone.invalid_country_code")?;
    match region_and_type(regions, &nsn) {
        Some((r, Some(t))) => Ok((cc, nsn, r, t, main)),
        _ => Err(match test_length(&nsn, main) {
            Length::TooShort | Length::LocalOnly => "phone.too_short",
            Length::TooLong => "phone.too_long",
            Length::Invalid => "phone.invalid_length",
            Length::Possible => "phone.invalid_number",
        }),
    }
}

/// The number in all its forms, once [`classify`] found it valid.
#[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
fn build((cc, nsn, r, t, main): Valid) -> PhoneNumber {
    let mut buf = [0u8; 5];
    let ccs = decimal(cc, &mut buf);
    let mut e164 = String::with_capacity(1 + ccs.len() + nsn.len());
    e164.push('+');
    e164.push_str(ccs);
    e164.push_str(&nsn);
    let (national, international) = format::format_number(&nsn, main, ccs);
    PhoneNumber { region: r.id(), calling_code: r.cc, national_number: nsn, number_type: t, e164, national, international }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(v: &str, c: Option<&str>) -> Result<PhoneNumber, &'static str> {
        parse(v, c)
    }

    #[test]
    fn french_mobile() {
        let n = p("06 12 34 56 78", Some("FR")).unwrap();
        assert_eq!(n.e164, "+33612345678");
        assert_eq!(n.number_type, PhoneType::Mobile);
        assert_eq!(n.region, "FR");
        assert_eq!(n.national, "06 12 34 56 78");
        assert_eq!(n.international, "+33 6 12 34 56 78");
        assert_eq!(p("+33612345678", None).unwrap(), n);
        assert_eq!(p("0033 6 12 34 56 78", None).unwrap(), n);
        assert_eq!(p("tel:+33-6-12-34-56-78", None).unwrap(), n);
        assert_eq!(p("(06) 12.34.56.78", Some("fr")).unwrap(), n);
        assert_eq!(p("+33 (0)6 12 34 56 78", None).unwrap(), n);
    }

    #[test]
    fn shared_calling_codes() {
        assert_eq!(p("+590 690 00 12 34", None).unwrap().region, "GP");
        assert_eq!(p("+262 269 60 12 34", None).unwrap().region, "YT");
        assert_eq!(p("+262 692 12 34 56", None).unwrap().region, "RE");
        assert_eq!(p("+1 416 555 0123", None).map(|n| n.region), Ok("CA"));
        assert_eq!(p("+1 201 555 0123", None).unwrap().region, "US");
    }

    #[test]
    fn french_overseas_numbers_dialled_from_france() {
        let n = p("0690 00 12 34", Some("FR")).unwrap();
        assert_eq!((n.region, n.e164.as_str()), ("GP", "+590690001234"));
        assert_eq!(p("0639 01 23 45", Some("FR")).unwrap().region, "YT");
        assert_eq!(p("06 12 34 56 78", Some("GP")).unwrap().region, "FR");
        assert_eq!(p("0612", Some("FR")), Err("phone.too_short"));
    }

    #[test]
    fn errors() {
        assert_eq!(p("06 12 34 56 78", None), Err("phone.missing_country"));
        assert_eq!(p("06 12 34 56 7a", Some("FR")), Err("phone.invalid_chars"));
        assert_eq!(p("+999 12 34 56 78", None), Err("phone.invalid_country_code"));
        assert_eq!(p("06 12", Some("FR")), Err("phone.too_short"));
        assert_eq!(p("06 12 34 56 78 90 12 34 56 78", Some("FR")), Err("phone.too_long"));
        assert_eq!(p("05 12 34 56 78", Some("FR")).map(|n| n.number_type), Ok(PhoneType::FixedLine));
        assert_eq!(p("+33 0 12 34 56 78", None), Err("phone.invalid_number"));
        assert_eq!(p("", Some("FR")), Err("phone.too_short"));
        assert_eq!(p("+", None), Err("phone.too_short"));
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        fn opts(country: Option<&str>) -> Options {
            Options { country: country.map(str::to_string), ..Options::default() }
        }

        fn check_one(value: &str, country: Option<&str>) {
            let v = check(value, &opts(country));
            let _ = format_as_you_type(value, country);
            let p = parse(value, country);
            assert_eq!(p.is_ok(), v.status == crate::Status::Valid);
            if let Some(n) = &v.normalized {
                assert!(n.starts_with('+'), "{value:?} -> {n}");
                let again = check(n, &opts(None));
                assert_eq!(again.normalized.as_deref(), Some(n.as_str()), "{value:?} -> {n} -> {again:?}");
                assert_eq!(again.details, v.details, "{value:?}");
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]
            #[test]
            fn never_panics_on_any_string(s in ".{0,40}", c in prop::option::of("[A-Z]{2}|fr|001|[a-z]{0,3}")) {
                check_one(&s, c.as_deref());
            }

            #[test]
            fn phone_like_strings(s in "[+]?[0-9 ().-]{0,24}", c in prop::sample::select(vec![None, Some("FR"), Some("US"), Some("GB"), Some("DE"), Some("IT"), Some("GP"), Some("RE"), Some("BR"), Some("AR"), Some("MX"), Some("HK")])) {
                check_one(&s, c);
            }

            #[test]
            fn plus_and_digits(cc in 1u32..999, rest in "[0-9]{0,16}") {
                check_one(&format!("+{cc}{rest}"), None);
                let partial = format_as_you_type(&format!("+{cc}{rest}"), None);
                prop_assert!(partial.starts_with('+'));
            }
        }
    }
}
