//! The one result type every check returns.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

/// How a value fares. Only `Invalid` ever blocks a form (and only if the
/// page says so); `Pending` is for remote checks still running.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The value is fine.
    Valid,
    /// The value is usable but probably not what the person meant.
    Warning,
    /// The value cannot be right.
    Invalid,
    /// A remote check is still running.
    Pending,
}

impl Status {
    /// The wire name: `valid`, `warning`, `invalid`, `pending`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Warning => "warning",
            Status::Invalid => "invalid",
            Status::Pending => "pending",
        }
    }
}

/// One value in a verdict's `details`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Detail {
    /// A string, e.g. a phone type or a country code.
    Text(String),
    /// A number, e.g. an age or a share.
    Number(f64),
    /// A yes/no fact, e.g. `free` for a mailbox.
    Flag(bool),
    /// A list of strings, e.g. the communes of a postcode.
    List(Vec<String>),
}

impl Detail {
    /// The value as text, for message templates.
    pub fn to_text(&self) -> String {
        match self {
            Detail::Text(s) => s.clone(),
            Detail::Number(n) => number_text(*n),
            Detail::Flag(b) => (if *b { "true" } else { "false" }).to_string(),
            Detail::List(l) => {
                let mut s = String::new();
                for (i, x) in l.iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    s.push_str(x);
                }
                s
            }
        }
    }
}

/// Formats a number with at most 4 decimals, without the float formatting
/// machinery of `std::fmt` (it weighs ~20 KB of Wasm).
fn number_text(n: f64) -> String {
    if !n.is_finite() {
        return "null".into();
    }
    let neg = n < 0.0;
    let scaled = (n.abs() * 10_000.0).round();
    if scaled >= 9.0e18 {
        return if neg { "-1e18".into() } else { "1e18".into() };
    }
    let scaled = scaled as u64;
    let (int, mut frac) = (scaled / 10_000, scaled % 10_000);
    let mut s = String::new();
    if neg && scaled > 0 {
        s.push('-');
    }
    crate::text::push_decimal(&mut s, int);
    if frac > 0 {
        let mut digits = 4;
        while frac % 10 == 0 {
            frac /= 10;
            digits -= 1;
        }
        s.push('.');
        let f = crate::text::decimal(frac);
        for _ in f.len()..digits {
            s.push('0');
        }
        s.push_str(&f);
    }
    s
}

/// Structured facts about a value, in insertion order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Details(pub Vec<(&'static str, Detail)>);

impl Details {
    /// Looks a detail up by key.
    pub fn get(&self, key: &str) -> Option<&Detail> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }
    /// True when there is no detail.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Details {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// The verdict on one field: data, never an exception.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    /// The field's name in the form, or the kind for a lone check.
    pub field: String,
    /// Valid, warning, invalid or pending.
    pub status: Status,
    /// Stable machine code such as `email.domain_typo`; never changes once shipped.
    pub code: &'static str,
    /// Human message in the requested locale (empty when there is nothing to say).
    pub message: String,
    /// A one-click correction of the whole value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
    /// The canonical form of the value (E.164, punycode domain, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normalized: Option<String>,
    /// Extra facts: phone type, country, free mailbox, …
    #[serde(skip_serializing_if = "Details::is_empty")]
    pub details: Details,
}

impl Verdict {
    /// A verdict with a status and code; the message is rendered later.
    pub fn new(status: Status, code: &'static str) -> Self {
        Verdict {
            field: String::new(),
            status,
            code,
            message: String::new(),
            suggestion: None,
            normalized: None,
            details: Details::default(),
        }
    }
    /// A `valid` verdict.
    pub fn valid(code: &'static str) -> Self {
        Self::new(Status::Valid, code)
    }
    /// A `warning` verdict.
    pub fn warning(code: &'static str) -> Self {
        Self::new(Status::Warning, code)
    }
    /// An `invalid` verdict.
    pub fn invalid(code: &'static str) -> Self {
        Self::new(Status::Invalid, code)
    }
    /// Sets the one-click suggestion.
    pub fn with_suggestion(mut self, s: impl Into<String>) -> Self {
        self.suggestion = Some(s.into());
        self
    }
    /// Sets the canonical form.
    pub fn with_normalized(mut self, s: impl Into<String>) -> Self {
        self.normalized = Some(s.into());
        self
    }
    /// Adds a detail.
    pub fn with(mut self, key: &'static str, value: Detail) -> Self {
        self.details.0.push((key, value));
        self
    }
    /// Adds a text detail.
    pub fn with_text(self, key: &'static str, value: impl Into<String>) -> Self {
        self.with(key, Detail::Text(value.into()))
    }
    /// Adds a numeric detail.
    pub fn with_number(self, key: &'static str, value: f64) -> Self {
        self.with(key, Detail::Number(value))
    }
    /// Adds a yes/no detail.
    pub fn with_flag(self, key: &'static str, value: bool) -> Self {
        self.with(key, Detail::Flag(value))
    }
    /// True unless invalid: what a form may submit.
    pub fn is_acceptable(&self) -> bool {
        self.status != Status::Invalid
    }
}

impl Verdict {
    /// The verdict as compact JSON, written by hand so that the Wasm build
    /// needs no JSON library (size). Same shape as the serde form.
    pub fn to_json(&self) -> String {
        self.json_as(&self.field)
    }

    /// [`Verdict::to_json`] with the field named `field`.
    #[inline(never)]
    fn json_as(&self, field: &str) -> String {
        // One allocation for nearly every verdict: regrowing (a copy each
        // time) from a tighter guess cost more than the spare bytes.
        let mut s = String::with_capacity(256 + self.message.len());
        s.push_str("{\"field\":");
        json_str(&mut s, field);
        s.push_str(",\"status\":\"");
        s.push_str(self.status.as_str());
        s.push_str("\",\"code\":");
        json_str(&mut s, self.code);
        s.push_str(",\"message\":");
        json_str(&mut s, &self.message);
        if let Some(x) = &self.suggestion {
            s.push_str(",\"suggestion\":");
            json_str(&mut s, x);
        }
        if let Some(x) = &self.normalized {
            s.push_str(",\"normalized\":");
            json_str(&mut s, x);
        }
        if !self.details.is_empty() {
            s.push_str(",\"details\":{");
            for (i, (k, v)) in self.details.0.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                json_str(&mut s, k);
                s.push(':');
                json_detail(&mut s, v);
            }
            s.push('}');
        }
        s.push('}');
        s
    }
}

/// Field separator of [`Verdict::to_record`].
const US: char = '\u{1f}';

impl Verdict {
    /// The verdict as one record for the page's hot path (`validate`), far
    /// cheaper to take apart in JS than JSON is to parse: `field␟status␟code␟
    /// message␟suggestion␟normalized` then `key␟value` per detail, fields
    /// separated by U+001F. `suggestion` and `normalized` start with `+` when
    /// present (empty when not); a detail value starts with its type: `s`
    /// text, `n` number (`null` for NaN), `t`/`f` flag, `l` list (items
    /// separated by U+001E). A verdict whose text holds either separator is
    /// written as JSON instead (it starts with `{`), so framing never breaks.
    #[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
    pub fn to_record(&self) -> String {
        self.to_record_as(&self.field)
    }

    /// [`Verdict::to_record`] with the field named `field` (no separator in
    /// it): a lone check's verdict names its kind without a copy of the name.
    #[inline(never)]
    #[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
    pub fn to_record_as(&self, field: &str) -> String {
        if self.has_separator() {
            return self.json_as(field);
        }
        let mut s = String::with_capacity(96 + self.message.len());
        // Written out: an iterator over an array is a call per item in the
        // size-built Wasm.
        s.push_str(field);
        s.push(US);
        s.push_str(self.status.as_str());
        s.push(US);
        s.push_str(self.code);
        s.push(US);
        s.push_str(&self.message);
        push_optional(&mut s, &self.suggestion);
        push_optional(&mut s, &self.normalized);
        for (k, v) in &self.details.0 {
            s.push(US);
            s.push_str(k);
            s.push(US);
            match v {
                Detail::Text(t) => {
                    s.push('s');
                    s.push_str(t);
                }
                Detail::Number(n) => {
                    s.push('n');
                    s.push_str(&number_text(*n));
                }
                Detail::Flag(b) => s.push(if *b { 't' } else { 'f' }),
                Detail::List(l) => {
                    s.push('l');
                    for (i, t) in l.iter().enumerate() {
                        if i > 0 {
                            s.push('\u{1e}');
                        }
                        s.push_str(t);
                    }
                }
            }
        }
        s
    }

    #[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
    fn has_separator(&self) -> bool {
        // A plain loop: `bytes().any()` is a call per byte in the size-built Wasm.
        let sep = |t: &str| {
            let (b, mut i) = (t.as_bytes(), 0);
            while i < b.len() && b[i] != 0x1e && b[i] != 0x1f {
                i += 1;
            }
            i < b.len()
        };
        sep(&self.field)
            || sep(&self.message)
            || self.suggestion.as_deref().is_some_and(sep)
            || self.normalized.as_deref().is_some_and(sep)
            || self.details.0.iter().any(|(_, v)| match v {
                Detail::Text(t) => sep(t),
                Detail::List(l) => l.iter().any(|t| sep(t)),
                _ => false,
            })
    }
}

/// A record's optional part: `+` and the text, or nothing.
fn push_optional(s: &mut String, x: &Option<String>) {
    s.push(US);
    if let Some(x) = x {
        s.push('+');
        s.push_str(x);
    }
}

fn json_detail(s: &mut String, d: &Detail) {
    match d {
        Detail::Text(t) => json_str(s, t),
        Detail::Number(n) => s.push_str(&number_text(*n)),
        Detail::Flag(b) => s.push_str(if *b { "true" } else { "false" }),
        Detail::List(l) => {
            s.push('[');
            for (i, t) in l.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                json_str(s, t);
            }
            s.push(']');
        }
    }
}

/// Appends `t` as a JSON string literal. Runs of plain bytes are copied
/// whole: pushing char by char was a fifth of a phone check in the Wasm.
pub fn json_str(s: &mut String, t: &str) {
    s.push('"');
    let b = t.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        // U+2028 and U+2029 are E2 80 A8 / E2 80 A9 in UTF-8.
        let special =
            c < 0x20 || c == b'"' || c == b'\\' || (c == 0xE2 && b.get(i + 1) == Some(&0x80) && matches!(b.get(i + 2), Some(0xA8 | 0xA9)));
        if !special {
            i += 1;
            continue;
        }
        s.push_str(&t[run..i]);
        let (esc, len) = match c {
            b'"' => ("\\\"", 1),
            b'\\' => ("\\\\", 1),
            b'\n' => ("\\n", 1),
            b'\r' => ("\\r", 1),
            b'\t' => ("\\t", 1),
            0xE2 if b[i + 2] == 0xA8 => ("\\u2028", 3),
            0xE2 => ("\\u2029", 3),
            _ => ("", 1),
        };
        if esc.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            s.push_str("\\u00");
            s.push(HEX[usize::from(c >> 4)] as char);
            s.push(HEX[usize::from(c & 0xf)] as char);
        } else {
            s.push_str(esc);
        }
        i += len;
        run = i;
    }
    s.push_str(&t[run..]);
    s.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_json_matches_serde() {
        let v = Verdict::warning("email.domain_typo")
            .with_suggestion("jean@gmail.com")
            .with_normalized("a\"b\\c\n\u{1}\u{2028}é€\u{2029}\u{2027}\t\r\u{1f}")
            .with_flag("free", true)
            .with_number("age", 36.0)
            .with_number("share", 0.25)
            .with_number("neg", -0.0625)
            .with_number("small", 0.05)
            .with_number("nan", f64::NAN)
            .with("cities", Detail::List(vec!["Paris".into(), "L'Haÿ".into()]));
        // Numbers compare as f64: `36` and `36.0` are the same JSON number.
        fn num(v: serde_json::Value) -> serde_json::Value {
            match v {
                serde_json::Value::Number(n) => serde_json::json!(n.as_f64().unwrap()),
                serde_json::Value::Object(m) => m.into_iter().map(|(k, v)| (k, num(v))).collect(),
                other => other,
            }
        }
        let ours: serde_json::Value = serde_json::from_str(&v.to_json()).unwrap();
        let theirs = serde_json::to_value(&v).unwrap();
        assert_eq!(num(ours), num(theirs));
        assert_eq!(from_record(&v.to_record()), num(serde_json::to_value(&v).unwrap()));
        let typo = Verdict::warning("email.domain_typo")
            .with_suggestion("")
            .with_normalized("jean@gmial.com")
            .with_flag("free", false)
            .with("none", Detail::List(vec![]))
            .with_number("age", 36.5)
            .with_text("empty", "");
        assert_eq!(from_record(&typo.to_record()), num(serde_json::to_value(&typo).unwrap()));
        assert!(v.to_record().starts_with('{'), "a separator in the text falls back to JSON");
        let plain = Verdict::valid("field.empty");
        let ours: serde_json::Value = serde_json::from_str(&plain.to_json()).unwrap();
        assert_eq!(ours, serde_json::to_value(&plain).unwrap());
        assert_eq!(from_record(&plain.to_record()), serde_json::to_value(&plain).unwrap());
    }

    /// What `pkg/api.js` does with a record, numbers as f64.
    fn from_record(r: &str) -> serde_json::Value {
        use serde_json::{Value, json};
        if r.starts_with('{') {
            let v: Value = serde_json::from_str(r).unwrap();
            return match v {
                Value::Object(m) => m
                    .into_iter()
                    .map(|(k, v)| match v {
                        Value::Object(d) => (k, d.into_iter().map(|(k, v)| (k, v.as_f64().map_or(v.clone(), |n| json!(n)))).collect()),
                        v => (k, v),
                    })
                    .collect(),
                v => v,
            };
        }
        let p: Vec<&str> = r.split('\u{1f}').collect();
        let mut m = serde_json::Map::new();
        for (i, k) in ["field", "status", "code", "message"].into_iter().enumerate() {
            m.insert(k.into(), json!(p[i]));
        }
        for (i, k) in [(4, "suggestion"), (5, "normalized")] {
            if let Some(x) = p[i].strip_prefix('+') {
                m.insert(k.into(), json!(x));
            }
        }
        let mut d = serde_json::Map::new();
        for kv in p[6..].chunks(2) {
            let (t, x) = kv[1].split_at(1);
            let v = match t {
                "s" => json!(x),
                "n" => x.parse::<f64>().map_or(Value::Null, |n| json!(n)),
                "t" => json!(true),
                "f" => json!(false),
                _ => json!(if x.is_empty() { vec![] } else { x.split('\u{1e}').collect::<Vec<_>>() }),
            };
            d.insert(kv[0].into(), v);
        }
        if !d.is_empty() {
            m.insert("details".into(), Value::Object(d));
        }
        Value::Object(m)
    }
}
