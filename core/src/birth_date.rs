//! Birth dates: parsing the ways people type them, calendar and age checks.
//!
//! Accepted:
//! - day first with `/`, `-`, `.` or spaces: "23/11/1990", "23-11-1990",
//!   "23.11.1990", "1/2/1990"; eight digits "23111990" (DDMMYYYY) or
//!   "19901123" (YYYYMMDD: never ambiguous for plausible years); six digits
//!   "231190" (DDMMYY);
//! - ISO "1990-11-23" (a four-digit year first means year-month-day);
//! - month names in French or English, full or abbreviated, with or without
//!   ordinals: "23 novembre 1990", "1er mai 1990", "23 nov. 1990",
//!   "November 23, 1990", "23rd Nov 1990".
//!
//! Order of numeric dates: day first in every locale (French and British
//! usage), except when `opts.country` is `US` (month first). The other order
//! is used only when the preferred one is impossible and the other is a
//! real date ("11/23/1990" is 23 November 1990 anywhere); then the verdict
//! suggests the date rewritten in the preferred order.
//!
//! Two-digit years are read as the most recent year that is not in the
//! future (with `opts.today`; "90" → 1990, "05" → 2005), or as 19YY from 30
//! on and 20YY below without `today`; the suggestion spells the year out.
//!
//! Checks: a real calendar date (leap years), not in the future, at most
//! 120 years ago (`birth_date.too_old`), a warning from 100 years on
//! (`birth_date.very_old`, usually a typo of the decade), and `opts.min_age`
//! (`birth_date.too_young`, details `min_age`). Age checks need
//! `opts.today` (the core has no clock); without it only the calendar is
//! checked, with years 1870–2100 as a sanity range. A person born on
//! 29 February is a year older on 1 March in common years.
//!
//! `normalized` is ISO `YYYY-MM-DD`; details `age` when `today` is known.

use crate::messages::Msg;
use crate::text::fold;
use crate::{Options, Verdict};

/// Messages of this module.
pub(crate) const MESSAGES: &[Msg] = &[
    Msg { code: "birth_date.valid", en: "", fr: "" },
    Msg {
        code: "birth_date.format",
        en: "Enter the date as day/month/year, e.g. 23/11/1990.",
        fr: "Saisissez la date au format jour/mois/année, par exemple 23/11/1990.",
    },
    Msg {
        code: "birth_date.format_us",
        en: "Enter the date as month/day/year, e.g. 11/23/1990.",
        fr: "Saisissez la date au format mois/jour/année, par exemple 11/23/1990.",
    },
    Msg { code: "birth_date.impossible", en: "This date does not exist.", fr: "Cette date n'existe pas." },
    Msg {
        code: "birth_date.future",
        en: "A birth date cannot be in the future.",
        fr: "Une date de naissance ne peut pas être dans le futur.",
    },
    Msg {
        code: "birth_date.too_old",
        en: "Please check the year: this would be over 120 years ago.",
        fr: "Vérifiez l'année : cela ferait plus de 120 ans.",
    },
    Msg {
        code: "birth_date.very_old",
        en: "Please check the year: that makes {age} years.",
        fr: "Vérifiez l'année : cela fait {age} ans.",
    },
    Msg { code: "birth_date.out_of_range", en: "Please check the year.", fr: "Vérifiez l'année." },
    Msg { code: "birth_date.too_young", en: "You must be at least {min_age} years old.", fr: "Vous devez avoir au moins {min_age} ans." },
    Msg { code: "birth_date.reordered", en: "Did you mean {suggestion}?", fr: "Vouliez-vous dire {suggestion} ?" },
];

/// A calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// Year.
    pub year: i32,
    /// Month, 1-12.
    pub month: u8,
    /// Day, 1-31.
    pub day: u8,
}

impl Date {
    /// A date if it exists in the (proleptic Gregorian) calendar.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        let d = Date { year, month, day };
        d.is_real().then_some(d)
    }

    /// True when the day exists: 31/04 and 29/02 of a common year do not.
    pub fn is_real(&self) -> bool {
        (1..=12).contains(&self.month) && self.day >= 1 && self.day <= days_in_month(self.year, self.month)
    }

    /// Parses ISO `YYYY-MM-DD` (exactly).
    pub fn parse_iso(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = s.get(r)?;
            if part.bytes().all(|c| c.is_ascii_digit()) { crate::text::parse_uint(part) } else { None }
        };
        Date::new(num(0..4)? as i32, num(5..7)? as u8, num(8..10)? as u8)
    }

    /// Whole years from `self` to `on` (negative if `on` is earlier).
    pub fn age_on(&self, on: Date) -> i32 {
        let mut age = on.year - self.year;
        if (on.month, on.day) < (self.month, self.day) {
            age -= 1;
        }
        age
    }
}

impl Date {
    /// ISO `YYYY-MM-DD`. Used instead of `to_string()`, which would go
    /// through `core::fmt`'s machinery.
    pub fn iso(&self) -> String {
        let mut s = String::with_capacity(10);
        push_padded(&mut s, self.year, 4);
        s.push('-');
        push_padded(&mut s, self.month.into(), 2);
        s.push('-');
        push_padded(&mut s, self.day.into(), 2);
        s
    }
}

impl std::fmt::Display for Date {
    /// ISO `YYYY-MM-DD`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.iso())
    }
}

/// `format!("{:0w$}", n)` without the padding machinery of `std::fmt`
/// (the sign counts in the width, as there).
fn push_padded(out: &mut String, n: i32, width: usize) {
    let digits = crate::text::decimal(n.unsigned_abs().into());
    let sign = usize::from(n < 0);
    if n < 0 {
        out.push('-');
    }
    for _ in digits.len() + sign..width {
        out.push('0');
    }
    out.push_str(&digits);
}

/// `dd/mm/yyyy` (or `mm/dd/yyyy` when `us`).
fn display_date(d: &Date, us: bool) -> String {
    let (a, b) = if us { (d.month, d.day) } else { (d.day, d.month) };
    let mut s = String::with_capacity(10);
    push_padded(&mut s, a.into(), 2);
    s.push('/');
    push_padded(&mut s, b.into(), 2);
    s.push('/');
    push_padded(&mut s, d.year, 4);
    s
}

/// Gregorian leap year.
pub fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in a month (0 for a month that does not exist).
pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Oldest age accepted.
pub const MAX_AGE: i32 = 120;
/// Age from which the year is questioned (warning).
pub const VERY_OLD: i32 = 100;

/// One piece of a typed date.
#[derive(Clone, Debug, PartialEq)]
enum Tok {
    /// Digits, with how many were typed.
    Num(u32, usize),
    /// A month named in letters.
    Month(u8),
}

/// How a date was read from the text.
struct Parsed {
    date: Date,
    /// The year was typed with two digits.
    short_year: bool,
    /// The order used is not the locale's (the preferred one was impossible).
    reordered: bool,
}

enum ParseError {
    /// Not a date at all.
    Format,
    /// Date-shaped, but no such day.
    Impossible,
}

/// Checks a birth date.
#[inline(never)]
pub fn check(value: &str, opts: &Options) -> Verdict {
    let us = opts.country.as_deref().is_some_and(|c| c.eq_ignore_ascii_case("US"));
    let parsed = match parse(value, us, opts.today) {
        Ok(p) => p,
        Err(ParseError::Format) => {
            return Verdict::invalid(if us { "birth_date.format_us" } else { "birth_date.format" });
        }
        Err(ParseError::Impossible) => return Verdict::invalid("birth_date.impossible"),
    };
    let d = parsed.date;
    let iso = d.iso();
    let display = display_date(&d, us);
    let mut verdict = match opts.today {
        Some(today) => {
            let age = d.age_on(today);
            let v = if d > today {
                Verdict::invalid("birth_date.future")
            } else if age > MAX_AGE {
                Verdict::invalid("birth_date.too_old")
            } else if let Some(min) = opts.min_age.filter(|m| age < i32::from(*m)) {
                Verdict::invalid("birth_date.too_young").with_number("min_age", f64::from(min))
            } else if age >= VERY_OLD {
                Verdict::warning("birth_date.very_old")
            } else if parsed.reordered {
                Verdict::warning("birth_date.reordered")
            } else {
                Verdict::valid("birth_date.valid")
            };
            if d > today { v } else { v.with_number("age", f64::from(age)) }
        }
        None if !(1870..=2100).contains(&d.year) => Verdict::invalid("birth_date.out_of_range"),
        None if parsed.reordered => Verdict::warning("birth_date.reordered"),
        None => Verdict::valid("birth_date.valid"),
    };
    verdict = verdict.with_normalized(iso);
    if parsed.short_year || parsed.reordered {
        verdict = verdict.with_suggestion(display);
    }
    verdict
}

/// Reads a date; `us` prefers month first; `today` resolves two-digit years.
fn parse(value: &str, us: bool, today: Option<Date>) -> Result<Parsed, ParseError> {
    if value.len() > 64 {
        return Err(ParseError::Format);
    }
    let toks = tokens(value).ok_or(ParseError::Format)?;
    let (y, a, b, named) = match toks.as_slice() {
        // Compact digits.
        [Tok::Num(n, 8)] => {
            let n = *n;
            let dmy = Date::new((n % 10_000) as i32, ((n / 10_000) % 100) as u8, (n / 1_000_000) as u8);
            let ymd = Date::new((n / 10_000) as i32, ((n / 100) % 100) as u8, (n % 100) as u8);
            return match (dmy.filter(|d| d.year >= 1000), ymd) {
                (Some(date), _) | (None, Some(date)) => Ok(Parsed { date, short_year: false, reordered: false }),
                (None, None) => Err(ParseError::Impossible),
            };
        }
        [Tok::Num(n, 6)] => (Tok::Num(n % 100, 2), n / 10_000, (n / 100) % 100, false),
        // ISO order: a four-digit year first.
        [Tok::Num(y, 4), Tok::Num(m, 1..=2), Tok::Num(d, 1..=2)] => {
            return Date::new(*y as i32, *m as u8, *d as u8)
                .map(|date| Parsed { date, short_year: false, reordered: false })
                .ok_or(ParseError::Impossible);
        }
        [Tok::Num(y, 4), Tok::Month(m), Tok::Num(d, 1..=2)] => {
            return Date::new(*y as i32, *m, *d as u8)
                .map(|date| Parsed { date, short_year: false, reordered: false })
                .ok_or(ParseError::Impossible);
        }
        [Tok::Num(d, 1..=2), Tok::Month(m), y @ Tok::Num(_, 2 | 4)] | [Tok::Month(m), Tok::Num(d, 1..=2), y @ Tok::Num(_, 2 | 4)] => {
            (y.clone(), *d, u32::from(*m), true)
        }
        [Tok::Num(a, 1..=2), Tok::Num(b, 1..=2), y @ Tok::Num(_, 2 | 4)] => (y.clone(), *a, *b, false),
        _ => return Err(ParseError::Format),
    };
    let Tok::Num(year, digits) = y else {
        return Err(ParseError::Format);
    };
    let short_year = digits == 2;
    let candidates = |year: i32| -> (Option<Date>, Option<Date>) {
        if named {
            (Date::new(year, b as u8, a as u8), None)
        } else {
            let dmy = Date::new(year, b as u8, a as u8);
            let mdy = Date::new(year, a as u8, b as u8);
            if us { (mdy, dmy) } else { (dmy, mdy) }
        }
    };
    let resolve = |date_year: i32| -> Result<Parsed, ParseError> {
        match candidates(date_year) {
            (Some(date), _) => Ok(Parsed { date, short_year, reordered: false }),
            (None, Some(date)) => Ok(Parsed { date, short_year, reordered: true }),
            (None, None) => Err(ParseError::Impossible),
        }
    };
    if !short_year {
        return resolve(year as i32);
    }
    // Two-digit year: the latest reading that is not in the future.
    let yy = year as i32;
    match today {
        Some(t) => {
            let recent = resolve(2000 + yy);
            match recent {
                Ok(p) if p.date <= t => Ok(p),
                _ => resolve(1900 + yy).or(recent),
            }
        }
        None => resolve(if yy >= 30 { 1900 + yy } else { 2000 + yy }),
    }
}

/// Splits a typed date into numbers and month names; `None` if something
/// else is there.
fn tokens(value: &str) -> Option<Vec<Tok>> {
    let folded = fold(value.trim());
    let mut toks = Vec::new();
    let mut chars = folded.chars().peekable();
    let mut after_number = false;
    while let Some(&c) = chars.peek() {
        if c.is_ascii_digit() {
            let mut n: u64 = 0;
            let mut len = 0;
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                n = n * 10 + u64::from(d as u32 - '0' as u32);
                len += 1;
                chars.next();
                if len > 8 {
                    return None;
                }
            }
            toks.push(Tok::Num(n as u32, len));
            after_number = true;
        } else if crate::text::is_letter(c) {
            let mut w = String::new();
            while let Some(&l) = chars.peek().filter(|l| crate::text::is_letter(**l)) {
                w.push(l);
                chars.next();
                if w.len() > 20 {
                    return None;
                }
            }
            if after_number && matches!(w.as_str(), "er" | "re" | "st" | "nd" | "rd" | "th" | "e" | "eme") {
                // ordinal suffix: 1er, 23rd
            } else if matches!(w.as_str(), "le" | "the" | "of" | "de" | "du") {
                // filler words: "le 23 novembre", "23rd of November"
            } else {
                toks.push(Tok::Month(month(&w)?));
            }
            after_number = false;
        } else if matches!(c, '/' | '-' | '.' | ',' | ' ' | '\\' | '_') || c.is_whitespace() {
            chars.next();
            after_number = false;
        } else {
            return None;
        }
        if toks.len() > 3 {
            return None;
        }
    }
    Some(toks)
}

/// Each month's French and English names, space-separated, January first.
const MONTHS: &str = "janvier january fevrier february mars march avril april mai may juin june juillet july \
aout august septembre september octobre october novembre november decembre december";

/// A month from its French or English name or an unambiguous abbreviation
/// of at least three letters ("nov", "fev", "févr", "sept"; not "jui").
fn month(word: &str) -> Option<u8> {
    if word.len() < 3 {
        return None;
    }
    let mut found = None;
    for (n, name) in MONTHS.split(' ').enumerate() {
        let i = n / 2;
        if name.starts_with(word) || (word == "fev" && i == 1) {
            match found {
                Some(f) if f != i => return None,
                _ => found = Some(i),
            }
        }
    }
    found.map(|i| i as u8 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date { year: 2026, month: 11, day: 23 }
    }
    fn opts() -> Options {
        Options { today: Some(today()), ..Options::default() }
    }
    fn iso(v: &str) -> Option<String> {
        check(v, &opts()).normalized
    }

    #[test]
    fn calendar() {
        assert!(is_leap(2000) && is_leap(2024) && !is_leap(1900) && !is_leap(2023));
        assert!(Date::new(2024, 2, 29).is_some());
        assert!(Date::new(2023, 2, 29).is_none());
        assert!(Date::new(1990, 4, 31).is_none());
        assert!(Date::new(1990, 13, 1).is_none());
        assert!(Date::new(1990, 1, 0).is_none());
        assert_eq!(Date::parse_iso("1990-11-23"), Date::new(1990, 11, 23));
        assert_eq!(Date::parse_iso("1990-11-2x"), None);
        let d = Date::new(2008, 2, 29).unwrap();
        assert_eq!(d.age_on(Date { year: 2026, month: 2, day: 28 }), 17);
        assert_eq!(d.age_on(Date { year: 2026, month: 3, day: 1 }), 18);
    }

    #[test]
    fn formats() {
        for v in [
            "23/11/1990",
            "23-11-1990",
            "23.11.1990",
            "23 11 1990",
            "1990-11-23",
            "1990/11/23",
            "23 novembre 1990",
            "23 NOVEMBRE 1990",
            "23 nov. 1990",
            "November 23, 1990",
            "23rd Nov 1990",
            "le 23 novembre 1990",
            "23111990",
            "19901123",
            "23/11/90",
            "231190",
            "11/23/1990",
        ] {
            assert_eq!(iso(v).as_deref(), Some("1990-11-23"), "{v}");
        }
        assert_eq!(iso("1er mai 1990").as_deref(), Some("1990-05-01"));
        assert_eq!(iso("3 févr. 2000").as_deref(), Some("2000-02-03"));
        assert_eq!(iso("5/6/05").as_deref(), Some("2005-06-05"));
        assert_eq!(iso("5/6/27").as_deref(), Some("1927-06-05"));
        assert_eq!(check("3 jui 1990", &opts()).code, "birth_date.format");
        assert_eq!(check("hier", &opts()).code, "birth_date.format");
        assert_eq!(check("1990", &opts()).code, "birth_date.format");
        assert_eq!(check("23/11/1990 10:00", &opts()).code, "birth_date.format");
    }

    #[test]
    fn order() {
        let v = check("11/23/1990", &opts());
        assert_eq!(v.code, "birth_date.reordered");
        assert_eq!(v.suggestion.as_deref(), Some("23/11/1990"));
        let us = Options { country: Some("US".into()), ..opts() };
        let v = check("11/12/1990", &us);
        assert_eq!(v.normalized.as_deref(), Some("1990-11-12"));
        assert_eq!(check("11/12/1990", &opts()).normalized.as_deref(), Some("1990-12-11"));
    }

    #[test]
    fn ages() {
        assert_eq!(check("31/04/1990", &opts()).code, "birth_date.impossible");
        assert_eq!(check("29/02/2023", &opts()).code, "birth_date.impossible");
        assert_eq!(check("29/02/2024", &opts()).code, "birth_date.valid");
        assert_eq!(check("24/11/2026", &opts()).code, "birth_date.future");
        assert_eq!(check("23/11/2026", &opts()).code, "birth_date.valid");
        assert_eq!(check("22/11/1905", &opts()).code, "birth_date.too_old");
        assert_eq!(check("23/11/1906", &opts()).code, "birth_date.very_old");
        assert_eq!(check("23/11/1906", &opts()).details.get("age").unwrap().to_text(), "120");
        let o = Options { min_age: Some(15), ..opts() };
        let v = check("24/11/2011", &o);
        assert_eq!(v.code, "birth_date.too_young");
        assert_eq!(v.details.get("min_age").unwrap().to_text(), "15");
        assert_eq!(check("23/11/2011", &o).code, "birth_date.valid");
        let v = check("23/11/1990", &opts());
        assert_eq!(v.details.get("age").unwrap().to_text(), "36");
        let none = Options::default();
        assert_eq!(check("23/11/1990", &none).details.get("age"), None);
        assert_eq!(check("23/11/3990", &none).code, "birth_date.out_of_range");
    }
}
