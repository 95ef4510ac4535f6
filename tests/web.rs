//! The Wasm exports, in headless Chromium (wasm-bindgen-test).
//! Run: `cargo test --target wasm32-unknown-unknown --test web`.
#![cfg(target_arch = "wasm32")]

use fiable::{
    check, check_form_raw, chunks_for, field_country, format_phone, hint, kind_index, load_chunk, locale_index, remote_verdict, version,
};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn verdict(kind: &str, value: &str, country: &str) -> js_sys::Object {
    // The country crosses as its two char codes (0 = none).
    let cc = country.bytes().fold(0, |n, b| n << 8 | u32::from(b));
    from_record(&check(kind_index(kind).unwrap(), value, locale_index("fr-FR"), cc, 0, false, 20261123))
}

/// A verdict record (`Verdict::to_record`: fields split by U+001F, JSON
/// when a text holds a separator) as the object pkg/api.js builds from it.
fn from_record(r: &str) -> js_sys::Object {
    if r.starts_with('{') {
        return js_sys::JSON::parse(r).unwrap().into();
    }
    let o = js_sys::Object::new();
    let set = |o: &js_sys::Object, k: &str, v: wasm_bindgen::JsValue| {
        js_sys::Reflect::set(o, &k.into(), &v).unwrap();
    };
    let p: Vec<&str> = r.split('\u{1f}').collect();
    for (k, v) in ["field", "status", "code", "message"].iter().zip(&p) {
        set(&o, k, (*v).into());
    }
    for (k, v) in ["suggestion", "normalized"].iter().zip(p.iter().skip(4)) {
        if let Some(v) = v.strip_prefix('+') {
            set(&o, k, v.into());
        }
    }
    if p.len() > 6 {
        let d = js_sys::Object::new();
        for kv in p[6..].chunks(2) {
            let (k, v) = (kv[0], kv.get(1).copied().unwrap_or(""));
            let value: wasm_bindgen::JsValue = match v.split_at_checked(1) {
                Some(("s", t)) => t.into(),
                Some(("n", "null")) => wasm_bindgen::JsValue::NULL,
                Some(("n", n)) => n.parse::<f64>().unwrap().into(),
                Some(("t", _)) => true.into(),
                Some(("f", _)) => false.into(),
                Some(("l", "")) => js_sys::Array::new().into(),
                Some(("l", l)) => l.split('\u{1e}').map(wasm_bindgen::JsValue::from).collect::<js_sys::Array>().into(),
                _ => panic!("bad detail {v:?} in {r:?}"),
            };
            set(&d, k, value);
        }
        set(&o, "details", d.into());
    }
    o
}

/// The data a French form loads up front (its phone region) and on the
/// first address typed (the email-domain lists).
fn data() {
    load_chunk("phone-33", include_bytes!("../core/chunks/phone-33.tsv")).unwrap();
    // France's overseas departments share its national plan (0690… is Guadeloupe).
    load_chunk("phone-590", include_bytes!("../core/chunks/phone-590.tsv")).unwrap();
    load_chunk("phone-594", include_bytes!("../core/chunks/phone-594.tsv")).unwrap();
    load_chunk("phone-596", include_bytes!("../core/chunks/phone-596.tsv")).unwrap();
    load_chunk("phone-262", include_bytes!("../core/chunks/phone-262.tsv")).unwrap();
    load_chunk("email-domains", include_bytes!("../core/chunks/email-domains.tsv")).unwrap();
}

fn get(o: &js_sys::Object, key: &str) -> String {
    js_sys::Reflect::get(o, &key.into()).unwrap().as_string().unwrap_or_default()
}

#[wasm_bindgen_test]
fn email_typo_in_the_browser() {
    data();
    let v = verdict("email", "jean@gmial.com", "");
    assert_eq!(get(&v, "status"), "warning");
    assert_eq!(get(&v, "code"), "email.domain_typo");
    assert_eq!(get(&v, "suggestion"), "jean@gmail.com");
    assert!(get(&v, "message").starts_with("Vouliez-vous dire"));
}

#[wasm_bindgen_test]
fn phone_normalised_to_e164() {
    data();
    let v = verdict("phone", "06 12 34 56 78", "FR");
    assert_eq!(get(&v, "status"), "valid");
    assert_eq!(get(&v, "normalized"), "+33612345678");
    assert_eq!(format_phone("0612", "FR"), "06 12");
}

#[wasm_bindgen_test]
fn phone_regions_load_on_first_use() {
    data();
    // A Swiss number in a French form: pending (never a wrong verdict)
    // until its region's chunk is there; formatting never waits for it.
    assert_eq!(chunks_for("phone", "+41 79 123 45 67", "FR", 1).unwrap(), "phone-41");
    let v = verdict("phone", "+41 79 123 45 67", "FR");
    assert_eq!(get(&v, "status"), "pending");
    assert_eq!(get(&v, "code"), "phone.pending");
    assert_eq!(format_phone("+41791234567", "FR"), "+41791234567");
    // The form's own region is asked for even before anything is typed
    // (France's with its overseas departments, which share its plan).
    assert_eq!(chunks_for("phone", "", "CH", 1).unwrap(), "phone-41");
    assert_eq!(chunks_for("phone", "", "FR", 1).unwrap(), "");
    assert!(load_chunk("phone-41", b"r\tXX\n").is_err());
    assert!(load_chunk("phone-999", b"").is_err());
    load_chunk("phone-41", include_bytes!("../core/chunks/phone-41.tsv")).unwrap();
    assert_eq!(chunks_for("phone", "+41 79 123 45 67", "FR", 1).unwrap(), "");
    let v = verdict("phone", "+41 79 123 45 67", "FR");
    assert_eq!(get(&v, "status"), "valid");
    assert_eq!(get(&v, "normalized"), "+41791234567");
    assert_eq!(format_phone("+41791234567", "FR"), "+41 79 123 45 67");
}

#[wasm_bindgen_test]
fn every_kind_answers_junk_with_a_verdict() {
    data();
    for kind in ["email", "phone", "postcode", "city", "first_name", "last_name", "civility", "birth_date", "country"] {
        for junk in ["", " ", "\u{0}", "😀😀", "@@@", "99999999999999999999", &"x".repeat(5000)] {
            let v = verdict(kind, junk, "FR");
            assert!(["valid", "warning", "invalid"].contains(&get(&v, "status").as_str()), "{kind} {junk:?}");
        }
    }
}

#[wasm_bindgen_test]
fn unknown_kind_is_an_error_not_a_trap() {
    assert!(kind_index("emial").is_err());
    assert!(check(99, "x", 1, 0, 0, false, 0).is_empty(), "a bad kind index gives no verdict");
    assert!(chunks_for("nope", "", "", 1).is_err());
    assert!(check_form_raw("a\u{1f}b", "fr", "", 0).is_err());
}

/// Without a date only a kind that reads it asks for one (an empty record):
/// the page reads its clock for a birth date, not for a phone.
#[wasm_bindgen_test]
fn only_a_check_that_reads_the_date_asks_for_it() {
    let k = |name| kind_index(name).unwrap();
    assert!(check(k("birth_date"), "01/02/1990", 1, 0, 0, false, 0).is_empty());
    assert!(!check(k("birth_date"), "01/02/1990", 1, 0, 0, false, 20261123).is_empty());
    assert!(check(k("phone"), "06 12 34 56 78", 1, 0x4652, 0, false, 0).starts_with("phone\u{1f}valid\u{1f}"));
}

#[wasm_bindgen_test]
fn form_and_chunks() {
    // Without its chunk the first-names check is silent and asks for the data.
    assert_eq!(chunks_for("first_name", "Jean", "", 1).unwrap(), "firstnames-j");
    assert_eq!(chunks_for("first_name", "Élodie", "", 1).unwrap(), "firstnames-e");
    assert_eq!(chunks_for("civility", "Mme", "", 1).unwrap(), "");
    assert_eq!(chunks_for("postcode", "75011", "FR", 1).unwrap(), "communes-75");
    assert_eq!(chunks_for("postcode", "00740", "", 1).unwrap(), "");
    let rec = |n: &str, k: &str, v: &str| format!("{n}\u{1f}{k}\u{1f}{v}\u{1f}\u{1f}0\u{1f}0");
    let spec = [rec("civ", "civility", "Mme"), rec("prenom", "first_name", "Jean")].join("\u{1e}");
    let out = check_form_raw(&spec, "fr", "FR", 20261123).unwrap();
    let o: js_sys::Object = js_sys::JSON::parse(&out).unwrap().into();
    assert_eq!(js_sys::Object::keys(&o).length(), 2);
    assert!(!version().is_empty());
}

/// A form-wide country does not override the address country: the Wasm
/// leaves a field without its own country to the core's form rule.
#[wasm_bindgen_test]
fn the_address_country_beats_the_form_wide_country() {
    data();
    load_chunk("phone-32", include_bytes!("../core/chunks/phone-32.tsv")).unwrap();
    let rec = |n: &str, k: &str, v: &str| format!("{n}\u{1f}{k}\u{1f}{v}\u{1f}\u{1f}0\u{1f}0");
    let spec = [rec("tel", "phone", "0470 12 34 56"), rec("pays", "country", "Belgique")].join("\u{1e}");
    let out: js_sys::Object = js_sys::JSON::parse(&check_form_raw(&spec, "fr", "FR", 20261123).unwrap()).unwrap().into();
    let tel: js_sys::Object = js_sys::Reflect::get(&out, &"tel".into()).unwrap().into();
    assert_eq!(get(&tel, "status"), "valid");
    assert_eq!(get(&tel, "normalized"), "+32470123456");
    let code = |c: &str| c.bytes().fold(0, |n, b| n << 8 | u32::from(b));
    let phone = kind_index("phone").unwrap();
    assert_eq!(field_country(phone, 0, "\u{1f}Belgique", code("FR")), code("BE"));
    assert_eq!(field_country(phone, code("CH"), "Belgique", code("FR")), code("CH"));
    assert_eq!(field_country(kind_index("email").unwrap(), 0, "Belgique", code("FR")), code("FR"));
}

/// The hint state machine through its export: a field passed through is
/// quiet at its first keystroke; an unknown event changes nothing.
#[wasm_bindgen_test]
fn hint_state_machine() {
    let (input, blur, invalid) = (0, 1, 8 + 2);
    let shown = |s: u32| s >> 2 & 7;
    let passed = hint(hint(0, blur), input);
    assert_eq!(shown(hint(passed, invalid)), 0);
    assert_eq!(shown(hint(hint(passed, blur), invalid)), 3);
    assert_eq!(hint(passed, 99), passed);
}

/// The lookup service's answers through the core's rules: a postcode the
/// index knows is valid with its communes; facts about another kind change
/// nothing.
#[wasm_bindgen_test]
fn remote_verdicts() {
    let v: js_sys::Object = js_sys::JSON::parse(&remote_verdict("postcode", "invalid", 128, "Paris\u{1f}Paris")).unwrap().into();
    assert_eq!((get(&v, "status"), get(&v, "code")), ("valid".into(), "postcode.valid".into()));
    assert_eq!(remote_verdict("phone", "valid", 128, "Paris"), "");
    assert_eq!(remote_verdict("nope", "valid", 1, ""), "");
}

#[wasm_bindgen_test]
fn other_countries_postcodes_load_on_first_use() {
    // France and its postal territories are compiled in; the other
    // countries' rules are a chunk: until it is loaded, no verdict (never a
    // wrong one), and the page is told to fetch it. Only this test loads it.
    assert_eq!(get(&verdict("postcode", "2000", "CH"), "status"), "pending");
    assert_eq!(get(&verdict("postcode", "2000", "CH"), "code"), "postcode.pending");
    assert_eq!(chunks_for("postcode", "00740", "IT", 1).unwrap(), "postcodes");
    assert_eq!(chunks_for("postcode", "SW1A 1AA", "", 1).unwrap(), "postcodes");
    assert_eq!(chunks_for("postcode", "97100", "GP", 1).unwrap(), "communes-97");
    assert_eq!(get(&verdict("postcode", "7501", "FR"), "code"), "postcode.invalid_format");
    assert!(load_chunk("postcodes", b"ch\t2000\n").is_err());
    load_chunk("postcodes", include_bytes!("../core/chunks/postcodes.tsv")).unwrap();
    assert_eq!(chunks_for("postcode", "00740", "IT", 1).unwrap(), "");
    let v = verdict("postcode", "2000", "CH");
    assert_eq!((get(&v, "status"), get(&v, "normalized")), ("valid".to_string(), "2000".to_string()));
    assert_eq!(get(&verdict("postcode", "sw1a1aa", ""), "normalized"), "SW1A 1AA");
}

#[wasm_bindgen_test]
fn english_texts_load_on_first_use() {
    // The Wasm carries the French texts; English (messages, the country
    // names that differ) is the chunk `text-en`. Until it is loaded an
    // English message is in French, never empty, and the page is told to
    // fetch it. Only this test loads it.
    let en = |kind: &str, value: &str| from_record(&check(kind_index(kind).unwrap(), value, locale_index("en"), 0, 0, true, 20261123));
    assert_eq!(chunks_for("email", "", "", 0).unwrap(), "text-en");
    assert_eq!(chunks_for("email", "", "", 1).unwrap(), "");
    assert_eq!(get(&en("email", ""), "message"), "Ce champ est obligatoire.");
    // A name the French names and aliases do not know may be English, whatever the page's language.
    assert_eq!(chunks_for("country", "Germany", "", 1).unwrap(), "text-en");
    assert_eq!(chunks_for("country", "Germany", "", 0).unwrap(), "text-en");
    assert_eq!(chunks_for("country", "Allemagne", "", 1).unwrap(), "");
    assert_eq!(get(&verdict("country", "Germany", ""), "code"), "country.pending");
    assert_eq!(get(&verdict("country", "Narnia", ""), "status"), "pending");
    assert_eq!(get(&en("country", "Allemagne"), "normalized"), "DE");
    assert!(load_chunk("text-en", b"field.nope\tx\n").is_err());
    load_chunk("text-en", include_bytes!("../core/chunks/text-en.tsv")).unwrap();
    assert_eq!(chunks_for("email", "", "", 0).unwrap(), "");
    assert_eq!(chunks_for("country", "Germany", "", 1).unwrap(), "");
    assert_eq!(get(&en("email", ""), "message"), "This field is required.");
    assert_eq!(get(&verdict("country", "Germany", ""), "normalized"), "DE");
    assert_eq!(get(&verdict("country", "Narnia", ""), "code"), "country.unknown");
    assert_eq!(get(&en("country", "Alemagne"), "suggestion"), "Germany");
    assert_eq!(get(&verdict("country", "Alemagne", ""), "suggestion"), "Allemagne");
}
