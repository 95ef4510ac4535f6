//! Lists the slowest queries (fastest of 5 runs each) of a corpus on an index, where their time went, and
//! top-1 / top-5 and latency per kind (profiling aid): `cargo run --release --example slowest -- INDEX CORPUS [N]`
//! (INDEX: an index file, or a BAN .csv[.gz] indexed in memory first).
use std::time::Instant;

use fiable_lookup::address::search::{Trace, search_traced};
use fiable_lookup::address::{Filters, Index, query};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(idx), Some(corpus)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: slowest INDEX CORPUS [N]");
        std::process::exit(2);
    };
    let n: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(15);
    // A BAN file (.csv, .csv.gz) is indexed in memory first.
    let idx = if idx.contains(".csv") {
        let opts = fiable_lookup::address::BuildOptions::default();
        fiable_lookup::address::index::build_in_memory(&[idx.into()], &opts).expect("index").0
    } else {
        Index::open(std::path::Path::new(idx)).expect("index")
    };
    let f = std::fs::File::open(corpus).expect("corpus");
    let cases = fiable_lookup::quality::read_corpus(std::io::BufReader::new(f)).expect("corpus");
    let mut times: Vec<(f64, String, bool, Trace)> = Vec::new();
    let mut quality: std::collections::BTreeMap<String, (usize, usize, usize)> = Default::default();
    for c in &cases {
        // The fastest of 5 runs: the machine may be shared, and
        // preemption should not pass for a slow query.
        let mut el = f64::MAX;
        let mut hits = Vec::new();
        let mut trace = Trace::default();
        for _ in 0..5 {
            let mut tr = Trace::default();
            let t = Instant::now();
            hits = search_traced(&idx, &query::parse(&c.query), &Filters::default(), 5, &mut tr);
            let ms = t.elapsed().as_secs_f64() * 1e3;
            if ms < el {
                (el, trace) = (ms, tr);
            }
        }
        let pos = hits.iter().position(|h| h.id.as_deref() == Some(c.expected_id.as_str()));
        times.push((el, format!("{} {:?}", c.kind, c.query), pos.is_some(), trace));
        let e = quality.entry(c.kind.clone()).or_default();
        e.0 += 1;
        e.1 += usize::from(pos == Some(0));
        e.2 += usize::from(pos.is_some());
    }
    // Per kind: the fastest-of-5 times' p50 / p99 / max.
    let mut kinds: Vec<&str> = cases.iter().map(|c| c.kind.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    for k in kinds {
        let mut v: Vec<f64> = times.iter().filter(|t| t.1.split(' ').next() == Some(k)).map(|t| t.0).collect();
        v.sort_by(f64::total_cmp);
        let p = |q: f64| v[((q / 100.0) * (v.len() - 1) as f64).round() as usize];
        let (n, t1, t5) = quality.get(k).copied().unwrap_or_default();
        // The most entries one query of the kind touched (candidates, scoring).
        let of_kind = || times.iter().filter(|t| t.1.split(' ').next() == Some(k));
        let cw = of_kind().map(|t| t.3.candidate_work).max().unwrap_or(0);
        let sw = of_kind().map(|t| t.3.score_work).max().unwrap_or(0);
        println!(
            "  {k:12} {n:4}  top-1 {:5.1} %  top-5 {:5.1} %  p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms  work max {cw} + {sw}",
            t1 as f64 * 100.0 / n.max(1) as f64,
            t5 as f64 * 100.0 / n.max(1) as f64,
            p(50.0),
            p(99.0),
            p(100.0)
        );
    }
    times.sort_by(|a, b| b.0.total_cmp(&a.0));
    let pct = |p: f64| times[((1.0 - p / 100.0) * (times.len() - 1) as f64).round() as usize].0;
    println!("fastest-of-5 per query: p50 {:.3} ms  p90 {:.3} ms  p99 {:.3} ms  max {:.3} ms", pct(50.0), pct(90.0), pct(99.0), pct(100.0));
    for (ms, q, ok, tr) in times.iter().take(n) {
        let us = |d: std::time::Duration| d.as_micros();
        println!(
            "{ms:8.3} ms  {}  {q}\n             resolve {} µs, candidates {} µs, score {} µs, rank {} µs; sets {:?}, {} candidates, {} kept, {} number lookups; work {} + {}",
            if *ok { "top5" } else { "MISS" },
            us(tr.resolve),
            us(tr.candidates),
            us(tr.score),
            us(tr.rank),
            tr.set_sizes,
            tr.n_candidates,
            tr.n_scored,
            tr.number_lookups,
            tr.candidate_work,
            tr.score_work
        );
    }
}
