//! Whole-form validation and cross-field rules.
//!
//! Every field is checked on its own first, with the form's locale (and the
//! form's `today` and default `country` when the field has none). A phone,
//! postcode or city field without a country option of its own takes the
//! address country (the form's first `country` field, a code or a name) as
//! its default, before the form-wide `country`: the person's own choice beats
//! the shop's guess, so "0470 12 34 56" next to "Belgique" is a Belgian
//! mobile in a form configured for France ([`field_country`]).
//!
//! Then the cross-field rules, each a *warning* on the field the person
//! should look at; a cross-field rule never overrides a verdict that is
//! already a warning or invalid (the field's own problem comes first), and
//! never turns anything invalid:
//! - civility ↔ first name (`civility.first_name_mismatch`), on the
//!   civility field: a wrong default in a select is the usual cause, and
//!   that is where the person fixes it (see [`civility::consistency`]);
//! - postcode ↔ city (`city.postcode_mismatch`), on the city field, with
//!   the right city as `suggestion` when the postcode has exactly one
//!   commune; details `postcode` and `cities`. Only for French postcodes
//!   with their chunk loaded;
//! - phone country ↔ address country (`phone.country_mismatch`), on the
//!   phone field, when a valid number belongs to another country than the
//!   address; details `phone_country`, `address_country` (ISO codes) and
//!   their names in the locale. A French mobile with a Belgian address is
//!   common (cross-border workers): a question, never an error. A national
//!   number that is invalid with the address country but valid in the
//!   form's country (France by default) stays invalid, with the code
//!   `phone.other_country` and the international form as `suggestion`.
//!
//! When a kind appears several times, the rules use the first field of
//! each kind (except phones: each phone field is compared).

use crate::messages::{self, Msg};
use crate::{Kind, Options, Status, Validator, Verdict, civility};

/// Messages of the cross-field rules that belong to no single validator.
pub(crate) const MESSAGES: &[Msg] = &[
    Msg {
        code: "city.postcode_mismatch",
        en: "The postcode {postcode} is that of {cities}, not of {value}.",
        fr: "Le code postal {postcode} est celui de {cities}, pas de {value}.",
    },
    Msg {
        code: "phone.other_country",
        en: "This is not a valid number in {address_country_name}. If it is from {phone_country_name}, write it as {suggestion}.",
        fr: "Ce numéro n'est pas valide dans le pays de l'adresse ({address_country_name}). S'il est d'un autre pays ({phone_country_name}), écrivez-le {suggestion}.",
    },
    Msg {
        code: "phone.country_mismatch",
        en: "This number is from {phone_country_name} but the address is in {address_country_name}: is that right?",
        fr: "Ce numéro est celui d'un autre pays ({phone_country_name}) que l'adresse ({address_country_name}) : est-ce bien cela ?",
    },
];

/// One field of a form.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The field's name in the form.
    pub name: String,
    /// What it holds.
    pub kind: Kind,
    /// What the person typed.
    pub value: String,
    /// Field options (country, required, …); the locale comes from the form.
    pub options: Options,
}

/// Validates every field, then the cross-field rules. Returns one verdict
/// per field, in the order of `fields`, each with `field` set to its name.
pub fn validate(v: &Validator, fields: &[Field], opts: &Options) -> Vec<Verdict> {
    let address_country = address_country(fields.iter().filter(|f| f.kind == Kind::Country).map(|f| f.value.as_str()));
    let mut out: Vec<Verdict> = fields
        .iter()
        .map(|f| {
            let o = field_options(f, opts, address_country);
            let mut r = v.validate(f.kind, &f.value, &o);
            r.field = f.name.clone();
            r
        })
        .collect();

    civility_rule(v, fields, opts, &mut out);
    #[cfg(feature = "more")]
    postcode_rule(v, fields, opts, address_country, &mut out);
    #[cfg(feature = "more")]
    phone_rule(fields, opts, address_country, &mut out);
    out
}

/// The options a field is checked with inside a form.
fn field_options(f: &Field, form: &Options, address_country: Option<&'static str>) -> Options {
    let mut o = f.options.clone();
    o.locale = form.locale;
    if o.today.is_none() {
        o.today = form.today;
    }
    if o.min_age.is_none() {
        o.min_age = form.min_age;
    }
    o.country = field_country(f.kind, o.country.as_deref(), address_country, form.country.as_deref()).map(str::to_string);
    o
}

/// The country a field is checked with in a form: its own option, else
/// (phones, postcodes, cities) the address country, else the form's.
/// `address` is the resolved address country ([`address_country`]).
pub fn field_country<'a>(kind: Kind, own: Option<&'a str>, address: Option<&'a str>, form: Option<&'a str>) -> Option<&'a str> {
    own.or(match kind {
        Kind::Phone | Kind::Postcode | Kind::City => address.or(form),
        _ => form,
    })
}

/// The address country of a form from the values of its country fields,
/// in order: the first one filled in, resolved (`BE`, `Belgique`,
/// `Belgium` → `BE`); `None` when it names no country.
/// What the Wasm's `fieldCountry` answers (a country crosses as `first << 8
/// | second`) in the eager module, which has no country table, when the
/// address country would decide: not two letters, so never a country. The
/// page then waits for the full module (`chunks::FULL_MODULE`).
pub const UNKNOWN_COUNTRY: u32 = 1;

/// The eager Wasm module (without the feature `more`) has no country
/// table: it reads only the countries of the French numbering plans
/// ([`crate::country::resolve_home`]), `None` for the others.
pub fn address_country<'a>(mut values: impl Iterator<Item = &'a str>) -> Option<&'static str> {
    let value = values.find(|v| !v.trim().is_empty())?;
    #[cfg(feature = "more")]
    return crate::country::resolve(value);
    #[cfg(not(feature = "more"))]
    return crate::country::resolve_home(value);
}

fn first_of(fields: &[Field], kind: Kind) -> Option<usize> {
    fields.iter().position(|f| f.kind == kind && !f.value.trim().is_empty())
}

/// Replaces a valid verdict by a cross-field warning, keeping what the
/// field's own check found (normalized form, details).
fn apply(out: &mut [Verdict], i: usize, mut w: Verdict, value: &str, opts: &Options) {
    let own = &out[i];
    if own.status != Status::Valid {
        return;
    }
    w.field = own.field.clone();
    if w.normalized.is_none() {
        w.normalized = own.normalized.clone();
    }
    let mut details = own.details.clone();
    for (k, d) in w.details.0.drain(..) {
        details.0.retain(|(ok, _)| *ok != k);
        details.0.push((k, d));
    }
    w.details = details;
    w.message = messages::render(&w, value, opts.locale);
    out[i] = w;
}

fn civility_rule(v: &Validator, fields: &[Field], opts: &Options, out: &mut [Verdict]) {
    let (Some(ci), Some(fi)) = (first_of(fields, Kind::Civility), first_of(fields, Kind::FirstName)) else {
        return;
    };
    if !out[fi].is_acceptable() {
        return;
    }
    let civ = &fields[ci].value;
    if let Some(w) = civility::consistency_in(civ, &fields[fi].value, &v.first_names, opts.locale) {
        apply(out, ci, w, civ, opts);
    }
}

#[cfg(feature = "more")]
fn postcode_rule(v: &Validator, fields: &[Field], opts: &Options, address_country: Option<&'static str>, out: &mut [Verdict]) {
    let (Some(pi), Some(ci)) = (first_of(fields, Kind::Postcode), first_of(fields, Kind::City)) else {
        return;
    };
    if !out[pi].is_acceptable() || !out[ci].is_acceptable() {
        return;
    }
    let country = fields[pi].options.country.as_deref().and_then(crate::country::resolve).or(address_country);
    if country.is_some_and(|c| crate::text::list_find(crate::communes::FRENCH_POSTAL, c).is_none()) {
        return;
    }
    let pc = out[pi].normalized.clone().unwrap_or_else(|| fields[pi].value.trim().to_string());
    let city = &fields[ci].value;
    if v.communes.postcode_matches_city(&pc, city) != Some(false) {
        return;
    }
    let mut names: Vec<String> = v.communes.for_postcode(&pc).into_iter().map(|c| c.name).collect();
    names.dedup();
    if names.is_empty() {
        return;
    }
    let mut w = Verdict::warning("city.postcode_mismatch").with_text("postcode", pc).with("cities", crate::Detail::List(names.clone()));
    if let [only] = names.as_slice() {
        w = w.with_suggestion(only.clone());
    }
    // The typed city keeps its own normalized form; the suggestion is the fix.
    let own_norm = out[ci].normalized.clone();
    if let Some(n) = own_norm {
        w = w.with_normalized(n);
    }
    apply(out, ci, w, city.trim(), opts);
}

#[cfg(feature = "more")]
fn phone_rule(fields: &[Field], opts: &Options, address_country: Option<&'static str>, out: &mut [Verdict]) {
    let Some(addr) = address_country else { return };
    let name = |c: &str| crate::country::name(c, opts.locale).map(str::to_string).unwrap_or_else(|| c.to_string());
    let details = |w: Verdict, region: &str| {
        w.with_text("phone_country", region)
            .with_text("address_country", addr)
            .with_text("phone_country_name", name(region))
            .with_text("address_country_name", name(addr))
    };
    for (i, f) in fields.iter().enumerate() {
        if f.kind != Kind::Phone || f.value.trim().is_empty() {
            continue;
        }
        let own_country = f.options.country.as_deref().and_then(crate::country::resolve);
        match out[i].status {
            Status::Valid => {
                let Some(region) = phone_region(&f.value, own_country.unwrap_or(addr)) else {
                    continue;
                };
                if region.eq_ignore_ascii_case(addr) {
                    continue;
                }
                let w = details(Verdict::warning("phone.country_mismatch"), region);
                apply(out, i, w, f.value.trim(), opts);
            }
            // A national number read with the address country that only makes
            // sense in the form's country (France by default): "06 12 34 56 78"
            // next to a Belgian address. Still invalid, but with the fix.
            Status::Invalid if own_country.is_none() => {
                let fallback = opts.country.as_deref().and_then(crate::country::resolve).unwrap_or("FR");
                if fallback == addr {
                    continue;
                }
                let Ok(n) = crate::phone::parse(&f.value, Some(fallback)) else {
                    continue;
                };
                if n.region.len() != 2 || n.region == addr {
                    continue;
                }
                let mut w = details(Verdict::invalid("phone.other_country"), n.region).with_suggestion(n.international.clone());
                w.field = out[i].field.clone();
                w.message = messages::render(&w, f.value.trim(), opts.locale);
                out[i] = w;
            }
            _ => {}
        }
    }
}

/// The region (ISO alpha-2) of a phone number read with a default country;
/// `None` when it does not parse or is non-geographic (+800…).
#[cfg(feature = "more")]
fn phone_region(value: &str, default_country: &str) -> Option<&'static str> {
    let n = crate::phone::parse(value, Some(default_country)).ok()?;
    (n.region.len() == 2).then_some(n.region)
}
