//! The index tables candidate generation relies on (postings in street
//! order, word → locality postings) and the candidate sets themselves,
//! checked against brute-force scans of a small synthetic BAN file.
// A set's tokens are a list of ranges; one range in it is no mistake.
#![allow(clippy::single_range_in_vec_init)]
mod common;

use std::sync::OnceLock;

use fiable_lookup::address::candidates::{self, TermSet};
use fiable_lookup::address::{self, BuildOptions, Filters, Index, index};
use fiable_lookup::synth::{self, Rng};

fn small() -> &'static (Index, Vec<u64>) {
    static IDX: OnceLock<(Index, Vec<u64>)> = OnceLock::new();
    IDX.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("fiable-sets-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let csv = dir.join("synth.csv");
        let vocab = synth::learn(&common::paris_csv()).unwrap();
        let communes = synth::load_communes(&common::communes_dir()).unwrap();
        synth::generate(&vocab, &communes, 40_000, 9, &csv).unwrap();
        let words = index::build(&[csv], &BuildOptions::default()).unwrap().0;
        let _ = std::fs::remove_dir_all(&dir);
        (Index::from_words(words.clone()).unwrap(), words)
    })
}

#[test]
fn locality_postings_match_a_scan_of_the_localities() {
    let (idx, _) = small();
    for t in 0..idx.vocab_len() as u32 {
        let want: Vec<u32> = (0..idx.locality_count() as u32).filter(|&l| idx.locality_tokens(&idx.locality(l)).contains(&t)).collect();
        assert_eq!(idx.locality_postings(t..t + 1), want.as_slice(), "token {:?}", idx.token(t));
    }
}

#[test]
fn postings_by_street_are_the_postings_sorted() {
    let (idx, _) = small();
    let n_st = idx.street_count() as u32;
    let mut rng = Rng::new(5);
    for _ in 0..200 {
        let t = rng.below(idx.vocab_len()) as u32;
        let mut by_importance = idx.postings(t..t + 1).to_vec();
        by_importance.sort_unstable();
        let scan: Vec<u32> = (0..n_st).filter(|&s| idx.street_tokens(&idx.street(s)).contains(&t)).collect();
        assert_eq!(idx.postings_by_id(t), by_importance.as_slice());
        assert_eq!(idx.postings_by_id(t), scan.as_slice(), "token {:?}", idx.token(t));
    }
}

#[test]
fn a_word_set_lists_the_streets_a_scan_finds() {
    let (idx, _) = small();
    let n_st = idx.street_count() as u32;
    let mut rng = Rng::new(6);
    for _ in 0..100 {
        // One or two single tokens, or a prefix range.
        let a = rng.below(idx.vocab_len()) as u32;
        let toks = match rng.below(3) {
            0 => vec![a..a + 1],
            1 => {
                let b = rng.below(idx.vocab_len()) as u32;
                vec![a..a + 1, b..b + 1]
            }
            _ => {
                let p: String = idx.token(a).chars().take(3).collect();
                vec![idx.prefix_range(&p)]
            }
        };
        let has = |list: &[u32]| toks.iter().any(|r| list.iter().any(|t| r.contains(t)));
        for places in [false, true] {
            let set = TermSet::for_word(idx, toks.clone(), places);
            if set.size > candidates::MAX_LISTED {
                continue;
            }
            let scan: Vec<u32> = (0..n_st)
                .filter(|&s| {
                    let st = idx.street(s);
                    has(idx.street_tokens(&st)) || (places && has(idx.locality_tokens(&idx.locality(st.locality))))
                })
                .collect();
            assert_eq!(set.list(idx), scan, "{toks:?} places={places}");
            assert!(set.size >= scan.len());
        }
    }
}

#[test]
fn candidates_hold_every_street_matching_two_of_the_words() {
    let (idx, _) = small();
    let n_st = idx.street_count() as u32;
    let mut rng = Rng::new(8);
    for _ in 0..60 {
        let toks: Vec<u32> = (0..3).map(|_| rng.below(idx.vocab_len()) as u32).collect();
        let sets: Vec<TermSet> = toks.iter().map(|&t| TermSet::for_word(idx, vec![t..t + 1], true)).collect();
        let got = candidates::candidates(idx, sets);
        let matches = |s: u32, t: u32| {
            let st = idx.street(s);
            idx.street_tokens(&st).contains(&t) || idx.locality_tokens(&idx.locality(st.locality)).contains(&t)
        };
        let two: Vec<u32> = (0..n_st).filter(|&s| toks.iter().filter(|&&t| matches(s, t)).count() >= 2).collect();
        // Capped only past MAX_PAIRED; this small file stays below.
        if two.len() < candidates::MAX_PAIRED {
            for s in two {
                assert!(got.binary_search(&s).is_ok(), "street {s} matches two of {toks:?}");
            }
        }
        assert!(got.windows(2).all(|w| w[0] < w[1]));
    }
}

#[test]
fn a_street_in_a_named_commune_is_found_among_namesakes() {
    // Every street name of the file, asked with its commune, comes first.
    let (idx, _) = small();
    let mut rng = Rng::new(11);
    for _ in 0..60 {
        let s = idx.street(rng.below(idx.street_count()) as u32);
        let loc = idx.locality(s.locality);
        let q = format!("{} {} {}", idx.str(s.name), idx.str(loc.postcode), idx.str(loc.name));
        let hits = address::search(idx, &q, &Filters::default(), 5);
        assert!(
            hits.iter().any(|h| h.street == idx.str(s.name) && h.postcode == idx.str(loc.postcode)),
            "{q:?} → {:?}",
            hits.iter().map(|h| &h.label).collect::<Vec<_>>()
        );
    }
}

#[test]
fn an_index_of_the_previous_format_is_refused_clearly() {
    let (_, words) = small();
    let mut old = words.clone();
    let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut old);
    bytes[8..12].copy_from_slice(&1u32.to_le_bytes());
    let e = Index::from_words(old).unwrap_err().to_string();
    assert!(e.contains("format version 1") && e.contains("rebuild"), "{e}");
}
