//! Agreement with Google's libphonenumber.
//!
//! 1. Every example number of every region and type in the metadata snapshot
//!    (`data/raw/phone/metadata.json`) validates, has that type (or
//!    `fixed_line_or_mobile` where both patterns match, as Google says) and
//!    its E.164 form re-validates to itself.
//! 2. `tests/fixtures/phone_google/phonenumbers.json`, made by
//!    `data/fetch/phone.sh` with the real `phonenumbers` library: for each
//!    (input, default region), what Google's library says (valid, type,
//!    region, E.164, national and international formats). fiable must agree.

use fiable_core::phone::{self, PhoneNumber};
use serde_json::Value;
use std::path::Path;

const TYPES: [&str; 10] =
    ["fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail"];

fn load(rel: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

#[test]
fn every_example_number_validates_with_its_type() {
    let snap = load("../data/raw/phone/metadata.json");
    let mut failures = Vec::new();
    let mut count = 0;
    for (key, region) in snap["regions"].as_object().unwrap() {
        let cc = region["country_code"].as_u64().unwrap();
        for t in TYPES {
            let Some(ex) = region.get(t).and_then(|d| d.get("example")).and_then(Value::as_str) else {
                continue;
            };
            count += 1;
            let input = format!("+{cc}{ex}");
            match phone::parse(&input, None) {
                Ok(n) => {
                    // Google gives a number to the first region of its calling
                    // code whose patterns match (e.g. +1 800 toll-free numbers,
                    // the examples of SX or VI, are US numbers).
                    let region_ok = n.region == key.get(..3).filter(|k| *k == "001").unwrap_or(key)
                        || phone::parse(&input, Some(key)).is_ok_and(|m| m.calling_code == n.calling_code);
                    let type_ok = n.number_type.as_str() == t
                        || (n.number_type.as_str() == "fixed_line_or_mobile" && (t == "fixed_line" || t == "mobile"));
                    if !type_ok || !region_ok || n.e164 != input {
                        failures.push(format!("{key} {t} {input}: got {n:?}"));
                    }
                    match phone::parse(&n.e164, None) {
                        Ok(again) if again == n => {}
                        other => failures.push(format!("{key} {t} {input}: E.164 does not round-trip: {other:?}")),
                    }
                }
                Err(e) => failures.push(format!("{key} {t} {input}: {e}")),
            }
        }
    }
    assert!(count > 1000, "only {count} example numbers");
    assert!(failures.is_empty(), "{} of {count} examples fail:\n{}", failures.len(), failures.join("\n"));
}

fn describe(r: &Result<PhoneNumber, &'static str>) -> String {
    match r {
        Ok(n) => format!("valid {} {} {} {:?} {:?}", n.number_type.as_str(), n.region, n.e164, n.national, n.international),
        Err(e) => format!("invalid ({e})"),
    }
}

#[test]
fn agrees_with_phonenumbers() {
    let cases = load("tests/fixtures/phone_google/phonenumbers.json");
    let cases = cases.as_array().unwrap();
    let mut mismatches = Vec::new();
    for case in cases {
        let c = case.as_array().unwrap();
        let input = c[0].as_str().unwrap();
        let region = c[1].as_str();
        let got = phone::parse(input, region);
        let agree = match (&got, c[2].as_bool().unwrap()) {
            (Ok(n), true) => {
                n.number_type.as_str() == c[3] && n.region == c[4] && n.e164 == c[5] && n.national == c[6] && n.international == c[7]
            }
            (Err(_), false) => true,
            _ => false,
        };
        if !agree {
            mismatches.push(format!(
                "{input:?} in {}: phonenumbers says {}, fiable says {}",
                region.unwrap_or("-"),
                Value::Array(c[2..].to_vec()),
                describe(&got)
            ));
        }
    }
    // Documented deviation: fiable takes `00` as an international prefix
    // everywhere. Where a region's own prefix also starts with 00 (HK's
    // 001/008 carrier prefixes) and Google's reading is invalid, fiable
    // retries with 00 = "+", so "00 852 2123 4567" in HK is valid for fiable.
    let deviations = mismatches.iter().filter(|m| m.starts_with("\"00") && m.contains("phonenumbers says [false]")).count();
    let total = cases.len();
    let agreement = 100.0 * (total - mismatches.len()) as f64 / total as f64;
    println!(
        "agreement with phonenumbers: {agreement:.2}% of {total} cases; {deviations} of the {} mismatches are the documented 00 rule",
        mismatches.len()
    );
    for m in &mismatches {
        println!("  {m}");
    }
    assert!(total > 5000, "only {total} cases");
    // Measured 2026-12: 99.93% of 9812 cases, the 7 mismatches all the
    // documented 00 rule. The floor is that measure, so a regression of
    // ten numbers fails; any mismatch outside the 00 rule fails at once.
    assert!(agreement >= 99.9, "agreement {agreement:.2}% < 99.9%:\n{}", mismatches.join("\n"));
    assert_eq!(mismatches.len(), deviations, "mismatches besides the documented 00 rule:\n{}", mismatches.join("\n"));
}
