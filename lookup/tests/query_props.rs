//! Property tests: parsing and searching never panic, whatever is typed.
mod common;

use fiable_lookup::address::{self, Filters, query};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics(s in "\\PC{0,300}") {
        let q = query::parse(&s);
        prop_assert!(q.terms.len() <= query::MAX_TERMS);
    }

    #[test]
    fn typed_number_is_kept(n in 1u32..9999, rep in prop::sample::select(vec!["", "bis", "ter", "b"]), street in "[a-z ]{0,30}") {
        let q = query::parse(&format!("{n} {rep} {street}"));
        prop_assert_eq!(q.number, Some(n));
    }

    #[test]
    fn search_never_panics(s in "[0-9a-zA-Zéè' -]{0,60}") {
        let hits = address::search(common::paris(), &s, &Filters::default(), 5);
        prop_assert!(hits.len() <= 5);
    }
}
