//! Every kind, every option mix, arbitrary bytes: a verdict, never a panic.
#![no_main]

use fiable_core::{Date, Kind, Locale, Options, Validator, form::Field};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const COUNTRIES: [&str; 8] = ["FR", "GB", "US", "BE", "CH", "GP", "DE", "ZZ"];

fuzz_target!(|data: &[u8]| {
    static V: OnceLock<Validator> = OnceLock::new();
    let v = V.get_or_init(Validator::with_embedded_chunks);
    if data.len() < 2 {
        return;
    }
    let (head, rest) = data.split_at(2);
    let value = String::from_utf8_lossy(rest);
    let opts = Options {
        locale: if head[1] & 1 == 0 { Locale::Fr } else { Locale::En },
        country: (head[1] & 2 == 0).then(|| COUNTRIES[(head[1] >> 2) as usize % COUNTRIES.len()].to_string()),
        min_age: (head[1] & 0x80 != 0).then_some(15),
        today: Some(Date { year: 2026, month: 11, day: 23 }),
        required: head[0] & 0x80 != 0,
    };
    let kind = Kind::ALL[head[0] as usize % Kind::ALL.len()];
    let _ = v.validate(kind, &value, &opts);
    let _ = fiable_core::phone::format_as_you_type(&value, opts.country.as_deref());
    let _ = v.cities_for_postcode(&value);
    // The same text in every field of a form exercises the cross-field rules.
    let fields: Vec<Field> = Kind::ALL
        .iter()
        .map(|k| Field { name: k.as_str().into(), kind: *k, value: value.to_string(), options: opts.clone() })
        .collect();
    let _ = v.validate_form(&fields, &opts);
});
