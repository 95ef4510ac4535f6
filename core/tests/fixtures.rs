//! Runs every JSON fixture in `tests/fixtures/<kind>.json`.
//!
//! A fixture file is a list of cases that a non-Rust reader can extend:
//! ```json
//! { "input": "jean@gmial.com",
//!   "options": { "country": "FR", "locale": "fr", "min_age": 15,
//!                "today": "2026-11-23", "required": true },
//!   "expect": { "status": "warning", "code": "email.domain_typo",
//!               "suggestion": "jean@gmail.com", "normalized": "…",
//!               "message": "…", "details": { "type": "mobile" } },
//!   "why": "optional note shown when the case fails" }
//! ```
//! Only the keys given in `expect` are compared (`details` key by key), and
//! `"suggestion": null` asserts that there is none.

use fiable_core::{Date, Kind, Locale, Options, Validator};
use serde_json::{Map, Value};
use std::path::Path;

fn options(v: Option<&Value>) -> Options {
    let mut o = Options { today: Some(Date { year: 2026, month: 11, day: 23 }), ..Options::default() };
    let Some(Value::Object(m)) = v else { return o };
    if let Some(l) = m.get("locale").and_then(Value::as_str) {
        o.locale = Locale::parse(l);
    }
    o.country = m.get("country").and_then(Value::as_str).map(str::to_string);
    o.min_age = m.get("min_age").and_then(Value::as_u64).map(|n| n as u8);
    o.required = m.get("required").and_then(Value::as_bool).unwrap_or(false);
    // A fixed default "today" keeps birth-date fixtures reproducible.
    let today = m.get("today").and_then(Value::as_str).unwrap_or("2026-11-23");
    let p: Vec<i64> = today.split('-').map(|x| x.parse().unwrap()).collect();
    o.today = Some(Date { year: p[0] as i32, month: p[1] as u8, day: p[2] as u8 });
    o
}

fn verdict_json(v: &fiable_core::Verdict) -> Map<String, Value> {
    match serde_json::to_value(v).unwrap() {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

/// JSON equality where numbers compare by value (`15` equals `15.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

#[test]
fn fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let validator = Validator::with_embedded_chunks();
    let mut failures = Vec::new();
    let mut count = 0;
    let mut seen = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for path in files {
        let kind = match fixture_kind(&path) {
            Ok(Some(kind)) => kind,
            Ok(None) => continue,
            Err(e) => panic!("{e}"),
        };
        let stem = kind.as_str();
        seen.push(kind);
        let text = std::fs::read_to_string(&path).unwrap();
        let cases: Vec<Value> = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not valid JSON: {e}", path.display()));
        for (i, case) in cases.iter().enumerate() {
            count += 1;
            let input = case["input"].as_str().unwrap_or_else(|| panic!("{stem}[{i}]: no input"));
            let got = verdict_json(&validator.validate(kind, input, &options(case.get("options"))));
            let Some(Value::Object(expect)) = case.get("expect") else { panic!("{stem}[{i}]: no expect object") };
            for (key, want) in expect {
                let have = got.get(key).cloned().unwrap_or(Value::Null);
                let ok = match (key.as_str(), want) {
                    ("details", Value::Object(wd)) => wd.iter().all(|(k, wv)| have.get(k).is_some_and(|hv| same(hv, wv))),
                    _ => same(&have, want),
                };
                if !ok {
                    failures.push(format!(
                        "{stem}[{i}] {input:?}: {key} is {have}, expected {want}{}\n    got {}",
                        case.get("why").and_then(Value::as_str).map(|w| format!(" ({w})")).unwrap_or_default(),
                        Value::Object(got.clone())
                    ));
                }
            }
        }
    }
    assert!(count > 0, "no fixture case found in {}", dir.display());
    let missing: Vec<&str> = Kind::ALL.iter().filter(|k| !seen.contains(k)).map(|k| k.as_str()).collect();
    assert!(missing.is_empty(), "kinds without a fixture file: {missing:?}");
    assert!(failures.is_empty(), "{} of {count} fixture checks failed:\n{}", failures.len(), failures.join("\n"));
}

/// The kind a fixture file is for: `None` for what is not a fixture
/// (README.md, the phone_google/ folder), an error for a JSON file not
/// named exactly after a kind, whose cases would otherwise never run.
fn fixture_kind(path: &Path) -> Result<Option<Kind>, String> {
    if path.extension().and_then(|e| e.to_str()) != Some("json") {
        return Ok(None);
    }
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    match Kind::ALL.into_iter().find(|k| k.as_str() == stem) {
        Some(k) => Ok(Some(k)),
        None => Err(format!("{}: not named after a kind ({:?})", path.display(), Kind::ALL.map(Kind::as_str))),
    }
}

#[test]
fn a_misnamed_fixture_file_is_an_error() {
    assert_eq!(fixture_kind(Path::new("fixtures/street.json")), Ok(Some(Kind::Street)));
    assert_eq!(fixture_kind(Path::new("fixtures/README.md")), Ok(None));
    // Aliases Kind::parse accepts are still misnamed files.
    for bad in ["fixtures/firstname.json", "fixtures/emails.json", "fixtures/consent_record.json"] {
        assert!(fixture_kind(Path::new(bad)).is_err(), "{bad}");
    }
}
