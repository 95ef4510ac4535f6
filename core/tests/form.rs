//! Whole-form validation: every field, then the cross-field rules.

use fiable_core::form::Field;
use fiable_core::{Date, Kind, Locale, Options, Status, Validator, Verdict};
use std::sync::OnceLock;

fn field(name: &str, kind: Kind, value: &str) -> Field {
    Field { name: name.into(), kind, value: value.into(), options: Options::default() }
}

fn form_opts(locale: Locale) -> Options {
    Options { locale, today: Some(Date { year: 2026, month: 11, day: 23 }), ..Options::default() }
}

/// One validator for all tests: loading every chunk takes a moment.
fn validator() -> &'static Validator {
    static V: OnceLock<Validator> = OnceLock::new();
    V.get_or_init(Validator::with_embedded_chunks)
}

fn run(fields: &[Field]) -> Vec<Verdict> {
    validator().validate_form(fields, &form_opts(Locale::Fr))
}

fn by_name<'a>(out: &'a [Verdict], name: &str) -> &'a Verdict {
    out.iter().find(|v| v.field == name).unwrap_or_else(|| panic!("no verdict for {name}: {out:?}"))
}

fn civility_and_first(civ: &str, first: &str) -> Vec<Verdict> {
    run(&[field("civ", Kind::Civility, civ), field("prenom", Kind::FirstName, first)])
}

#[test]
fn one_verdict_per_field_in_order_with_names() {
    let out = run(&[
        field("civ", Kind::Civility, "Mme"),
        field("prenom", Kind::FirstName, "léa"),
        field("nom", Kind::LastName, "DUPONT"),
        field("naissance", Kind::BirthDate, "23/11/1990"),
    ]);
    let names: Vec<&str> = out.iter().map(|v| v.field.as_str()).collect();
    assert_eq!(names, ["civ", "prenom", "nom", "naissance"]);
    assert!(out.iter().all(|v| v.status == Status::Valid), "{out:?}");
    assert_eq!(out[1].normalized.as_deref(), Some("Léa"));
    assert_eq!(out[3].details.get("age").unwrap().to_text(), "36", "the form's today reaches the fields");
}

#[test]
fn mme_with_jean_is_questioned_on_the_civility_field() {
    let out = civility_and_first("Mme", "Jean");
    let civ = by_name(&out, "civ");
    assert_eq!(civ.status, Status::Warning);
    assert_eq!(civ.code, "civility.first_name_mismatch");
    assert_eq!(civ.message, "Mme avec le prénom Jean : vérifiez la civilité.");
    assert_eq!(civ.details.get("gender").unwrap().to_text(), "female");
    assert!(civ.details.get("male_share").is_some());
    assert_eq!(by_name(&out, "prenom").status, Status::Valid, "the first name itself is fine");

    let en =
        validator().validate_form(&[field("civ", Kind::Civility, "Mrs"), field("prenom", Kind::FirstName, "Jean")], &form_opts(Locale::En));
    assert_eq!(en[0].message, "Mrs with Jean: please check the title.");
}

#[test]
fn mme_with_camille_is_silent() {
    let out = civility_and_first("Mme", "Camille");
    assert_eq!(by_name(&out, "civ").status, Status::Valid);
    assert_eq!(by_name(&out, "civ").code, "civility.valid");
}

#[test]
fn m_with_marie_is_questioned() {
    let out = civility_and_first("M.", "Marie");
    assert_eq!(by_name(&out, "civ").code, "civility.first_name_mismatch");
    let out = civility_and_first("Monsieur", "marie-claire");
    assert_eq!(by_name(&out, "civ").code, "civility.first_name_mismatch");
}

#[test]
fn mixed_names_are_silent() {
    for first in ["Dominique", "Claude", "Camille", "Alix", "Sacha", "Andréa", "Charlie"] {
        for civ in ["M.", "Mme"] {
            let out = civility_and_first(civ, first);
            assert_eq!(by_name(&out, "civ").status, Status::Valid, "{civ} {first}: {out:?}");
        }
    }
}

#[test]
fn unknown_names_neutral_titles_and_agreement_are_silent() {
    assert_eq!(civility_and_first("Mme", "Zébulonette").first().unwrap().status, Status::Valid);
    assert_eq!(civility_and_first("Mx", "Jean")[0].status, Status::Valid);
    assert_eq!(civility_and_first("Dr", "Marie")[0].status, Status::Valid);
    assert_eq!(civility_and_first("M.", "Jean")[0].status, Status::Valid);
    assert_eq!(civility_and_first("Mme", "Marie")[0].status, Status::Valid);
    // Compound name: the whole is known, or its first part decides.
    assert_eq!(civility_and_first("Mme", "Jean-Pierre")[0].code, "civility.first_name_mismatch");
    assert_eq!(civility_and_first("M.", "Jean-Marie")[0].status, Status::Valid);
}

#[test]
fn without_the_chunk_nothing_is_said() {
    let v = Validator::new();
    let out = v.validate_form(&[field("civ", Kind::Civility, "Mme"), field("p", Kind::FirstName, "Jean")], &form_opts(Locale::Fr));
    assert_eq!(out[0].status, Status::Valid);
}

#[test]
fn cross_field_warning_never_overrides_invalid() {
    let out = civility_and_first("Madam X", "Jean");
    assert_eq!(out[0].code, "civility.unknown");
    let out = civility_and_first("Mme", "Jean2");
    assert_eq!(out[0].status, Status::Valid, "an invalid first name says nothing about the civility");
    assert_eq!(out[1].code, "name.invalid_chars");
}

#[test]
fn postcode_and_city() {
    let out = run(&[field("cp", Kind::Postcode, "75011"), field("ville", Kind::City, "Lyon")]);
    let city = by_name(&out, "ville");
    assert_eq!(city.status, Status::Warning, "{city:?}");
    assert_eq!(city.code, "city.postcode_mismatch");
    assert_eq!(city.suggestion.as_deref(), Some("Paris"));
    assert_eq!(city.message, "Le code postal 75011 est celui de Paris, pas de Lyon.");
    assert_eq!(by_name(&out, "cp").status, Status::Valid);

    let out = run(&[field("cp", Kind::Postcode, "75011"), field("ville", Kind::City, "Paris")]);
    assert!(out.iter().all(|v| v.status == Status::Valid), "{out:?}");
    let out = run(&[field("cp", Kind::Postcode, "75011"), field("ville", Kind::City, "PARIS 11E ARRONDISSEMENT")]);
    assert_ne!(by_name(&out, "ville").code, "city.postcode_mismatch", "{out:?}");
    let out = run(&[field("cp", Kind::Postcode, "69003"), field("ville", Kind::City, "Lyon")]);
    assert_ne!(by_name(&out, "ville").code, "city.postcode_mismatch", "{out:?}");
}

#[test]
fn postcode_and_city_outside_france_is_not_compared() {
    let out = run(&[field("cp", Kind::Postcode, "75011"), field("ville", Kind::City, "Lyon"), field("pays", Kind::Country, "Allemagne")]);
    assert_ne!(by_name(&out, "ville").code, "city.postcode_mismatch", "{out:?}");
}

#[test]
fn phone_reads_national_numbers_with_the_address_country() {
    // A French mobile written nationally next to a Belgian address is read
    // as Belgian: 06 12 34 56 78 is not a Belgian number, so it stays
    // invalid, but the form offers the French reading as the fix.
    let out = run(&[field("tel", Kind::Phone, "06 12 34 56 78"), field("pays", Kind::Country, "Belgique")]);
    let tel = by_name(&out, "tel");
    assert_ne!(tel.code, "phone.country_mismatch", "{tel:?}");
    assert_ne!(tel.normalized.as_deref(), Some("+33612345678"), "read as Belgian, not French: {tel:?}");
    assert_eq!(tel.status, Status::Invalid);
    assert_eq!(tel.code, "phone.other_country", "{tel:?}");
    assert_eq!(tel.suggestion.as_deref(), Some("+33 6 12 34 56 78"), "the one-click fix");
    assert_eq!(tel.details.get("phone_country").unwrap().to_text(), "FR");
    assert!(tel.message.contains("Belgique"), "{}", tel.message);

    // A Belgian mobile with a Belgian address: fine.
    let out = run(&[field("tel", Kind::Phone, "0470 12 34 56"), field("pays", Kind::Country, "Belgique")]);
    let tel = by_name(&out, "tel");
    assert_eq!(tel.status, Status::Valid, "{tel:?}");
    assert_eq!(tel.normalized.as_deref(), Some("+32470123456"));

    // Without a country field, the phone field's own default applies.
    let mut f = field("tel", Kind::Phone, "06 12 34 56 78");
    f.options.country = Some("FR".into());
    let out = run(&[f]);
    assert_eq!(out[0].status, Status::Valid, "{out:?}");
}

/// A form-wide `country` is the shop's guess; the address country is the
/// person's own choice, and wins for a phone without a country of its own.
#[test]
fn the_address_country_beats_the_form_wide_country() {
    let opts = Options { country: Some("FR".into()), ..form_opts(Locale::Fr) };
    for pays in ["Belgique", "belgique ", "BELGIQUE", "Belgium", "BE", "be", "BEL"] {
        let out = validator().validate_form(&[field("tel", Kind::Phone, "0470 12 34 56"), field("pays", Kind::Country, pays)], &opts);
        let tel = by_name(&out, "tel");
        assert_eq!(tel.status, Status::Valid, "{pays:?}: {tel:?}");
        assert_eq!(tel.normalized.as_deref(), Some("+32470123456"), "{pays:?}: a Belgian mobile");
    }
    // An empty or unknown country field leaves the form's country.
    for pays in ["", "Atlantide"] {
        let out = validator().validate_form(&[field("tel", Kind::Phone, "06 12 34 56 78"), field("pays", Kind::Country, pays)], &opts);
        assert_eq!(by_name(&out, "tel").normalized.as_deref(), Some("+33612345678"), "{pays:?}");
    }
    // The field's own country still wins over both.
    let mut tel = field("tel", Kind::Phone, "06 12 34 56 78");
    tel.options.country = Some("FR".into());
    let out = validator().validate_form(&[tel, field("pays", Kind::Country, "Belgique")], &opts);
    assert_eq!(out[0].normalized.as_deref(), Some("+33612345678"), "{out:?}");
}

#[test]
fn field_country_rule() {
    use fiable_core::form::{address_country, field_country};
    let be = address_country(["", " ", "Belgique", "France"].into_iter());
    assert_eq!(be, Some("BE"), "the first country field filled in");
    assert_eq!(address_country(["Atlantide", "France"].into_iter()), None, "the first filled in, even when it names no country");
    for kind in [Kind::Phone, Kind::Postcode, Kind::City] {
        assert_eq!(field_country(kind, None, be, Some("FR")), Some("BE"), "{kind:?}");
        assert_eq!(field_country(kind, Some("CH"), be, Some("FR")), Some("CH"), "{kind:?}");
        assert_eq!(field_country(kind, None, None, Some("FR")), Some("FR"), "{kind:?}");
    }
    assert_eq!(field_country(Kind::Email, None, be, Some("FR")), Some("FR"), "the address country is for phones and addresses");
    assert_eq!(field_country(Kind::Email, None, be, None), None);
}

#[test]
fn phone_from_another_country_than_the_address_is_a_question() {
    let out = run(&[field("tel", Kind::Phone, "+33 6 12 34 56 78"), field("pays", Kind::Country, "Belgique")]);
    let tel = by_name(&out, "tel");
    assert_eq!(tel.status, Status::Warning, "{tel:?}");
    assert_eq!(tel.code, "phone.country_mismatch");
    assert_eq!(tel.details.get("phone_country").unwrap().to_text(), "FR");
    assert_eq!(tel.details.get("address_country").unwrap().to_text(), "BE");
    assert_eq!(tel.normalized.as_deref(), Some("+33612345678"), "keeps the phone's own normalized form");

    // The phone field's own country option wins over the address country.
    let mut f = field("tel", Kind::Phone, "06 12 34 56 78");
    f.options.country = Some("FR".into());
    let out = run(&[f, field("pays", Kind::Country, "BE")]);
    assert_eq!(out[0].code, "phone.country_mismatch", "{out:?}");

    let out = run(&[field("tel", Kind::Phone, "+33 6 12 34 56 78"), field("pays", Kind::Country, "France")]);
    assert_eq!(out[0].status, Status::Valid, "{out:?}");
}

mod no_panic {
    use super::*;
    use fiable_core::first_names::FirstNames;
    use fiable_core::{birth_date, civility, names};
    use proptest::prelude::*;

    /// Arbitrary text, and text made of the characters these checks care about.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[0-9/.,: \\-]{0,24}",
            "[a-zA-ZéÈëÖœß'’\\- .]{0,30}",
            "[dDeElLaAuUsS' \\-]{0,16}",
            "(le |1er |[0-9]{1,3}[ /.-])?(janv|fev|févr|mars|jui|nov|november|mai)?[ ./-]?[0-9]{0,9}",
        ]
    }

    fn opts(locale: bool, today: (i32, u8, u8), min_age: Option<u8>, us: bool) -> Options {
        Options {
            locale: if locale { Locale::Fr } else { Locale::En },
            today: Some(Date { year: today.0, month: today.1, day: today.2 }),
            min_age,
            country: us.then(|| "US".to_string()),
            required: false,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        #[test]
        fn single_checks_never_panic(
            s in text(),
            fr in any::<bool>(),
            today in (-3000i32..3000, 0u8..=13, 0u8..=32),
            min_age in proptest::option::of(any::<u8>()),
            us in any::<bool>(),
        ) {
            let o = opts(fr, today, min_age, us);
            let _ = names::check_first(&s, &o);
            let _ = names::check_last(&s, &o);
            let _ = names::normalize_last(&s);
            let _ = civility::check(&s, &o);
            let _ = civility::gender(&s);
            let _ = birth_date::check(&s, &o);
            let _ = birth_date::check(&s, &Options::default());
            let _ = validator().first_names.lookup(&s);
            for kind in [Kind::FirstName, Kind::LastName, Kind::Civility, Kind::BirthDate] {
                let v = validator().validate(kind, &s, &o);
                prop_assert!(!v.code.is_empty());
            }
        }

        #[test]
        fn normalizing_twice_changes_nothing(s in "[a-zA-ZéÈëÖ'’\\- ]{0,30}") {
            let once = names::normalize_last(&s);
            prop_assert_eq!(names::normalize_last(&once), once.clone());
            let once = names::normalize_first(&s);
            prop_assert_eq!(names::normalize_first(&once), once);
        }

        #[test]
        fn chunk_loading_never_panics(s in "([a-zé' -]{0,8}(\t[0-9-]{0,11}){0,4}\n?){0,6}", civ in text(), first in text()) {
            let mut t = FirstNames::default();
            let _ = t.load("j", &s);
            let _ = t.load("other", &s);
            let _ = t.lookup(&first);
            let _ = civility::consistency(&civ, &first, &t);
            let _ = civility::consistency(&civ, &first, &validator().first_names);
        }

        #[test]
        fn forms_never_panic(values in proptest::collection::vec(text(), 9), fr in any::<bool>()) {
            let fields: Vec<Field> = Kind::ALL
                .iter()
                .zip(values.iter())
                .map(|(k, v)| field(k.as_str(), *k, v))
                .collect();
            let out = validator().validate_form(&fields, &opts(fr, (2026, 11, 23), Some(15), false));
            prop_assert_eq!(out.len(), fields.len());
        }
    }
}
