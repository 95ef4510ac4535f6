//! fiable: the WebAssembly side of fiable.
//!
//! Translation only: every rule lives in `fiable-core`. Each export takes
//! plain strings and numbers and returns a JSON string, so one check is one
//! crossing of the JS↔Wasm boundary; `pkg/index.js` turns that into the
//! friendly API (`validate`, `validateForm`, …) and checks option types.
// Only the allocator (`alloc.rs`) may use `unsafe`.
#![deny(unsafe_code)]
#![deny(missing_docs)]
// The allocator's hot paths built for speed in the full module (see fiable-core's lib.rs).
#![cfg_attr(fiable_speed, feature(optimize_attribute))]

#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod alloc;

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOC: alloc::Classes = alloc::Classes::new();

use fiable_core::form::Field;
use fiable_core::verdict::json_str;
use fiable_core::{Date, Kind, Locale, Options, Status, Validator};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

thread_local! {
    static VALIDATOR: RefCell<Validator> = const { RefCell::new(Validator::new()) };
}

fn kind(name: &str) -> Result<Kind, JsError> {
    Kind::parse(name).ok_or_else(|| {
        // Built by hand: `{:?}` and `join` would pull Debug formatting into the Wasm.
        let mut msg = String::from("fiable: unknown kind \"");
        msg.push_str(name);
        msg.push_str("\"; expected one of");
        for (i, k) in Kind::ALL.iter().enumerate() {
            msg.push_str(if i == 0 { " " } else { ", " });
            msg.push_str(k.as_str());
        }
        JsError::new(&msg)
    })
}

/// `yyyymmdd` as a date; 0 or nonsense means "no date".
fn date(yyyymmdd: u32) -> Option<Date> {
    let (y, m, d) = (yyyymmdd / 10000, (yyyymmdd / 100) % 100, yyyymmdd % 100);
    (y > 0 && (1..=12).contains(&m) && (1..=31).contains(&d)).then_some(Date { year: y as i32, month: m as u8, day: d as u8 })
}

fn options(locale: Locale, country: &str, min_age: u32, required: bool, today: u32) -> Options {
    Options {
        locale,
        country: (!country.is_empty()).then(|| country.to_ascii_uppercase()),
        min_age: (min_age > 0).then(|| min_age.min(255) as u8),
        today: date(today),
        required,
    }
}

/// The index of a kind name (`email`, `firstName`, `birth-date`, …) for
/// [`check`]; an unknown name is an error that lists the kinds.
#[wasm_bindgen(js_name = kindIndex)]
pub fn kind_index(name: &str) -> Result<u32, JsError> {
    let k = kind(name)?;
    Ok(Kind::ALL.iter().position(|x| *x == k).unwrap_or(0) as u32)
}

/// The index of a locale tag (`fr`, `fr-FR`, `en`, …) for [`check`]:
/// 0 English, 1 French.
#[wasm_bindgen(js_name = localeIndex)]
pub fn locale_index(tag: &str) -> u32 {
    match Locale::parse(tag) {
        Locale::En => 0,
        Locale::Fr => 1,
    }
}

/// Checks one value; returns the verdict as a record (`Verdict::to_record`:
/// cheaper to take apart in JS than JSON to parse), empty for a bad kind
/// index (a plain string, not a `Result`: no error slot for the page to
/// unpack on every keystroke). `kind` and `locale` are indices from
/// [`kind_index`] and [`locale_index`] (cached by the page), `country` two
/// ASCII letters as `first << 8 | second` (0 = none): two strings fewer to
/// copy into the Wasm memory per check. `min_age` 0 = none, `today` as
/// `yyyymmdd`, or 0 when the page has not read its clock: a kind whose
/// check reads the date (`Kind::reads_today`) then answers an empty record
/// and the page asks again with the date; the other kinds, most checks,
/// cost the page no clock read.
#[wasm_bindgen]
pub fn check(kind: u32, value: &str, locale: u32, country: u32, min_age: u32, required: bool, today: u32) -> String {
    let Some(&k) = Kind::ALL.get(kind as usize) else { return String::new() };
    if today == 0 && k.reads_today() {
        return String::new();
    }
    let locale = if locale == 1 { Locale::Fr } else { Locale::En };
    let cc = [(country >> 8) as u8, country as u8];
    let o = options(locale, if country == 0 { "" } else { std::str::from_utf8(&cc).unwrap_or("") }, min_age, required, today);
    VALIDATOR.with(|v| v.borrow().validate_record(k, value, &o))
}

/// Checks a whole form. `spec` holds one record per field, separated by
/// U+001E; a record is `name␟kind␟value␟country␟required(0|1)␟minAge`
/// (fields separated by U+001F). Returns `{"name": verdict, …}` as JSON.
#[wasm_bindgen(js_name = checkFormRaw)]
pub fn check_form_raw(spec: &str, locale: &str, country: &str, today: u32) -> Result<String, JsError> {
    let locale = Locale::parse(locale);
    let form = options(locale, country, 0, false, today);
    let mut fields = Vec::new();
    for rec in spec.split('\u{1e}').filter(|r| !r.is_empty()) {
        let p: Vec<&str> = rec.split('\u{1f}').collect();
        if p.len() != 6 {
            return Err(JsError::new("fiable: malformed form record"));
        }
        // A field without a country of its own gets one from the core's form rule (the address country first).
        let o = options(locale, p[3], fiable_core::text::parse_uint(p[5]).unwrap_or(0), p[4] == "1", today);
        fields.push(Field { name: p[0].to_string(), kind: kind(p[1])?, value: p[2].to_string(), options: o });
    }
    let verdicts = VALIDATOR.with(|v| v.borrow().validate_form(&fields, &form));
    let mut out = String::from("{");
    for (i, verdict) in verdicts.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_str(&mut out, &verdict.field);
        out.push(':');
        out.push_str(&verdict.to_json());
    }
    out.push('}');
    Ok(out)
}

/// The per-field hint state machine (`fiable_core::hint`): the state
/// after `event` (the numbers of `Event::code`); an unknown event leaves
/// the state as it was.
#[wasm_bindgen]
pub fn hint(state: u32, event: u32) -> u32 {
    fiable_core::hint::step(state, event)
}

/// The country a field of kind `kind` (an index, as for [`check`]) is
/// checked with in a form (the core's form rule): its own `own`, else for
/// a phone, postcode or city the address country read from the values of
/// the form's country fields (`address`, separated by U+001F), else the
/// form's `form`. Countries as for [`check`]: two ASCII letters as
/// `first << 8 | second`, 0 for none. The eager module, which has no
/// country table, answers `form::UNKNOWN_COUNTRY` when the address country
/// would decide: the full module knows it.
#[wasm_bindgen(js_name = fieldCountry)]
pub fn field_country(kind: u32, own: u32, address: &str, form: u32) -> u32 {
    let (own, form) = (code_bytes(own), code_bytes(form));
    let (own, form) = (own.as_ref().and_then(|b| std::str::from_utf8(b).ok()), form.as_ref().and_then(|b| std::str::from_utf8(b).ok()));
    let read = fiable_core::form::address_country(address.split('\u{1f}'));
    // The eager module reads only the French plans' countries: another one, named, would decide.
    #[cfg(not(feature = "more"))]
    if own.is_none()
        && read.is_none()
        && matches!(Kind::ALL.get(kind as usize), Some(Kind::Phone | Kind::Postcode | Kind::City))
        && address.split('\u{1f}').any(|v| !v.trim().is_empty())
    {
        return fiable_core::form::UNKNOWN_COUNTRY;
    }
    let k = Kind::ALL.get(kind as usize).copied().unwrap_or(Kind::Email);
    fiable_core::form::field_country(k, own, read, form).map_or(0, |c| c.bytes().fold(0, |n, b| n << 8 | u32::from(b.to_ascii_uppercase())))
}

/// A country crossed as `first << 8 | second` (0 = none), as its two letters.
fn code_bytes(c: u32) -> Option<[u8; 2]> {
    (c != 0).then_some([(c >> 8) as u8, c as u8])
}

/// The verdict the lookup service's answers make of a local verdict (the
/// core's `remote` rules): `kind` a kind name, `status` the local status,
/// `heard` the facts the page read from the answers (`remote::Heard` bits),
/// `cities` the communes the service gave for a postcode (separated by
/// U+001F). The verdict as JSON, its message left to the page (the service
/// codes' texts are not in the Wasm), or empty when nothing changes.
#[wasm_bindgen(js_name = remoteVerdict)]
pub fn remote_verdict(kind: &str, status: &str, heard: u32, cities: &str) -> String {
    let local = match status {
        "valid" => Status::Valid,
        "warning" => Status::Warning,
        "invalid" => Status::Invalid,
        _ => Status::Pending,
    };
    let Some(k) = Kind::parse(kind) else { return String::new() };
    let cities: Vec<&str> = cities.split('\u{1f}').collect();
    fiable_core::remote::amend(k, local, fiable_core::remote::Heard(heard), &cities).map_or_else(String::new, |v| v.to_json())
}

/// Formats a phone number as it is being typed.
#[wasm_bindgen(js_name = formatPhone)]
pub fn format_phone(value: &str, country: &str) -> String {
    let c = (!country.is_empty()).then(|| country.to_ascii_uppercase());
    fiable_core::phone::format_as_you_type(value, c.as_deref())
}

/// The communes of a French postcode as a JSON array of `{name, insee, postcode}`
/// (none in the eager module, which loads no communes).
#[wasm_bindgen(js_name = citiesRaw)]
pub fn cities_raw(postcode: &str) -> String {
    #[cfg(not(feature = "more"))]
    return {
        let _ = postcode;
        "[]".to_string()
    };
    #[cfg(feature = "more")]
    VALIDATOR.with(|v| {
        let mut out = String::from("[");
        for (i, c) in v.borrow().cities_for_postcode(postcode).iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"name\":");
            json_str(&mut out, &c.name);
            out.push_str(",\"insee\":");
            json_str(&mut out, &c.insee);
            out.push_str(",\"postcode\":");
            json_str(&mut out, &c.postcode);
            out.push('}');
        }
        out.push(']');
        out
    })
}

/// Loads a data chunk (bytes of `chunks/NAME.tsv`).
#[wasm_bindgen(js_name = loadChunk)]
pub fn load_chunk(name: &str, bytes: &[u8]) -> Result<(), JsError> {
    VALIDATOR
        .with(|v| v.borrow_mut().load_chunk(name, bytes))
        .map_err(|e| JsError::new(&["fiable: data chunk ", name, ": ", &e.message()].concat()))
}

/// The chunks a check of this kind, value, country option and locale (an
/// index, as for [`check`]) would use that are not loaded yet, the locale's
/// texts among them, comma-separated (empty when none).
#[wasm_bindgen(js_name = chunksFor)]
pub fn chunks_for(kind_name: &str, value: &str, country: &str, locale: u32) -> Result<String, JsError> {
    let k = kind(kind_name)?;
    let c = (!country.is_empty()).then_some(country);
    let mut out = VALIDATOR.with(|v| v.borrow().missing_chunks(k, value, c));
    let locale = if locale == 1 { Locale::Fr } else { Locale::En };
    // A country check asks for the English texts last, if at all: listed once.
    if let Some(t) = fiable_core::messages::chunk_for(locale).filter(|t| out.last().is_none_or(|l| l != t)) {
        out.push(t.to_string());
    }
    Ok(fiable_core::text::join(&out, ","))
}

/// The package version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
