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
            Json::Int(i) => out.push_str(&i.to_string()),
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
                m.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
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

/// A JSON string the JCS way: only `"`, `\` and controls are escaped.
fn write_str(s: &str, out: &mut String) {
    out.push('"');
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

    #[test]
    fn keys_sort_by_utf16_units() {
        // U+1F600 (surrogates D83D…) sorts before U+FB01 in UTF-16, after in UTF-8.
        let j = Json::Obj(vec![("\u{fb01}".into(), Json::Int(1)), ("😀".into(), Json::Int(2)), ("a".into(), Json::Null)]);
        assert_eq!(j.canonical(), "{\"a\":null,\"😀\":2,\"\u{fb01}\":1}");
    }
}
