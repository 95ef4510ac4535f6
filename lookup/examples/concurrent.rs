//! Latency of the address search with several threads querying at once
//! (each runs the whole corpus), and of a query typed key by key:
//! `cargo run --release --example concurrent -- INDEX CORPUS THREADS ["typed query"…]`.
use std::time::{Duration, Instant};

use fiable_lookup::address::{self, Filters, Index};

fn pct(v: &[Duration], p: f64) -> Duration {
    v[((p / 100.0) * (v.len() - 1) as f64).round() as usize]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(idx), Some(corpus), Some(threads)) = (args.get(1), args.get(2), args.get(3).and_then(|t| t.parse::<usize>().ok())) else {
        eprintln!("usage: concurrent INDEX CORPUS THREADS [\"typed query\"…]");
        std::process::exit(2);
    };
    let idx = Index::open(std::path::Path::new(idx)).expect("index");
    let f = std::fs::File::open(corpus).expect("corpus");
    let cases = fiable_lookup::quality::read_corpus(std::io::BufReader::new(f)).expect("corpus");
    // Warm the pages the corpus touches.
    for c in &cases {
        let _ = address::search(&idx, &c.query, &Filters::default(), 5);
    }
    let t0 = Instant::now();
    let mut all: Vec<Duration> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|k| {
                let (idx, cases) = (&idx, &cases);
                s.spawn(move || {
                    let mut lat = Vec::with_capacity(cases.len());
                    for i in 0..cases.len() {
                        let c = &cases[(i + k * 37) % cases.len()];
                        let t = Instant::now();
                        let _ = address::search(idx, &c.query, &Filters::default(), 5);
                        lat.push(t.elapsed());
                    }
                    lat
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    });
    let wall = t0.elapsed();
    all.sort_unstable();
    println!(
        "{threads} threads: {} queries, p50 {:.2?} p90 {:.2?} p99 {:.2?} max {:.2?}; {:.0} queries/s",
        all.len(),
        pct(&all, 50.0),
        pct(&all, 90.0),
        pct(&all, 99.0),
        pct(&all, 100.0),
        all.len() as f64 / wall.as_secs_f64()
    );
    // Autocomplete: every prefix of each typed query, fastest of 3 runs.
    for q in &args[4..] {
        let mut worst = (Duration::ZERO, String::new());
        for end in (1..=q.len()).filter(|&e| q.is_char_boundary(e)) {
            let p = &q[..end];
            let best = (0..3)
                .map(|_| {
                    let t = Instant::now();
                    let _ = address::search(&idx, p, &Filters::default(), 5);
                    t.elapsed()
                })
                .min()
                .unwrap_or_default();
            if best > worst.0 {
                worst = (best, p.to_string());
            }
        }
        println!("typed {q:?}: slowest prefix {:?} in {:.2?}", worst.1, worst.0);
    }
}
