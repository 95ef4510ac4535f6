//! The consent record: validation codes, canonical JSON, the JSON Schema.
use fiable_core::consent::{ConsentRecord, Json, sha256_hex, validate};
use proptest::prelude::*;
use serde_json::Value;

const SAMPLE: &str = include_str!("fixtures/consent_record.json");

fn sample() -> ConsentRecord {
    serde_json::from_str(SAMPLE).unwrap()
}

fn codes(r: &ConsentRecord) -> Vec<&'static str> {
    validate(r).into_iter().map(|p| p.code).collect()
}

#[test]
fn the_sample_record_is_sound() {
    assert_eq!(validate(&sample()), vec![]);
}

#[test]
fn canonical_form_is_sorted_compact_and_stable() {
    let c = sample().canonical_json();
    assert!(c.starts_with("{\"acted_at\":\"2026-11-23T17:15:02.120+01:00\",\"channel\":\"store\",\"collector\":{\"advisor_id\":"), "{c}");
    assert!(!c.contains(": ") && !c.contains('\n'));
    assert!(c.contains("Désinscription"), "non-ASCII stays literal");
    // Same as serde_json's sorted, compact output for this (integer-only) record.
    let v: Value = serde_json::from_str(SAMPLE).unwrap();
    assert_eq!(c, serde_json::to_string(&v).unwrap());
    // Parsing the canonical form gives the same record back.
    let back: ConsentRecord = serde_json::from_str(&c).unwrap();
    assert_eq!(back, sample());
    assert_eq!(back.sha256(), sha256_hex(c.as_bytes()));
}

#[test]
fn absent_options_are_left_out() {
    let mut r = sample();
    r.expires_at = None;
    r.retention_days = None;
    r.withdraws = None;
    r.collector.site = None;
    let c = r.canonical_json();
    for k in ["expires_at", "retention_days", "withdraws", "site", "null"] {
        assert!(!c.contains(k), "{k} in {c}");
    }
}

#[test]
fn problems_have_stable_codes() {
    type Edit = fn(&mut ConsentRecord);
    let cases: Vec<(&str, Edit)> = vec![
        ("consent.missing_purpose_text", |r| r.purposes[0].text = " ".into()),
        ("consent.text_hash_mismatch", |r| r.purposes[0].text.push('!')),
        ("consent.missing_text_hash", |r| r.purposes[1].text_sha256.clear()),
        ("consent.granted_without_action", |r| r.purposes[0].affirmative_action = false),
        ("consent.unknown_channel", |r| r.channel = "fax".into()),
        ("consent.unknown_decision", |r| r.purposes[0].decision = "maybe".into()),
        ("consent.unknown_legal_basis", |r| r.purposes[0].legal_basis = "because".into()),
        ("consent.subject_not_pseudonymous", |r| r.subject = "jean.dupont@gmail.com".into()),
        ("consent.subject_not_pseudonymous", |r| r.subject = "+33612345678".into()),
        ("consent.missing_subject", |r| r.subject.clear()),
        ("consent.no_purpose", |r| r.purposes.clear()),
        ("consent.duplicate_purpose", |r| r.purposes[1].id = "newsletter".into()),
        ("consent.bad_time", |r| r.acted_at = "yesterday".into()),
        ("consent.missing_collector", |r| r.collector.store_id = None),
        ("consent.missing_record_id", |r| r.record_id.clear()),
        ("consent.unknown_schema_version", |r| r.schema_version = 2),
        ("consent.bad_locale", |r| r.locale = "français".into()),
        ("consent.withdrawn_outside_withdrawal", |r| {
            r.withdraws = None;
            r.purposes[0].decision = "withdrawn".into()
        }),
    ];
    for (code, edit) in cases {
        let mut r = sample();
        edit(&mut r);
        assert!(codes(&r).contains(&code), "{code}: {:?}", codes(&r));
    }
    // A refused purpose needs no action; contract-based ones neither.
    let mut r = sample();
    r.purposes[0].legal_basis = "contract".into();
    r.purposes[0].affirmative_action = false;
    assert_eq!(codes(&r), Vec::<&str>::new());
}

#[test]
fn unknown_fields_are_refused_at_parse() {
    let mut v: Value = serde_json::from_str(SAMPLE).unwrap();
    v["email"] = "jean@example.com".into();
    assert!(serde_json::from_value::<ConsentRecord>(v).is_err());
}

/// Every object in the sample has exactly the keys the schema lists there.
fn check_against_schema(value: &Value, schema: &Value, path: &str) {
    match value {
        Value::Object(m) => {
            let props = schema["properties"].as_object().unwrap_or_else(|| panic!("{path}: schema has no properties"));
            assert_eq!(schema["additionalProperties"], false, "{path}");
            let mut got: Vec<&String> = m.keys().collect();
            let mut want: Vec<&String> = props.keys().collect();
            got.sort();
            want.sort();
            assert_eq!(got, want, "{path}: record keys vs schema properties");
            for k in schema["required"].as_array().into_iter().flatten() {
                assert!(m.contains_key(k.as_str().unwrap()), "{path}.{k} required");
            }
            for (k, v) in m {
                check_against_schema(v, &props[k], &format!("{path}.{k}"));
            }
        }
        Value::Array(a) => a.iter().for_each(|v| check_against_schema(v, &schema["items"], &format!("{path}[]"))),
        Value::String(s) => {
            if let Some(e) = schema["enum"].as_array() {
                assert!(e.iter().any(|x| x == s), "{path}: {s} not in enum");
            }
        }
        _ => {}
    }
}

#[test]
fn json_schema_matches_the_record() {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../pkg/consent.schema.json")).unwrap()).unwrap();
    // The canonical form of a record with every field set.
    let v: Value = serde_json::from_str(&sample().canonical_json()).unwrap();
    check_against_schema(&v, &schema, "$");
}

/// Rewrites a JSON value with its object members in a shuffled order and
/// random whitespace, the way another client might send it.
fn messy(v: &Value, seed: &mut u64, out: &mut String) {
    fn step(seed: &mut u64) -> usize {
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (*seed >> 33) as usize
    }
    let ws = [" ", "", "\n  ", "\t", "\r\n"];
    out.push_str(ws[step(seed) % ws.len()]);
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            for i in (1..keys.len()).rev() {
                keys.swap(i, step(seed) % (i + 1));
            }
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).unwrap());
                out.push_str(ws[step(seed) % ws.len()]);
                out.push(':');
                messy(&m[*k], seed, out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                messy(x, seed, out);
            }
            out.push(']');
        }
        Value::String(s) => {
            // Escape everything non-ASCII, as some encoders do.
            out.push('"');
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    c if (c as u32) < 0x20 || !c.is_ascii() => {
                        let mut buf = [0u16; 2];
                        for u in c.encode_utf16(&mut buf) {
                            out.push_str(&format!("\\u{u:04X}"));
                        }
                    }
                    c => out.push(c),
                }
            }
            out.push('"');
        }
        other => out.push_str(&other.to_string()),
    }
    out.push_str(ws[step(seed) % ws.len()]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn key_order_and_whitespace_do_not_change_the_canonical_bytes(seed in any::<u64>(), text in "\\PC{0,40}", ctl in "[\\x00-\\x1f\"\\\\]{0,4}") {
        let mut r = sample();
        r.purposes[1].text = format!("{text}{ctl}");
        r.purposes[1].text_sha256 = sha256_hex(r.purposes[1].text.as_bytes());
        let want = r.canonical_json();
        let v: Value = serde_json::from_str(&want).unwrap();
        let mut s = String::new();
        messy(&v, &mut seed.clone(), &mut s);
        let parsed: ConsentRecord = serde_json::from_str(&s).unwrap();
        prop_assert_eq!(parsed.canonical_json(), want);
    }

    #[test]
    fn validation_never_panics(text in "\\PC{0,64}", at in "\\PC{0,30}", subject in "\\PC{0,40}", channel in "[a-z]{0,6}") {
        let mut r = sample();
        r.purposes[0].text = text;
        r.acted_at = at;
        r.subject = subject;
        r.channel = channel;
        let _ = validate(&r);
        let _ = r.canonical_json();
    }

    #[test]
    fn canonical_strings_round_trip(sv in "\\PC{0,40}", ctl in "[\\x00-\\x1f]{0,3}") {
        let s = format!("{ctl}{sv}");
        let c = Json::Str(s.clone()).canonical();
        prop_assert_eq!(serde_json::from_str::<String>(&c).unwrap(), s);
    }
}
