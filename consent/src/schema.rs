//! The JSON Schema of the records (`pkg/consent.schema.json`), generated
//! from this crate's types: `cargo run -p fiable-consent --example schema`,
//! run by `make tables` and checked by `make tables-check`.
//!
//! Why no schemars: the schema carries rules serde attributes cannot say
//! (the limits are this crate's constants, the enums are the wire names
//! the parsers accept, the E.164 pattern is the core's) and schemars
//! would need an attribute per field to say them, plus a dependency tree
//! for one file. Instead the property names come from the types
//! themselves ([`fields`] asks serde's derived `Deserialize` for its field
//! list), and each field's rule is looked up in one table here: a field
//! added to a type without a rule makes the generator panic, so the
//! schema cannot silently miss it.

use crate::canonical::Json;
use crate::erasure::{ERASURE_KIND, ERASURE_REASONS, Erasure};
use crate::record::*;
use serde::Deserialize;
use serde::de::{self, Visitor};

/// The serialized field names of a struct deriving `Deserialize`, in
/// declaration order (what the derive hands to `deserialize_struct`).
pub fn fields<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    match T::deserialize(FieldNames) {
        Err(Captured(Some(f))) => f,
        // Not a struct: no fields.
        _ => &[],
    }
}

/// A deserializer that only records the field list it is asked for.
struct FieldNames;

#[derive(Debug)]
struct Captured(Option<&'static [&'static str]>);

impl std::fmt::Display for Captured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("field names captured")
    }
}

impl std::error::Error for Captured {}

impl de::Error for Captured {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Captured(None)
    }
}

impl<'de> de::Deserializer<'de> for FieldNames {
    type Error = Captured;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Captured> {
        Err(Captured(None))
    }

    fn deserialize_struct<V: Visitor<'de>>(self, _: &'static str, fields: &'static [&'static str], _: V) -> Result<V::Value, Captured> {
        Err(Captured(Some(fields)))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

fn s(v: &str) -> Json {
    Json::Str(v.to_string())
}

fn int(v: usize) -> Json {
    Json::Int(v as i64)
}

fn o(members: &[(&str, Json)]) -> Json {
    Json::Obj(members.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
}

fn enum_of(names: &[&str]) -> Json {
    o(&[("enum", Json::Arr(names.iter().map(|n| s(n)).collect()))])
}

/// A string of 1..=max bytes.
fn text(max: usize) -> Json {
    o(&[("type", s("string")), ("minLength", int(1)), ("maxLength", int(max))])
}

fn pattern(p: &str) -> Json {
    o(&[("type", s("string")), ("pattern", s(p))])
}

/// The id rule of `check::is_id`, as a pattern.
fn id(max: usize) -> Json {
    pattern(&format!("^[A-Za-z0-9._:-]{{1,{max}}}$"))
}

fn date_time() -> Json {
    o(&[("type", s("string")), ("format", s("date-time"))])
}

fn with(mut j: Json, extra: &[(&str, Json)]) -> Json {
    if let Json::Obj(m) = &mut j {
        m.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    }
    j
}

fn doc(j: Json, d: &str) -> Json {
    with(j, &[("description", s(d))])
}

/// An object schema for the struct `T`: one property per serde field,
/// its rule from `rule` (which must know every field), `required` as
/// listed.
fn object<'de, T: Deserialize<'de>>(required: &[&str], rule: impl Fn(&str) -> Option<Json>) -> Json {
    let names = fields::<T>();
    let props: Vec<(String, Json)> = names
        .iter()
        .map(|f| {
            // ok: only the schema generator and its test call this, never a request or the Wasm;
            // a field without a rule is a bug that must stop the generator.
            let r = rule(f).unwrap_or_else(|| panic!("schema: no rule for field `{f}` of {}", std::any::type_name::<T>()));
            (f.to_string(), r)
        })
        .collect();
    for r in required {
        assert!(names.contains(r), "schema: required `{r}` is not a field of {}", std::any::type_name::<T>());
    }
    let mut m = vec![("type", s("object")), ("additionalProperties", Json::Bool(false))];
    if !required.is_empty() {
        m.push(("required", Json::Arr(required.iter().map(|r| s(r)).collect())));
    }
    with(o(&m), &[("properties", Json::Obj(props))])
}

fn purpose() -> Json {
    object::<Purpose>(&["id", "text", "text_sha256", "decision", "legal_basis", "affirmative_action"], |f| {
        Some(match f {
            "id" => id(MAX_SHORT),
            "text" => doc(text(MAX_TEXT), "The exact text shown."),
            "text_sha256" => doc(pattern("^[0-9a-f]{64}$"), "SHA-256 of the UTF-8 bytes of text, lowercase hex."),
            "decision" => enum_of(&Decision::NAMES),
            "legal_basis" => enum_of(&LegalBasis::NAMES),
            "affirmative_action" => {
                doc(o(&[("type", s("boolean"))]), "The person acted (ticked, clicked, said yes); false for a pre-ticked box.")
            }
            "confirmation" => doc(
                enum_of(&[crate::record::CONFIRMATION_EMAIL]),
                "A grant that counts only once confirmed: `email` is the double opt-in (the service mails a single-use link; opening it appends a record that `confirms` this one).",
            ),
            _ => return None,
        })
    })
}

fn subject_data() -> Json {
    let o = object::<SubjectData>(&[], |f| {
        Some(match f {
            "email" => o(&[("type", s("string")), ("maxLength", int(254))]),
            "phone" => doc(pattern(fiable_core::phone::E164_PATTERN), "E.164, e.g. +33612345678."),
            "first_name" | "last_name" => text(MAX_NAME_CHARS),
            "postcode" => text(16),
            "country" => doc(pattern("^[A-Z]{2}$"), "ISO 3166 alpha-2 of the postcode and phone; default FR."),
            _ => return None,
        })
    });
    with(
        o,
        &[
            ("minProperties", int(1)),
            (
                "description",
                s(
                    "Contact data of the person, only in a submission: the service checks it, derives the subject from it, and keeps it only sealed (encrypted under a per-subject key), never in clear.",
                ),
            ),
        ],
    )
}

fn sealed() -> Json {
    let o = object::<Sealed>(&["alg", "nonce", "ciphertext"], |f| {
        Some(match f {
            "alg" => o(&[("const", s("chacha20poly1305"))]),
            "nonce" => pattern("^([0-9a-f]{2}){1,32}$"),
            "ciphertext" => with(pattern("^([0-9a-f]{2})+$"), &[("maxLength", int(MAX_SEALED_HEX))]),
            _ => return None,
        })
    });
    with(
        o,
        &[(
            "description",
            s(
                "subject_data as the ledger stores it: the canonical JSON of subject_data encrypted with an AEAD under the subject's key, the record_id as associated data. Set by the service only; unreadable once the subject is erased (the key is destroyed), while the record's hash still verifies.",
            ),
        )],
    )
}

fn erasure() -> Json {
    let required = fields::<Erasure>();
    let o = object::<Erasure>(required, |f| {
        Some(match f {
            "kind" => o(&[("const", s(ERASURE_KIND))]),
            "schema_version" => o(&[("const", int(SCHEMA_VERSION as usize))]),
            "record_id" => id(MAX_SHORT),
            "subject" => pattern("^[A-Za-z0-9._:-]{8,128}$"),
            "erased_at" => date_time(),
            "reason" => enum_of(&ERASURE_REASONS),
            "actor" => doc(id(64), "admin (the admin API) or purge (the retention command)."),
            "records" => {
                doc(o(&[("type", s("integer")), ("minimum", int(0))]), "Ledger records of the subject whose sealed data became unreadable.")
            }
            _ => return None,
        })
    });
    let mut head = vec![
        ("title".to_string(), s("fiable erasure record: the ledger's proof that a subject's key was destroyed")),
        (
            "description".to_string(),
            s(
                "Appended to the ledger by DELETE /v1/subjects/{ref} (reason request) or fiable-lookup purge (reason retention). Holds no personal data.",
            ),
        ),
    ];
    if let Json::Obj(m) = o {
        head.extend(m);
    }
    Json::Obj(head)
}

/// The schema of a consent record, with the erasure record under `$defs`.
pub fn consent_record() -> Json {
    let record = object::<ConsentRecord>(
        &["schema_version", "subject", "controller", "purposes", "channel", "collector", "form", "locale", "acted_at"],
        |f| {
            Some(match f {
                "record_id" => doc(id(MAX_SHORT), "Unique id; the service assigns one when absent."),
                "schema_version" => o(&[("const", int(SCHEMA_VERSION as usize))]),
                "subject" => doc(
                    pattern("^([A-Za-z0-9._:-]{8,128})?$"),
                    "Pseudonymous keyed reference of the person; never an email, a phone number or a name. May be empty in a submission that carries subject_data: the service then derives it (the same reference for the same email or phone, else a fresh random one).",
                ),
                "controller" => object::<Controller>(&["name", "contact"], |_| Some(text(MAX_SHORT))),
                "purposes" => o(&[("type", s("array")), ("minItems", int(1)), ("maxItems", int(MAX_PURPOSES)), ("items", purpose())]),
                "channel" => enum_of(&Channel::NAMES),
                "collector" => object::<Collector>(&[], |_| Some(text(MAX_SHORT))),
                "form" => object::<FormRef>(&["id", "version"], |_| Some(text(MAX_SHORT))),
                "locale" => doc(o(&[("type", s("string"))]), "BCP 47 tag of the texts shown, e.g. fr-FR."),
                "acted_at" => doc(date_time(), "RFC 3339, when the person acted."),
                "expires_at" => date_time(),
                "retention_days" => o(&[("type", s("integer")), ("minimum", int(0)), ("maximum", Json::Int(u32::MAX.into()))]),
                "withdraws" => doc(id(MAX_SHORT), "Id of the record this withdrawal record takes back."),
                "confirms" => {
                    doc(id(MAX_SHORT), "Id of the record this confirmation record confirms (double opt-in); written by the service.")
                }
                "subject_data" => subject_data(),
                "sealed" => sealed(),
                _ => return None,
            })
        },
    );
    let mut m = vec![
        ("$schema".to_string(), s("https://json-schema.org/draft/2020-12/schema")),
        ("$id".to_string(), s(&format!("https://fiable.dev/schema/consent-record/{SCHEMA_VERSION}.json"))),
        ("title".to_string(), s(&format!("fiable consent record (ISO/IEC 27560-inspired), schema version {SCHEMA_VERSION}"))),
        (
            "description".to_string(),
            s(
                "One consent record. Hashes are computed on its RFC 8785 canonical form. Generated from the fiable-consent crate's types (cargo run -p fiable-consent --example schema): do not edit.",
            ),
        ),
    ];
    if let Json::Obj(r) = record {
        m.extend(r);
    }
    m.push(("$defs".to_string(), o(&[("erasure", erasure())])));
    Json::Obj(m)
}

/// `j` as indented JSON, members in the order given (the canonical form
/// sorts them; a schema reads better in its own order).
pub fn pretty(j: &Json) -> String {
    let mut out = String::new();
    write_pretty(j, 0, &mut out);
    out.push('\n');
    out
}

fn write_pretty(j: &Json, depth: usize, out: &mut String) {
    let pad = |d: usize, out: &mut String| out.extend(std::iter::repeat_n("  ", d));
    match j {
        Json::Arr(a) if !a.is_empty() => {
            // Short lists (enums, required) on one line.
            out.push('[');
            for (i, v) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_pretty(v, depth, out);
            }
            out.push(']');
        }
        Json::Obj(m) if !m.is_empty() => {
            out.push_str("{\n");
            for (i, (k, v)) in m.iter().enumerate() {
                pad(depth + 1, out);
                out.push_str(&Json::Str(k.clone()).canonical());
                out.push_str(": ");
                write_pretty(v, depth + 1, out);
                out.push_str(if i + 1 < m.len() { ",\n" } else { "\n" });
            }
            pad(depth, out);
            out.push('}');
        }
        other => out.push_str(&other.canonical()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_come_from_the_types() {
        assert_eq!(fields::<FormRef>(), &["id", "version"]);
        assert_eq!(fields::<String>(), &[] as &[&str]);
    }

    #[test]
    fn enum_names_parse() {
        assert!(Channel::NAMES.iter().all(|n| Channel::parse(n).is_some()));
        assert!(Decision::NAMES.iter().all(|n| Decision::parse(n).is_some()));
        assert!(LegalBasis::NAMES.iter().all(|n| LegalBasis::parse(n).is_some()));
    }
}
