//! Canonical JSON (RFC 8785 / JCS style): keys sorted by UTF-16 code
//! units, no whitespace, minimal escaping, integers only, so that a
//! record's SHA-256 is reproducible anywhere.

use crate::hash::{hex, sha256_hex};
use crate::record::*;

/// A JSON value of the canonical writer: integers only, no floats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<Json>),
    /// An object; the writer sorts its keys.
    Obj(Vec<(String, Json)>),
}

impl Json {
    /// The RFC 8785 (JCS) form: members sorted by the UTF-16 code units of
    /// their keys, no insignificant whitespace, minimal string escaping.
    pub fn canonical(&self) -> String {
        let mut s = String::new();
        self.write(&mut s);
        s
    }

    fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Int(i) => {
                use std::fmt::Write;
                let _ = write!(out, "{i}");
            }
            Json::Str(s) => write_str(s, out),
            Json::Arr(a) => {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push(']');
            }
            Json::Obj(m) => {
                let mut m: Vec<&(String, Json)> = m.iter().collect();
                m.sort_by(|a, b| utf16_cmp(&a.0, &b.0));
                out.push('{');
                for (i, (k, v)) in m.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_str(k, out);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// The order of `a` and `b` by UTF-16 code units. ASCII keys (all of the
/// records' own) compare as bytes, which is the same order and spares
/// encoding them.
fn utf16_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    if a.is_ascii() && b.is_ascii() { a.as_bytes().cmp(b.as_bytes()) } else { a.encode_utf16().cmp(b.encode_utf16()) }
}

/// A JSON string the JCS way: only `"`, `\` and controls are escaped.
/// Runs of bytes that need no escape are copied whole: the bytes escaped
/// are ASCII, and no byte of a multi-byte UTF-8 sequence is ASCII, so a
/// run always ends on a character boundary.
fn write_str(s: &str, out: &mut String) {
    out.reserve(s.len() + 2);
    out.push('"');
    let mut run = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            b'\t' => "\\t",
            b'\n' => "\\n",
            0x0c => "\\f",
            b'\r' => "\\r",
            b if b < 0x20 => "",
            _ => continue,
        };
        out.push_str(&s[run..i]);
        run = i + 1;
        if esc.is_empty() {
            out.push_str("\\u00");
            out.push_str(&hex(&[b]));
        } else {
            out.push_str(esc);
        }
    }
    out.push_str(&s[run..]);
    out.push('"');
}

pub(crate) fn s(v: &str) -> Json {
    Json::Str(v.to_string())
}

pub(crate) fn obj(members: Vec<(&str, Option<Json>)>) -> Json {
    Json::Obj(members.into_iter().filter_map(|(k, v)| v.map(|v| (k.to_string(), v))).collect())
}

impl ConsentRecord {
    /// The record as a JSON tree; absent optional fields are left out.
    pub fn to_json(&self) -> Json {
        let c = &self.collector;
        obj(vec![
            ("record_id", Some(s(&self.record_id))),
            ("schema_version", Some(Json::Int(self.schema_version.into()))),
            ("subject", Some(s(&self.subject))),
            ("controller", Some(obj(vec![("name", Some(s(&self.controller.name))), ("contact", Some(s(&self.controller.contact)))]))),
            (
                "purposes",
                Some(Json::Arr(
                    self.purposes
                        .iter()
                        .map(|p| {
                            obj(vec![
                                ("id", Some(s(&p.id))),
                                ("text", Some(s(&p.text))),
                                ("text_sha256", Some(s(&p.text_sha256))),
                                ("decision", Some(s(&p.decision))),
                                ("legal_basis", Some(s(&p.legal_basis))),
                                ("affirmative_action", Some(Json::Bool(p.affirmative_action))),
                                ("confirmation", p.confirmation.as_deref().map(s)),
                            ])
                        })
                        .collect(),
                )),
            ),
            ("channel", Some(s(&self.channel))),
            (
                "collector",
                Some(obj(vec![
                    ("site", c.site.as_deref().map(s)),
                    ("advisor_id", c.advisor_id.as_deref().map(s)),
                    ("store_id", c.store_id.as_deref().map(s)),
                ])),
            ),
            ("form", Some(obj(vec![("id", Some(s(&self.form.id))), ("version", Some(s(&self.form.version)))]))),
            ("locale", Some(s(&self.locale))),
            ("acted_at", Some(s(&self.acted_at))),
            ("expires_at", self.expires_at.as_deref().map(s)),
            ("retention_days", self.retention_days.map(|d| Json::Int(d.into()))),
            ("withdraws", self.withdraws.as_deref().map(s)),
            ("confirms", self.confirms.as_deref().map(s)),
            ("subject_data", self.subject_data.as_ref().map(SubjectData::to_json)),
            (
                "sealed",
                self.sealed
                    .as_ref()
                    .map(|x| obj(vec![("alg", Some(s(&x.alg))), ("nonce", Some(s(&x.nonce))), ("ciphertext", Some(s(&x.ciphertext)))])),
            ),
        ])
    }

    /// The canonical JSON text (RFC 8785 style) of the record.
    pub fn canonical_json(&self) -> String {
        self.to_json().canonical()
    }

    /// Lowercase hex SHA-256 of [`Self::canonical_json`].
    pub fn sha256(&self) -> String {
        sha256_hex(self.canonical_json().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_minimally() {
        let j = Json::Str("a\"b\\c\n\u{1}é€\u{7f}\u{2028}/".into());
        assert_eq!(j.canonical(), "\"a\\\"b\\\\c\\n\\u0001é€\u{7f}\u{2028}/\"");
    }

    /// The char-by-char writer this crate used first: the reference the
    /// faster one must match byte for byte.
    fn write_str_reference(s: &str) -> String {
        let mut out = String::from('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\u{8}' => out.push_str("\\b"),
                '\t' => out.push_str("\\t"),
                '\n' => out.push_str("\\n"),
                '\u{c}' => out.push_str("\\f"),
                '\r' => out.push_str("\\r"),
                c if (c as u32) < 0x20 => {
                    out.push_str("\\u00");
                    out.push_str(&hex(&[c as u8]));
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    #[test]
    fn strings_escape_as_the_reference_writer_did() {
        // Every control, the escaped ASCII and multi-byte characters, at
        // the start, middle and end of strings, and runs of them.
        let mut pieces: Vec<String> = (0u32..0x80).filter_map(char::from_u32).map(String::from).collect();
        pieces.extend(["é", "€", "😀", "\u{2028}", "\u{fffd}", "ab", ""].map(String::from));
        for a in &pieces {
            for b in ["", "\"", "\\", "\n", "\u{1f}", "x", "é€", "\u{7f}"] {
                for s in [format!("{a}{b}"), format!("{b}{a}{b}"), format!("{a}{a}{b}{a}")] {
                    assert_eq!(Json::Str(s.clone()).canonical(), write_str_reference(&s), "{s:?}");
                }
            }
        }
    }

    #[test]
    fn keys_sort_by_utf16_units_ascii_or_not() {
        let keys = ["b", "a", "ab", "", "\u{7f}", "Z", "é", "\u{fb01}", "😀", "a\u{fb01}", "a😀"];
        let mut fast: Vec<&str> = keys.to_vec();
        fast.sort_by(|a, b| utf16_cmp(a, b));
        let mut slow: Vec<&str> = keys.to_vec();
        slow.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
        assert_eq!(fast, slow);
        assert_eq!(Json::Int(-42).canonical(), "-42");
        assert_eq!(Json::Int(i64::MIN).canonical(), i64::MIN.to_string());
    }

    #[test]
    fn keys_sort_by_utf16_units() {
        // U+1F600 (surrogates D83D…) sorts before U+FB01 in UTF-16, after in UTF-8.
        let j = Json::Obj(vec![("\u{fb01}".into(), Json::Int(1)), ("😀".into(), Json::Int(2)), ("a".into(), Json::Null)]);
        assert_eq!(j.canonical(), "{\"a\":null,\"😀\":2,\"\u{fb01}\":1}");
    }
}
