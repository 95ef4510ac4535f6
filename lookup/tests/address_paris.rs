//! Address search on the real Paris BAN file.
mod common;

use fiable_lookup::address::{self, Filters, NumberMatch};

fn top(q: &str) -> address::Hit {
    address::search(common::paris(), q, &Filters::default(), 5).into_iter().next().unwrap_or_else(|| panic!("no hit for {q:?}"))
}

#[test]
fn abbreviated_street_and_number() {
    let h = top("12 r de la roquette");
    assert_eq!(h.label, "12 Rue de la Roquette 75011 Paris");
    assert_eq!(h.postcode, "75011");
    assert_eq!(h.citycode, "75111");
    assert_eq!(h.number_match, Some(NumberMatch::Exact));
    assert_eq!(h.id.as_deref(), Some("75111_8358_00012"));
}

#[test]
fn abbreviations_and_typo() {
    let h = top("av gal lemonier");
    assert_eq!(h.street, "Avenue du Général Lemonnier");
    let h = top("5 avenue du general lemonnier");
    assert_eq!(h.label, "5 Avenue du Général Lemonnier 75001 Paris");
    assert_eq!(top("bd st germain").street, "Boulevard Saint-Germain");
    assert_eq!(top("8 r du fbg st antoine").street, "Rue du Faubourg Saint-Antoine");
}

#[test]
fn repetition_index_is_kept() {
    let h = top("128 bis rue de rivoli");
    assert_eq!(h.housenumber.as_deref(), Some("128 bis"));
    assert_eq!(h.number_match, Some(NumberMatch::Exact));
    assert_eq!(h.id.as_deref(), Some("75101_8249_00128_b"));
    let h = top("128b rue de rivoli");
    assert_eq!(h.housenumber.as_deref(), Some("128 bis"));
    // Without the index: plain 128, not 128 bis.
    let h = top("128 rue de rivoli");
    assert_eq!(h.housenumber.as_deref(), Some("128"));
}

#[test]
fn missing_number_is_flagged_not_replaced() {
    // No 12 bis on rue de la Roquette: 12 is offered, flagged, and the
    // typed number is echoed back.
    let h = top("12 bis rue de la roquette");
    assert_eq!(h.street, "Rue de la Roquette");
    assert_eq!(h.number_match, Some(NumberMatch::Closest));
    assert_eq!(h.housenumber.as_deref(), Some("12"));
    assert_eq!(h.requested_housenumber.as_deref(), Some("12 bis"));
    // A number past the end of the street.
    let h = top("999 rue de la roquette");
    assert_eq!(h.street, "Rue de la Roquette");
    assert_eq!(h.number_match, Some(NumberMatch::Closest));
    assert_eq!(h.requested_housenumber.as_deref(), Some("999"));
    assert_ne!(h.housenumber.as_deref(), Some("999"));
}

#[test]
fn postcode_and_citycode_filters() {
    let f = Filters { postcode: Some("75004".into()), citycode: None };
    let hits = address::search(common::paris(), "rue de rivoli", &f, 5);
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|h| h.postcode == "75004"));
    let f = Filters { postcode: None, citycode: Some("75101".into()) };
    let hits = address::search(common::paris(), "rivoli", &f, 5);
    assert!(hits.iter().all(|h| h.citycode == "75101"));
    assert_eq!(hits[0].street, "Rue de Rivoli");
    // A postcode typed in the query ranks that part of the street first.
    assert_eq!(top("rue de rivoli 75004").postcode, "75004");
    // An unknown postcode: nothing, not everything.
    let f = Filters { postcode: Some("13001".into()), citycode: None };
    assert!(address::search(common::paris(), "rue de rivoli", &f, 5).is_empty());
}

#[test]
fn prefix_as_typed() {
    assert_eq!(top("12 rue de la roq").street, "Rue de la Roquette");
    assert_eq!(top("av des champs ely").street, "Avenue des Champs Elysées");
    // Cut short, then the postcode typed after it: still a prefix.
    let h = top("12 rue de la roq 75011");
    assert_eq!(h.label, "12 Rue de la Roquette 75011 Paris");
    assert!(address::search(common::paris(), "", &Filters::default(), 5).is_empty());
    assert!(address::search(common::paris(), "12", &Filters::default(), 5).is_empty());
}

#[test]
fn limit_is_respected() {
    assert_eq!(address::search(common::paris(), "rue", &Filters::default(), 3).len(), 3);
    assert!(address::search(common::paris(), "rue", &Filters::default(), 1000).len() <= address::search::MAX_LIMIT);
}

#[test]
fn pseudo_streets_named_by_a_number_come_after_real_streets() {
    // The BAN's "180Z1 Rue de la Roquette" is a pseudo-street whose name
    // starts with its own number and code: a person typing "12 r de la
    // roq" means Rue de la Roquette, then another real street of that name.
    let hits = address::search(common::paris(), "12 r de la roq", &Filters::default(), 5);
    assert_eq!(hits[0].label, "12 Rue de la Roquette 75011 Paris");
    let pseudo = |h: &address::Hit| h.street.starts_with(|c: char| c.is_ascii_digit());
    assert!(hits.iter().any(|h| !pseudo(h) && h.street != "Rue de la Roquette"), "{hits:#?}");
    let first_pseudo = hits.iter().position(pseudo).unwrap_or(hits.len());
    assert!(hits[first_pseudo..].iter().all(pseudo), "a pseudo-street ranks above a real one: {hits:#?}");
    // Typed in full, the pseudo-street is still found.
    let h = top("180 z1 180z1 rue de la roquette");
    assert_eq!(h.street, "180Z1 Rue de la Roquette");
}
