//! Lists the slowest queries (fastest of 5 runs each) of a corpus on an index (profiling aid):
//! `cargo run --release --example slowest -- INDEX CORPUS [N]`.
use std::time::Instant;

use fiable_lookup::address::{self, Filters, Index};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(idx), Some(corpus)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: slowest INDEX CORPUS [N]");
        std::process::exit(2);
    };
    let n: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(15);
    let idx = Index::open(std::path::Path::new(idx)).expect("index");
    let f = std::fs::File::open(corpus).expect("corpus");
    let cases = fiable_lookup::quality::read_corpus(std::io::BufReader::new(f)).expect("corpus");
    let mut times: Vec<(f64, String, bool)> = Vec::new();
    for c in &cases {
        // The fastest of 5 runs: the machine may be shared, and
        // preemption should not pass for a slow query.
        let mut el = f64::MAX;
        let mut hits = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            hits = address::search(&idx, &c.query, &Filters::default(), 5);
            el = el.min(t.elapsed().as_secs_f64() * 1e3);
        }
        let ok = hits.iter().any(|h| h.id.as_deref() == Some(c.expected_id.as_str()));
        times.push((el, format!("{} {:?}", c.kind, c.query), ok));
    }
    times.sort_by(|a, b| b.0.total_cmp(&a.0));
    let pct = |p: f64| times[((1.0 - p / 100.0) * (times.len() - 1) as f64).round() as usize].0;
    println!("fastest-of-5 per query: p50 {:.3} ms  p90 {:.3} ms  p99 {:.3} ms  max {:.3} ms", pct(50.0), pct(90.0), pct(99.0), pct(100.0));
    for (ms, q, ok) in times.iter().take(n) {
        println!("{ms:8.3} ms  {}  {q}", if *ok { "top5" } else { "MISS" });
    }
}
