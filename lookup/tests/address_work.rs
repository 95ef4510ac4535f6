//! The work of one address query is bounded whatever the index size: on a
//! synthetic index where a few words name tens of thousands of streets
//! ("rue", "place", "saint", and the streets of communes named
//! "Saint-…"), the entries touched by the candidate and scoring phases
//! (`Trace::candidate_work`, `Trace::score_work`, deterministic counts)
//! stay under fixed bounds far below those words' posting lists, for the
//! query shapes that used to walk them: a word whose typo variant is a
//! street type ("12 place roue" → "rue"), a prefix cut mid-word, a common
//! word without a postcode.
use std::sync::OnceLock;

use fiable_lookup::address::search::{Trace, search_traced};
use fiable_lookup::address::{BuildOptions, Filters, Index, ban, candidates, index, query};

/// Streets per commune, communes: ~100,000 streets, one house number each.
const STREETS: usize = 100;
const COMMUNES: usize = 1_000;

/// Made-up naming words (syllable pairs: "baco", "badu"…), 1,600 of them.
fn words() -> Vec<String> {
    let syl = ["ba", "co", "du", "fi", "ga", "lo", "mu", "ne", "pi", "ro", "sa", "te", "vi", "zo", "ka", "le", "mo", "ni", "po", "ru"];
    let mut out = Vec::new();
    for a in syl {
        for b in syl {
            for c in ["", "n", "r", "l"] {
                out.push(format!("{a}{b}{c}"));
            }
        }
    }
    out
}

fn index() -> &'static Index {
    static IDX: OnceLock<Index> = OnceLock::new();
    IDX.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("fiable-work-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let csv = dir.join("work.csv");
        let w = words();
        let mut out = String::with_capacity(16 << 20);
        out.push_str(&ban::BAN_HEADER.join(";"));
        out.push('\n');
        // Every street is a "Rue", "Place" or "Route"; one in four is
        // "Saint …"; every other commune is "Saint-…". Streets named
        // "Rue de la Roue" and "Place de la Roue" exist in a few places.
        for c in 0..COMMUNES {
            let cname = if c % 2 == 0 { format!("Saint-{}", w[c % w.len()]) } else { w[(c * 7) % w.len()].clone() };
            let insee = format!("{:05}", 10_000 + c);
            let postcode = format!("{:05}", 10_000 + c);
            for s in 0..STREETS {
                let ty = ["Rue", "Place", "Route", "Rue"][s % 4];
                let name = match (c * 31 + s) % 400 {
                    0 => format!("{ty} de la Roue"),
                    n if n % 4 == 1 => format!("{ty} Saint {}", w[(c * 13 + s * 17) % w.len()]),
                    _ => format!("{ty} des {} {}", w[(c * 13 + s * 17) % w.len()], w[(c * 5 + s * 3) % w.len()]),
                };
                let (lon, lat) = (2.0 + c as f64 * 1e-3, 45.0 + s as f64 * 1e-4);
                let row = [
                    format!("{insee}_{s:04}_00001"),
                    format!("{insee}_{s:04}"),
                    "1".into(),
                    String::new(),
                    name,
                    postcode.clone(),
                    insee.clone(),
                    cname.clone(),
                    String::new(),
                    String::new(),
                    "0".into(),
                    "0".into(),
                    format!("{lon:.6}"),
                    format!("{lat:.6}"),
                    "entrée".into(),
                    String::new(),
                    String::new(),
                    cname.to_uppercase(),
                    String::new(),
                    "commune".into(),
                    "commune".into(),
                    "1".into(),
                    String::new(),
                ];
                out.push_str(&row.join(";"));
                out.push('\n');
            }
        }
        std::fs::write(&csv, out).unwrap();
        let words = index::build(&[csv], &BuildOptions::default()).unwrap().0;
        let _ = std::fs::remove_dir_all(&dir);
        Index::from_words(words).unwrap()
    })
}

fn postings(idx: &Index, word: &str) -> usize {
    idx.find_token(word).map_or(0, |t| idx.postings(t..t + 1).len())
}

/// Most entries the candidate phase of one query may touch: the
/// intersections' budget (200,000), a best-first walk of 4,096 postings at
/// a few dozen entries each, the sets and the final sort (the most seen at
/// 26 M rows: 296,106).
const MAX_CANDIDATE_WORK: usize = 400_000;
/// Most entries the scoring phase of one query may touch (at most 4,000
/// candidates; the most seen at 26 M rows: 90,887).
const MAX_SCORE_WORK: usize = 250_000;

#[test]
fn every_query_shape_touches_a_bounded_number_of_entries() {
    let idx = index();
    // The common words really are common: longer than a best-first walk,
    // and dear to intersect (every entry of a gallop or a sort costs more
    // than one).
    for w in ["rue", "place", "route", "saint"] {
        assert!(postings(idx, w) > 4 * candidates::MAX_WALK_TOTAL, "{w}: {} streets", postings(idx, w));
    }
    let queries = [
        "12 place roue",
        "12 place rou",
        "12 rue de la roue",
        "12 Place de la Roue 10000",
        "3 rue saint",
        "3 rue sain",
        "3 rue s",
        "3 r",
        "3 rue",
        "saint",
        "saint saint saint saint saint saint saint saint saint saint",
        "1 rue saint baco saint-baco",
        "1 route des bacon",
        "1 place des ba",
        // A word cut short, then the postcode: still a prefix, same bound.
        "3 rue sain 10000",
        "3 r 10000",
        "1 place des ba 10000",
        "ro 10000",
        "1 rue des babal cocor",
        "1 rue des rurul popo saint-rurul",
        "roue",
        "r",
        "ro",
    ];
    let w = words();
    // And some real streets, whole or cut mid-word, with and without postcode.
    let more: Vec<String> = (0..40)
        .map(|i| {
            let (a, b) = (&w[(i * 37) % w.len()], &w[(i * 11) % w.len()]);
            match i % 4 {
                0 => format!("{i} rue des {a} {b}"),
                1 => format!("{i} place des {a} {}", &b[..2]),
                2 => format!("{i} rue saint {a} {:05}", 10_000 + i * 3),
                _ => format!("{i} route {}", &a[..3]),
            }
        })
        .collect();
    let mut worst = (0, 0);
    for q in queries.iter().map(|q| q.to_string()).chain(more) {
        let mut tr = Trace::default();
        search_traced(idx, &query::parse(&q), &Filters::default(), 5, &mut tr);
        assert!(tr.candidate_work <= MAX_CANDIDATE_WORK, "{q:?}: candidates touched {} entries ({:?})", tr.candidate_work, tr.set_sizes);
        assert!(tr.score_work <= MAX_SCORE_WORK, "{q:?}: scoring touched {} entries ({} candidates)", tr.score_work, tr.n_candidates);
        worst = (worst.0.max(tr.candidate_work), worst.1.max(tr.score_work));
    }
    eprintln!("most entries touched: candidates {}, scoring {}", worst.0, worst.1);
}

#[test]
fn a_bounded_search_still_finds_the_street() {
    // The bound is no excuse for a miss: a street named by a rare word,
    // typed whole or cut mid-word, comes first.
    let idx = index();
    // Commune 0 street 0 is a "Rue de la Roue", commune 129 street 1 a
    // "Place de la Roue" ((c·31 + s) mod 400 = 0).
    for (q, street, postcode) in [
        ("1 rue de la roue 10000", "Rue de la Roue", "10000"),
        ("1 place de la roue 10129", "Place de la Roue", "10129"),
        ("1 place roue 10129", "Place de la Roue", "10129"),
        // Cut mid-word, no postcode: a "Place de la Roue" of any commune.
        ("1 place de la rou", "Place de la Roue", ""),
        ("1 place roue", "Place de la Roue", ""),
    ] {
        let hits = fiable_lookup::address::search(idx, q, &Filters::default(), 5);
        let ok = |h: &fiable_lookup::address::Hit| h.street == street && (postcode.is_empty() || h.postcode == postcode);
        assert!(hits.first().is_some_and(ok), "{q:?} → {hits:?}");
    }
}
