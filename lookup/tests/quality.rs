//! The quality harness on the fixed Paris query set
//! (`tests/corpus/addresses-paris.tsv`): top-1 / top-5 must not regress.
mod common;

use fiable_lookup::quality;

#[test]
fn paris_query_set_hit_rates() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/addresses-paris.tsv");
    let cases = quality::read_corpus(std::io::BufReader::new(std::fs::File::open(path).unwrap())).unwrap();
    assert_eq!(cases.len(), 600);
    let r = quality::evaluate(common::paris(), &cases, 1);
    eprintln!("{}", r.summary());
    let (_, top1, top5) = r.overall();
    assert!(top1 >= 0.95, "top-1 {top1}");
    assert!(top5 >= 0.97, "top-5 {top5}");
    for kind in ["full", "no_postcode", "abbrev", "typo", "folded"] {
        let (n, t1, _) = r.by_kind[kind];
        assert!(t1 as f64 / n as f64 >= 0.97, "{kind}: {t1}/{n}");
    }
}
