//! The consent record: validation codes, canonical JSON, the JSON Schema.
use fiable_consent::phonetic;
use fiable_consent::{ConsentRecord, Erasure, Json, Sealed, SubjectData, sha256_hex, validate, validate_erasure};
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

/// Every object in the record has only keys the schema lists there, and
/// its required ones; `seen` collects the paths met, so that the caller
/// can check that the samples together use every key of the schema.
fn check_against_schema(value: &Value, schema: &Value, path: &str, seen: &mut std::collections::BTreeSet<String>) {
    match value {
        Value::Object(m) => {
            let props = schema["properties"].as_object().unwrap_or_else(|| panic!("{path}: schema has no properties"));
            assert_eq!(schema["additionalProperties"], false, "{path}");
            for k in m.keys() {
                assert!(props.contains_key(k), "{path}.{k}: not in the schema");
            }
            for k in schema["required"].as_array().into_iter().flatten() {
                assert!(m.contains_key(k.as_str().unwrap()), "{path}.{k} required");
            }
            for (k, v) in m {
                seen.insert(format!("{path}.{k}"));
                check_against_schema(v, &props[k], &format!("{path}.{k}"), seen);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| check_against_schema(v, &schema["items"], &format!("{path}[]"), seen)),
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
        serde_json::from_str(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../pkg/consent.schema.json")).unwrap())
            .unwrap();
    // The canonical forms of a submission with every field set, of the
    // same record as stored (sealed), and of an erasure record.
    let mut seen = std::collections::BTreeSet::new();
    for r in [with_subject_data(), sealed_sample(), confirmation_sample()] {
        assert_eq!(validate(&r), vec![]);
        let v: Value = serde_json::from_str(&r.canonical_json()).unwrap();
        check_against_schema(&v, &schema, "$", &mut seen);
    }
    let mut all = std::collections::BTreeSet::new();
    collect_paths(&schema, "$", &mut all);
    let unused: Vec<&String> = all.difference(&seen).collect();
    assert!(unused.is_empty(), "schema keys no sample uses: {unused:?}");
    let e: Value = serde_json::from_str(&erasure().canonical_json()).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    check_against_schema(&e, &schema["$defs"]["erasure"], "$", &mut seen);
    assert_eq!(seen.len(), schema["$defs"]["erasure"]["properties"].as_object().unwrap().len());
}

fn collect_paths(schema: &Value, path: &str, out: &mut std::collections::BTreeSet<String>) {
    if let Some(props) = schema["properties"].as_object() {
        for (k, v) in props {
            let p = format!("{path}.{k}");
            out.insert(p.clone());
            collect_paths(v, &p, out);
        }
    }
    if schema["items"].is_object() {
        collect_paths(&schema["items"], &format!("{path}[]"), out);
    }
}

fn with_subject_data() -> ConsentRecord {
    let mut r = sample();
    r.subject_data = Some(SubjectData {
        email: Some("Jean.Dupont@Example.fr".into()),
        phone: Some("+33612345678".into()),
        first_name: Some("Jean".into()),
        last_name: Some("Lefèvre".into()),
        postcode: Some("75011".into()),
        country: Some("FR".into()),
    });
    r
}

/// A purpose asking for confirmation, and the record that confirms another (double opt-in).
fn confirmation_sample() -> ConsentRecord {
    let mut r = sample();
    r.withdraws = None;
    r.confirms = Some("01JD6Z0000ORIGINAL000000".into());
    r.purposes[0].confirmation = Some("email".into());
    r
}

#[test]
fn confirmations_are_checked() {
    let mut r = confirmation_sample();
    r.purposes[0].confirmation = Some("sms".into());
    assert_eq!(codes(&r), ["consent.unknown_confirmation"]);
    let mut r = confirmation_sample();
    r.withdraws = Some("01JD6Z0000PREVIOUS0000000".into());
    assert!(codes(&r).contains(&"consent.confirms_and_withdraws"), "{:?}", codes(&r));
    let mut r = confirmation_sample();
    r.confirms = Some(String::new());
    assert!(codes(&r).contains(&"consent.bad_record_id"));
}

fn sealed_sample() -> ConsentRecord {
    let mut r = sample();
    r.sealed = Some(Sealed { alg: "chacha20poly1305".into(), nonce: "00".repeat(12), ciphertext: "ab".repeat(40) });
    r
}

fn erasure() -> Erasure {
    Erasure {
        kind: "erasure".into(),
        schema_version: 1,
        record_id: "e0c1".into(),
        subject: "s_0123456789abcdef".into(),
        erased_at: "2026-11-23T19:00:00.000Z".into(),
        reason: "request".into(),
        actor: "admin".into(),
        records: 3,
    }
}

#[test]
fn subject_data_is_checked_by_the_core_validators() {
    let r = with_subject_data();
    assert_eq!(validate(&r), vec![]);
    // The service derives an empty subject from the contact data.
    let mut r2 = r.clone();
    r2.subject.clear();
    assert_eq!(validate(&r2), vec![]);
    type Edit = fn(&mut SubjectData);
    let cases: Vec<(&str, Edit)> = vec![
        ("consent.bad_email", |d| d.email = Some("jean.dupont@".into())),
        ("consent.bad_email", |d| d.email = Some(format!("{}@example.fr", "a".repeat(300)))),
        ("consent.bad_phone", |d| d.phone = Some("+33 12".into())),
        ("consent.phone_not_e164", |d| d.phone = Some("06 12 34 56 78".into())),
        ("consent.bad_first_name", |d| d.first_name = Some("J3an".into())),
        ("consent.bad_last_name", |d| d.last_name = Some("x".repeat(101))),
        ("consent.bad_last_name", |d| d.last_name = Some(" ".into())),
        ("consent.bad_postcode", |d| d.postcode = Some("7501".into())),
        ("consent.bad_country", |d| d.country = Some("France".into())),
        ("consent.empty_subject_data", |d| *d = SubjectData::default()),
    ];
    for (code, edit) in cases {
        let mut r = with_subject_data();
        edit(r.subject_data.as_mut().unwrap());
        let problems = validate(&r);
        assert!(problems.iter().any(|p| p.code == code), "{code}: {problems:?}");
        assert!(problems.iter().all(|p| p.path.starts_with("subject_data")), "{problems:?}");
        for p in &problems {
            assert!(!p.message.contains("Dupont") && !p.message.contains("12 34") && !p.message.contains("J3an"), "no value echoed");
        }
    }
    // Without contact data an empty subject is still missing.
    let mut r = sample();
    r.subject.clear();
    assert!(codes(&r).contains(&"consent.missing_subject"));
    let mut both = with_subject_data();
    both.sealed = sealed_sample().sealed;
    assert!(codes(&both).contains(&"consent.sealed_and_clear"));
    let mut bad = sealed_sample();
    bad.sealed.as_mut().unwrap().nonce = "not hex".into();
    assert!(codes(&bad).contains(&"consent.bad_sealed"));
}

#[test]
fn canonical_json_covers_subject_data_and_sealed() {
    let r = with_subject_data();
    let c = r.canonical_json();
    assert!(c.contains("\"subject_data\":{\"country\":\"FR\",\"email\":\"Jean.Dupont@Example.fr\""), "{c}");
    let back: ConsentRecord = serde_json::from_str(&c).unwrap();
    assert_eq!(back, r);
    let mut other = r.clone();
    other.subject_data.as_mut().unwrap().postcode = Some("75012".into());
    assert_ne!(other.sha256(), r.sha256());
    let s = sealed_sample();
    let back: ConsentRecord = serde_json::from_str(&s.canonical_json()).unwrap();
    assert_eq!(back, s);
    assert!(s.canonical_json().contains("\"sealed\":{\"alg\":\"chacha20poly1305\",\"ciphertext\":"));
}

#[test]
fn match_keys_normalise_what_identifies_a_person() {
    let keys = with_subject_data().subject_data.unwrap().match_keys();
    let get = |k: &str| keys.iter().find(|(kind, _)| *kind == k).map(|(_, v)| v.clone());
    assert_eq!(get("email").as_deref(), Some("jean.dupont@example.fr"));
    assert_eq!(get("phone").as_deref(), Some("+33612345678"));
    assert_eq!(get("name_postcode"), Some(format!("{}|75011", phonetic::encode("Lefebvre"))));
    assert_eq!(get("name"), Some(format!("{}|{}", phonetic::encode("LEFEVRE"), phonetic::encode("jean"))));
    // National phone formats are read in the data's country.
    let d = SubjectData { phone: Some("06 12 34 56 78".into()), email: Some("  JEAN.dupont@example.FR ".into()), ..SubjectData::default() };
    let k = d.match_keys();
    assert_eq!(k, vec![("email", "jean.dupont@example.fr".to_string()), ("phone", "+33612345678".to_string())]);
}

#[test]
fn erasure_records_validate_and_have_a_canonical_form() {
    let e = erasure();
    assert_eq!(validate_erasure(&e), vec![]);
    assert_eq!(
        e.canonical_json(),
        "{\"actor\":\"admin\",\"erased_at\":\"2026-11-23T19:00:00.000Z\",\"kind\":\"erasure\",\"reason\":\"request\",\"record_id\":\"e0c1\",\"records\":3,\"schema_version\":1,\"subject\":\"s_0123456789abcdef\"}"
    );
    let back: Erasure = serde_json::from_str(&e.canonical_json()).unwrap();
    assert_eq!(back, e);
    // An erasure is not a consent record and vice versa.
    assert!(serde_json::from_str::<ConsentRecord>(&e.canonical_json()).is_err());
    assert!(serde_json::from_str::<Erasure>(&sample().canonical_json()).is_err());
    type Edit = fn(&mut Erasure);
    let cases: Vec<(&str, Edit)> = vec![
        ("erasure.bad_kind", |e| e.kind = "consent".into()),
        ("erasure.unknown_reason", |e| e.reason = "boredom".into()),
        ("erasure.bad_actor", |e| e.actor = "".into()),
        ("consent.bad_time", |e| e.erased_at = "now".into()),
        ("consent.subject_not_pseudonymous", |e| e.subject = "jean@example.fr".into()),
        ("consent.bad_record_id", |e| e.record_id = "a b".into()),
    ];
    for (code, edit) in cases {
        let mut e = erasure();
        edit(&mut e);
        assert!(validate_erasure(&e).iter().any(|p| p.code == code), "{code}");
    }
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
    fn subject_data_validation_never_panics(email in "\\PC{0,40}", phone in "[+0-9 ().-]{0,20}", name in "\\PC{0,30}", pc in "\\PC{0,8}", cc in "[A-Za-z]{0,3}") {
        let d = SubjectData { email: Some(email), phone: Some(phone), first_name: Some(name.clone()), last_name: Some(name), postcode: Some(pc), country: Some(cc) };
        let _ = fiable_consent::validate_subject_data(&d);
        let _ = d.match_keys();
        let _ = d.to_json().canonical();
    }

    #[test]
    fn phonetic_keys_never_panic_and_are_upper_ascii(s in "\\PC{0,60}") {
        let k = phonetic::encode(&s);
        prop_assert!(k.bytes().all(|b| b.is_ascii_uppercase()));
        prop_assert!(k.len() <= 2 * s.len());
    }

    #[test]
    fn phonetic_keys_ignore_case_and_accents(s in "[a-zA-Zàâäçéèêëîïôöùûüÿœæ' -]{0,24}") {
        let folded = fiable_core::text::fold(&s);
        let upper: String = s.chars().flat_map(char::to_uppercase).collect();
        prop_assert_eq!(phonetic::encode(&s), phonetic::encode(&folded));
        prop_assert_eq!(phonetic::encode(&upper), phonetic::encode(&s));
    }

    #[test]
    fn canonical_strings_round_trip(sv in "\\PC{0,40}", ctl in "[\\x00-\\x1f]{0,3}") {
        let s = format!("{ctl}{sv}");
        let c = Json::Str(s.clone()).canonical();
        prop_assert_eq!(serde_json::from_str::<String>(&c).unwrap(), s);
    }
}

#[test]
fn the_checked_in_schema_is_the_generated_one() {
    let file = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../pkg/consent.schema.json")).unwrap();
    let generated = fiable_consent::schema::pretty(&fiable_consent::schema::consent_record());
    assert!(file == generated, "pkg/consent.schema.json is stale: run `make tables`");
}
