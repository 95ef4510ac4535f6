//! Property tests over every kind: no input panics, and every verdict is
//! internally consistent (what the widget and the service rely on).

use fiable_core::{Date, Kind, Locale, Options, Status, Validator, messages};
use proptest::prelude::*;
use std::sync::OnceLock;

fn validator() -> &'static Validator {
    static V: OnceLock<Validator> = OnceLock::new();
    V.get_or_init(Validator::with_embedded_chunks)
}

fn opts(country: Option<&str>, locale: Locale) -> Options {
    Options {
        locale,
        country: country.map(str::to_string),
        min_age: Some(15),
        today: Some(Date { year: 2026, month: 11, day: 23 }),
        required: true,
    }
}

/// Checks the invariants of one verdict.
fn consistent(kind: Kind, value: &str, o: &Options) {
    let v = validator().validate(kind, value, o);
    assert_eq!(v.field, kind.as_str());
    assert!(v.status != Status::Pending, "a local check is never pending");
    assert!(messages::template(v.code, o.locale).is_some(), "code {} has no message ({kind:?} {value:?})", v.code);
    if v.status != Status::Valid {
        assert!(!v.message.is_empty(), "{} verdict without a message: {} for {value:?}", v.status.as_str(), v.code);
    }
    assert!(!has_placeholder(&v.message) || has_placeholder(value), "unfilled placeholder in {:?}", v.message);
    let prefix = v.code.split('.').next().unwrap();
    assert!(prefix == "field" || prefix == kind.code_prefix(), "code {} does not belong to {kind:?}", v.code);
    if let Some(s) = &v.suggestion {
        assert_ne!(s, value, "a suggestion equal to the input is noise ({})", v.code);
        assert!(!s.is_empty());
    }
    // The canonical form of an acceptable value is itself acceptable.
    if v.status == Status::Valid {
        if let Some(n) = &v.normalized {
            let again = validator().validate(kind, n, o);
            assert!(again.status != Status::Invalid, "{kind:?}: normalized {n:?} of {value:?} is invalid: {}", again.code);
        }
    }
}

/// True when `s` holds `{word}`: a template key left unfilled.
fn has_placeholder(s: &str) -> bool {
    s.split('{')
        .skip(1)
        .any(|rest| rest.split_once('}').is_some_and(|(k, _)| !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '_')))
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        "[a-zA-Z0-9@.+ \\-'()]{0,40}",
        "[0-9 +().-]{0,24}",
        "\\PC{0,80}",
        prop::collection::vec(any::<char>(), 0..300).prop_map(|v| v.into_iter().collect()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn no_input_panics_and_verdicts_are_consistent(
        value in any_text(),
        k in 0..Kind::ALL.len(),
        country in prop::option::of(prop::sample::select(vec!["FR", "GB", "US", "DE", "BE", "CH", "GP", "ZZ", "fr", "", "FRA"])),
        fr in any::<bool>(),
    ) {
        let locale = if fr { Locale::Fr } else { Locale::En };
        consistent(Kind::ALL[k], &value, &opts(country, locale));
    }
}

#[test]
fn huge_and_hostile_inputs() {
    let hostile = [
        "@".repeat(2000),
        ".".repeat(1023),
        "+".repeat(1024),
        "0".repeat(1024),
        "é".repeat(600),
        "\u{202e}gmail.com@jean".into(),
        "a@b".repeat(300),
        "(((((((((((((((((((((".into(),
        "[[[[[[".into(),
        "\u{0}\u{1}\u{1e}\u{1f}".into(),
        "𝔍𝔢𝔞𝔫".into(),
    ];
    for kind in Kind::ALL {
        for h in &hostile {
            consistent(kind, h, &opts(Some("FR"), Locale::Fr));
            consistent(kind, h, &opts(None, Locale::En));
        }
    }
}

#[test]
fn empty_values_follow_required() {
    for kind in Kind::ALL {
        let mut o = opts(Some("FR"), Locale::En);
        assert_eq!(validator().validate(kind, "  ", &o).code, "field.required");
        o.required = false;
        assert_eq!(validator().validate(kind, "", &o).status, Status::Valid);
    }
}

fn fixture_values() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut values = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        if path.extension().and_then(|x| x.to_str()) == Some("json") {
            let cases: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            values.extend(cases.iter().filter_map(|c| c["input"].as_str().map(str::to_string)));
        }
    }
    assert!(values.len() > 100, "only {} fixture values", values.len());
    values
}

/// The page reads its clock only for the kinds that say they read today
/// (`Kind::reads_today`): every other kind gives the same verdict on every
/// fixture value with no date and with two different dates; a kind that
/// says so does change some verdict.
#[test]
fn only_the_kinds_that_say_so_read_today() {
    let values = fixture_values();
    let day = |year, month, day| Some(Date { year, month, day });
    for kind in Kind::ALL {
        let mut changed = false;
        for v in &values {
            let mut o = opts(Some("FR"), Locale::Fr);
            o.today = None;
            let none = validator().validate(kind, v, &o);
            for today in [day(2026, 11, 23), day(1990, 1, 1)] {
                o.today = today;
                let with = validator().validate(kind, v, &o);
                assert!(kind.reads_today() || with == none, "{kind:?} {v:?} reads today but does not say so");
                changed |= with != none;
            }
        }
        assert_eq!(changed, kind.reads_today(), "{kind:?}");
    }
}

/// The Wasm's record of a lone check (`validate_record`, the field named
/// without a copy) is the record of `validate`'s verdict, byte for byte:
/// every fixture value in every kind, and values holding a record separator
/// (written as JSON).
#[test]
fn a_lone_check_record_is_the_verdict_record() {
    let mut values = fixture_values();
    values.extend(["a\u{1f}b@x.fr", "06\u{1e}12", "Jean\u{1f}"].map(str::to_string));
    for kind in Kind::ALL {
        for locale in [Locale::Fr, Locale::En] {
            let o = opts(Some("FR"), locale);
            for v in &values {
                assert_eq!(validator().validate_record(kind, v, &o), validator().validate(kind, v, &o).to_record(), "{kind:?} {v:?}");
            }
        }
    }
}

/// Random text rarely reaches the deep branches of a check; the fixture
/// values do. Every fixture value, run through every kind, must give
/// only that kind's codes (and keep the other invariants).
#[test]
fn every_fixture_value_in_every_kind_is_consistent() {
    let values = fixture_values();
    for kind in Kind::ALL {
        for v in &values {
            consistent(kind, v, &opts(Some("FR"), Locale::Fr));
        }
    }
}
