//! Just enough IDNA for mail domains: an RFC 3492 punycode encoder, the
//! mappings browsers also apply (ideographic and fullwidth dots, fullwidth
//! ASCII, lower case) and a rejection of what cannot be a domain label
//! (symbols, punctuation, combining marks on their own, control characters).
//! Full UTS-46 mapping and NFC are out of scope: accented letters as typed
//! (precomposed, as every keyboard produces them) are what matters here.

const BASE: u32 = 36;
const TMIN: u32 = 1;
const TMAX: u32 = 26;
const SKEW: u32 = 38;
const DAMP: u32 = 700;
const INITIAL_BIAS: u32 = 72;
const INITIAL_N: u32 = 128;

fn adapt(mut delta: u32, numpoints: u32, first: bool) -> u32 {
    delta /= if first { DAMP } else { 2 };
    delta += delta / numpoints;
    let mut k = 0;
    while delta > ((BASE - TMIN) * TMAX) / 2 {
        delta /= BASE - TMIN;
        k += BASE;
    }
    k + (((BASE - TMIN + 1) * delta) / (delta + SKEW))
}

fn digit(d: u32) -> char {
    // 0..25 → a..z, 26..35 → 0..9
    if d < 26 { (b'a' + d as u8) as char } else { (b'0' + (d - 26) as u8) as char }
}

/// Decodes one punycode label (RFC 3492), without the `xn--` prefix;
/// `None` when it is not valid punycode.
pub fn decode(input: &str) -> Option<String> {
    if !input.is_ascii() {
        return None;
    }
    let (mut out, rest): (Vec<char>, &str) = match crate::text::rfind_byte(input, b'-') {
        Some(i) => (input[..i].chars().collect(), &input[i + 1..]),
        None => (Vec::new(), input),
    };
    let (mut n, mut i, mut bias) = (INITIAL_N, 0u32, INITIAL_BIAS);
    let mut digits = rest.bytes().peekable();
    while digits.peek().is_some() {
        let old = i;
        let mut w = 1u32;
        let mut k = BASE;
        loop {
            let d = match digits.next()? {
                c @ b'a'..=b'z' => u32::from(c - b'a'),
                c @ b'A'..=b'Z' => u32::from(c - b'A'),
                c @ b'0'..=b'9' => u32::from(c - b'0') + 26,
                _ => return None,
            };
            i = i.checked_add(d.checked_mul(w)?)?;
            let t = if k <= bias {
                TMIN
            } else if k >= bias + TMAX {
                TMAX
            } else {
                k - bias
            };
            if d < t {
                break;
            }
            w = w.checked_mul(BASE - t)?;
            k += BASE;
        }
        let len = out.len() as u32 + 1;
        bias = adapt(i - old, len, old == 0);
        n = n.checked_add(i / len)?;
        i %= len;
        out.insert(i as usize, char::from_u32(n)?);
        i += 1;
    }
    Some(out.into_iter().collect())
}

/// Whether an `xn--` label is one the encoder would write: valid punycode
/// of something that is not plain ASCII (`xn--zz` is not).
pub fn is_valid_ace(label: &str) -> bool {
    let Some(code) = label.strip_prefix("xn--") else {
        return true;
    };
    decode(code).is_some_and(|u| !u.is_ascii() && punycode(&u).as_deref() == Some(code))
}

/// Punycode-encodes one label (RFC 3492), without the `xn--` prefix.
/// `None` on arithmetic overflow (absurdly long or high input).
pub fn punycode(input: &str) -> Option<String> {
    let cps: Vec<u32> = input.chars().map(|c| c as u32).collect();
    let mut out: String = input.chars().filter(char::is_ascii).collect();
    let basic = out.len() as u32;
    let mut h = basic;
    if basic > 0 {
        out.push('-');
    }
    let (mut n, mut delta, mut bias) = (INITIAL_N, 0u32, INITIAL_BIAS);
    let total = cps.len() as u32;
    while h < total {
        let m = cps.iter().copied().filter(|&c| c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(h + 1)?)?;
        n = m;
        for &c in &cps {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        TMIN
                    } else if k >= bias + TMAX {
                        TMAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    out.push(digit(t + (q - t) % (BASE - t)));
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out.push(digit(q));
                bias = adapt(delta, h + 1, h == basic);
                delta = 0;
                h += 1;
            }
        }
        delta = delta.checked_add(1)?;
        n = n.checked_add(1)?;
    }
    Some(out)
}

/// Maps what browsers map before anything else: the ideographic and
/// fullwidth full stops to `.`, fullwidth ASCII to ASCII.
pub fn map_char(c: char) -> char {
    match c {
        '\u{3002}' | '\u{FF0E}' | '\u{FF61}' => '.',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Lower-cases a Unicode label and checks that every non-ASCII character is
/// a letter or digit. `None` when the label cannot be a domain label.
pub fn lower_label(label: &str) -> Option<String> {
    let mut out = String::with_capacity(label.len());
    for c in label.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else if crate::text::is_alphanumeric(c) {
            out.push(crate::text::lower(c));
        } else {
            return None;
        }
    }
    Some(out)
}

/// The ASCII form of a lower-cased label: itself, or `xn--` + punycode.
pub fn to_ascii_label(label: &str) -> Option<String> {
    ascii_label(label).map(std::borrow::Cow::into_owned)
}

/// [`to_ascii_label`] without a copy of an ASCII label.
pub(crate) fn ascii_label(label: &str) -> Option<std::borrow::Cow<'_, str>> {
    if label.is_ascii() {
        return Some(label.into());
    }
    Some(["xn--", &punycode(label)?].concat().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3492_and_common_labels() {
        assert_eq!(punycode("bücher").as_deref(), Some("bcher-kva"));
        assert_eq!(punycode("café").as_deref(), Some("caf-dma"));
        assert_eq!(punycode("münchen").as_deref(), Some("mnchen-3ya"));
        assert_eq!(punycode("exemple-é").as_deref(), Some("exemple--i1a"));
        // RFC 3492 7.1 (A) Arabic (Egyptian), (L) Japanese "3年B組金八先生"
        assert_eq!(
            punycode("\u{0644}\u{064A}\u{0647}\u{0645}\u{0627}\u{0628}\u{062A}\u{0643}\u{0644}\u{0645}\u{0648}\u{0634}\u{0639}\u{0631}\u{0628}\u{064A}\u{061F}")
                .as_deref(),
            Some("egbpdaj6bu4bxfgehfvwxn")
        );
        assert_eq!(punycode("3年b組金八先生").as_deref(), Some("3b-ww4c5e180e575a65lsy2b"));
        assert_eq!(punycode("ελ").as_deref(), Some("qxam"));
        assert_eq!(punycode("abc").as_deref(), Some("abc-"));
    }

    #[test]
    fn decoding_round_trips_and_rejects_garbage() {
        for u in ["bücher", "café", "münchen", "ελ", "3年b組金八先生", "exemple-é"] {
            let code = punycode(u).unwrap_or_default();
            assert_eq!(decode(&code).as_deref(), Some(u), "{code}");
            assert!(is_valid_ace(&format!("xn--{code}")));
        }
        for bad in ["xn--zz", "xn--abc-", "xn--", "xn--9999999999", "xn--a-é", "xn--caf-dm"] {
            assert!(!is_valid_ace(bad), "{bad}");
        }
        assert!(is_valid_ace("plain"));
    }

    #[test]
    fn lowering_and_mapping() {
        assert_eq!(lower_label("BÜCHER").as_deref(), Some("bücher"));
        assert_eq!(lower_label("a™b"), None);
        assert_eq!(lower_label("e\u{301}"), None);
        assert_eq!(map_char('。'), '.');
        assert_eq!(map_char('Ａ'), 'A');
        assert_eq!(to_ascii_label("café").as_deref(), Some("xn--caf-dma"));
    }
}
