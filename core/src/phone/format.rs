//! Formatting: libphonenumber's national and international formats, and an
//! as-you-type formatter built on partial matching of the same formats.

use super::meta::{self, Format, Region};
use super::pattern;
use super::{clean, expand_into};

/// Formats a national significant number with the region's formats, as
/// libphonenumber's format(NATIONAL) and format(INTERNATIONAL) (the latter
/// with `+cc `, `cc` being the calling code's digits).
#[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
pub(crate) fn format_number(nsn: &str, main: &Region, cc: &str) -> (String, String) {
    let chosen = pick(main.formats(), nsn);
    // Most regions have no international formats of their own: one choice.
    let intl = if main.has_intl_formats() { pick(main.intl_formats(), nsn) } else { chosen };
    let mut national = String::with_capacity(nsn.len() + 8);
    match chosen {
        None => national.push_str(nsn),
        Some((f, m)) => substitute(&mut national, f, m, f.np_rule, nsn),
    }
    let mut international = String::with_capacity(cc.len() + nsn.len() + 10);
    international.push('+');
    international.push_str(cc);
    international.push(' ');
    match intl {
        None => international.push_str(nsn),
        Some((f, m)) => substitute(&mut international, f, m, "", nsn),
    }
    (national, international)
}

/// The first format whose leading digits and pattern fit, with the
/// pattern's first match at the start of `nsn`: the first step of
/// [`substitute`], which nearly always covers the whole number.
fn pick<'a>(formats: &'a [Format], nsn: &str) -> Option<(&'a Format, pattern::Captures)> {
    for f in formats {
        // The leading digits, whose first digits and lengths are checked
        // before any matching, reject more formats faster.
        if f.leading.is_some_and(|ld| !pattern::cached::prefix_match(ld, nsn)) {
            continue;
        }
        if let Some(m) = pattern::cached::captures_fitting(f.pattern, nsn) {
            if m.end == nsn.len() || pattern::cached::full_match(f.pattern, nsn) {
                return Some((f, m));
            }
        }
    }
    None
}

/// Replaces the first group reference of `template` with the national-prefix
/// formatting rule, whose `\1` stands for that reference.
fn with_np_rule(template: &str, rule: &str) -> String {
    let b = template.as_bytes();
    match (0..b.len().saturating_sub(1)).find(|&i| b[i] == b'\\' && b[i + 1].is_ascii_digit()) {
        Some(i) => {
            // `rule.replace("\\1", group)` without the substring searcher.
            let mut out = String::with_capacity(template.len() + rule.len());
            out.push_str(&template[..i]);
            let mut rest = rule;
            while let Some(j) = rest.find('\\') {
                if rest.as_bytes().get(j + 1) == Some(&b'1') {
                    out.push_str(&rest[..j]);
                    out.push_str(&template[i..i + 2]);
                    rest = &rest[j + 2..];
                } else {
                    out.push_str(&rest[..=j]);
                    rest = &rest[j + 1..];
                }
            }
            out.push_str(rest);
            out.push_str(&template[i + 2..]);
            out
        }
        None => template.to_string(),
    }
}

/// Python's `re.sub(f.pattern, template, s)`: every non-overlapping match,
/// the first being `first` (from [`pick`]). The template is the format's,
/// its first group reference written as the national-prefix formatting
/// `rule` when there is one.
#[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
fn substitute(out: &mut String, f: &Format, first: pattern::Captures, rule: &str, s: &str) {
    let mut pos = 0;
    let mut start = 0;
    let mut next = Some(first);
    while start < s.len() {
        match next.take().or_else(|| pattern::cached::captures_prefix(f.pattern, &s[start..])) {
            Some(m) if m.end > 0 => {
                out.push_str(&s[pos..start]);
                expand_into(out, f.template, &m, &s[start..], rule, 1);
                start += m.end;
                pos = start;
            }
            _ => start += 1,
        }
    }
    out.push_str(&s[pos..]);
}

/// Formats a phone number while it is being typed: `"0612"` → `"06 12"`,
/// `"+336123"` → `"+33 6 12 3"`, using the format of the region (the
/// calling code's, or `country` for national input) that fits the digits so
/// far. Falls back to the digits as typed when no format applies; input
/// with other characters than digits and separators is returned unchanged.
/// Never panics.
#[inline(never)]
pub fn format_as_you_type(value: &str, country: Option<&str>) -> String {
    let Ok(c) = clean(value) else {
        return value.to_string();
    };
    let region = country.and_then(meta::region);
    let digits = c.digits.as_str();
    if c.plus {
        return international("+", digits);
    }
    if digits.is_empty() {
        return String::new();
    }
    // An international prefix: the region's own, or `00` without a region.
    let idd_len = if digits.starts_with("00") && region.is_none() {
        Some(2)
    } else {
        region
            .and_then(Region::idd)
            .and_then(|idd| pattern::cached::captures_prefix(idd, digits))
            .map(|m| m.end)
            .filter(|&e| e > 0 && !digits[e..].starts_with('0'))
    };
    if let Some(n) = idd_len {
        return international(&[&digits[..n], " "].concat(), &digits[n..]);
    }
    let Some(region) = region else {
        return digits.to_string();
    };
    national(digits, region).unwrap_or_else(|| digits.to_string())
}

/// `prefix` (`+` or `00 `) then the calling code and the national number.
#[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
fn international(prefix: &str, digits: &str) -> String {
    let cc = (1..=digits.len().min(3)).find(|&n| meta::is_calling_code(crate::text::parse_uint(&digits[..n]).unwrap_or(0)));
    let (Some(n), false) = (cc, digits.starts_with('0')) else {
        return [prefix, digits].concat();
    };
    let rest = &digits[n..];
    if rest.is_empty() {
        return [prefix, digits].concat();
    }
    let Some(main) = meta::main_region(crate::text::parse_uint(&digits[..n]).unwrap_or(0)) else {
        return [prefix, digits].concat();
    };
    match partial(rest, main, Typed::International) {
        Some(f) => [prefix, &digits[..n], " ", &f].concat(),
        None => [prefix, digits].concat(),
    }
}

/// National input: national prefix (if typed) then the national number.
#[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
fn national(digits: &str, region: &Region) -> Option<String> {
    let main = meta::main_region(u32::from(region.cc))?;
    let np = region.national_prefix();
    let typed_np = !np.is_empty()
        && region.npp().and_then(|npp| pattern::cached::captures_prefix(npp, digits)).is_some_and(|m| &digits[..m.end] == np);
    if !typed_np {
        return partial(digits, main, Typed::National);
    }
    let rest = &digits[np.len()..];
    if rest.is_empty() {
        return Some(np.to_string());
    }
    partial(rest, main, Typed::WithPrefix(np))
}

#[derive(Clone, Copy)]
enum Typed<'a> {
    International,
    National,
    WithPrefix(&'a str),
}

/// Formats the national number typed so far with the first format that can
/// still match it, as libphonenumber's AsYouTypeFormatter chooses.
fn partial(nsn: &str, main: &Region, typed: Typed) -> Option<String> {
    let intl = matches!(typed, Typed::International);
    for f in if intl { main.intl_formats() } else { main.formats() } {
        let adds_prefix = !f.np_rule.is_empty() && f.np_rule != "\\1" && f.np_rule != "(\\1)";
        match typed {
            Typed::WithPrefix(_) if !adds_prefix && !f.np_optional => continue,
            Typed::National if adds_prefix && !f.np_optional => continue,
            _ => {}
        }
        if !eligible(f.template) {
            continue;
        }
        if let Some(ld) = f.leading {
            if pattern::cached::partial(ld, nsn, true).is_none() {
                continue;
            }
        }
        let Some(m) = pattern::cached::partial(f.pattern, nsn, false) else {
            continue;
        };
        let (template, expected) = match typed {
            Typed::WithPrefix(np) if adds_prefix => (with_np_rule(f.template, f.np_rule), [np, nsn].concat()),
            _ => (f.template.to_string(), nsn.to_string()),
        };
        let mut out = render(&template, &m, nsn);
        if let Typed::WithPrefix(np) = typed {
            if !adds_prefix {
                out = [np, " ", &out].concat();
            }
        }
        let got: String = out.chars().filter(char::is_ascii_digit).collect();
        let want = match typed {
            Typed::WithPrefix(np) if !adds_prefix => [np, &expected].concat(),
            _ => expected,
        };
        if got == want {
            return Some(out);
        }
    }
    None
}

/// A template libphonenumber formats as you type: `\1` first, then only
/// group references and punctuation.
fn eligible(template: &str) -> bool {
    let t = template.trim_start_matches([' ', '(', ')', '-', '.', '/']);
    t.starts_with("\\1")
        && !template.bytes().enumerate().any(|(i, c)| c.is_ascii_digit() && (i == 0 || template.as_bytes()[i - 1] != b'\\'))
}

/// Writes the groups matched so far, each with the text before it; the text
/// after the last group only once the format is complete.
fn render(template: &str, m: &pattern::Captures, s: &str) -> String {
    let mut out = String::with_capacity(template.len() + s.len());
    let mut literal = String::new();
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            literal.push(c);
            continue;
        }
        let Some(g) = chars.next().and_then(|d| d.to_digit(10)) else {
            continue;
        };
        match m.group(g as usize) {
            Some((a, b)) if b > a => {
                out.push_str(&literal);
                out.push_str(s.get(a..b).unwrap_or(""));
                literal.clear();
            }
            _ => return out,
        }
    }
    if m.complete {
        out.push_str(&literal);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::format_as_you_type as f;
    use super::*;

    /// libphonenumber's formatting the plain way: the first format whose
    /// leading digits and pattern fit, then `re.sub` with its template, into
    /// which the national-prefix formatting rule is spliced first.
    fn plain(nsn: &str, main: &Region, cc: &str) -> (String, String) {
        let pick = |formats: &'static [Format]| -> Option<&'static Format> {
            formats
                .iter()
                .find(|f| f.leading.is_none_or(|ld| pattern::cached::prefix_match(ld, nsn)) && pattern::cached::full_match(f.pattern, nsn))
        };
        let sub = |f: &Format, template: &str| {
            let (mut out, mut pos, mut start) = (String::new(), 0, 0);
            while start < nsn.len() {
                match pattern::cached::captures_prefix(f.pattern, &nsn[start..]) {
                    Some(m) if m.end > 0 => {
                        out.push_str(&nsn[pos..start]);
                        expand_into(&mut out, template, &m, &nsn[start..], "", 1);
                        start += m.end;
                        pos = start;
                    }
                    _ => start += 1,
                }
            }
            out + &nsn[pos..]
        };
        // The regions are leaked: their formats live as long as the test.
        let main: &'static Region = meta::main_region(u32::from(main.cc)).unwrap();
        let national = match pick(main.formats()) {
            None => nsn.to_string(),
            Some(f) if !f.np_rule.is_empty() => sub(f, &with_np_rule(f.template, f.np_rule)),
            Some(f) => sub(f, f.template),
        };
        let intl = pick(main.intl_formats()).map_or_else(|| nsn.to_string(), |f| sub(f, f.template));
        (national, ["+", cc, " ", &intl].concat())
    }

    #[test]
    fn formats_agree_with_the_plain_way_on_every_example_number() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/raw/phone/metadata.json");
        let snap: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut count = 0;
        for region in snap["regions"].as_object().unwrap().values() {
            let cc = region["country_code"].as_u64().unwrap().to_string();
            let main = meta::main_region(cc.parse().unwrap()).unwrap();
            for desc in region.as_object().unwrap().values() {
                let Some(ex) = desc.get("example").and_then(serde_json::Value::as_str) else {
                    continue;
                };
                // The example, its prefixes and one digit more: formats that
                // fit, that fit only in part and that do not fit.
                let longer = [ex, "0"].concat();
                for nsn in (2..=ex.len()).map(|n| &ex[..n]).chain([longer.as_str()]) {
                    assert_eq!(format_number(nsn, main, &cc), plain(nsn, main, &cc), "+{cc} {nsn}");
                    count += 1;
                }
            }
        }
        assert!(count > 5_000, "only {count} numbers");
    }

    #[test]
    fn french_as_you_type() {
        assert_eq!(f("0", Some("FR")), "0");
        assert_eq!(f("06", Some("FR")), "06");
        assert_eq!(f("0612", Some("FR")), "06 12");
        assert_eq!(f("06123456", Some("FR")), "06 12 34 56");
        assert_eq!(f("0612345678", Some("FR")), "06 12 34 56 78");
        assert_eq!(f("06 12 34 56 78 9", Some("FR")), "06123456789");
        assert_eq!(f("+336123", None), "+33 6 12 3");
        assert_eq!(f("+33612345678", None), "+33 6 12 34 56 78");
        assert_eq!(f("+3", None), "+3");
        assert_eq!(f("+33", None), "+33");
        assert_eq!(f("+", None), "+");
        assert_eq!(f("", None), "");
        assert_eq!(f("0033612", Some("FR")), "00 33 6 12");
    }

    #[test]
    fn other_regions() {
        assert_eq!(f("6502530000", Some("US")), "(650) 253-0000");
        assert_eq!(f("650253", Some("US")), "650-253"); // the 7-digit local format, as libphonenumber
        assert_eq!(f("16502530000", Some("US")), "1 (650) 253-0000");
        assert_eq!(f("+16502530000", None), "+1 650-253-0000");
        assert_eq!(f("020 7946 0958", Some("GB")), "020 7946 0958");
        assert_eq!(f("+44207946", None), "+44 20 7946");
        assert_eq!(f("+4930123456", None), "+49 30 123456");
    }

    #[test]
    fn odd_input() {
        assert_eq!(f("06 12 ab", Some("FR")), "06 12 ab");
        assert_eq!(f("0612", None), "0612");
        assert_eq!(f("0612", Some("ZZ")), "0612");
        assert_eq!(f("+999123", None), "+999123");
    }
}
