//! Rough native timing of one check per kind (`cargo run --release --example speed`).
//! The real comparison with the JS libraries is `make bench`, in the browser.
//!
//! `cargo run --release --example speed -- phones|emails|postcodes [ROUNDS]`
//! validates every value of that benchmark corpus (`bench/corpus/*.json`) ROUNDS times
//! (default 20) and prints the mean time per call and a digest of the
//! verdicts; with ROUNDS = 1 it suits `valgrind --tool=callgrind`.
use fiable_core::{Date, Kind, Options, Validator};
use std::time::Instant;

fn corpus(v: &Validator, kind: Kind, rounds: usize) {
    let path = format!("{}/../bench/corpus/{}s.json", env!("CARGO_MANIFEST_DIR"), kind.as_str());
    let text = std::fs::read_to_string(&path).expect("a corpus of bench/corpus/");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&text).expect("corpus JSON");
    let cases: Vec<(String, Options)> = rows
        .iter()
        .map(|r| {
            let o = Options { country: r["country"].as_str().map(str::to_string), ..Options::default() };
            (r["v"].as_str().unwrap_or("").to_string(), o)
        })
        .collect();
    // Warm-up (and the digest: the same inputs must keep the same verdicts).
    let mut digest = 0u64;
    let mut valid = 0;
    for (value, o) in &cases {
        let r = v.validate(kind, value, o);
        let line = format!("{r:?}");
        valid += usize::from(r.status == fiable_core::Status::Valid);
        for b in line.bytes() {
            digest = (digest ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    let t = Instant::now();
    for _ in 0..rounds {
        for (value, o) in &cases {
            std::hint::black_box(v.validate(kind, std::hint::black_box(value), o));
        }
    }
    let calls = rounds * cases.len();
    println!(
        "{}: {} values ({valid} valid), {rounds} rounds, {:.2} µs per call, digest {digest:016x}",
        kind.as_str(),
        cases.len(),
        t.elapsed().as_secs_f64() * 1e6 / calls.max(1) as f64
    );
}

fn main() {
    let v = Validator::with_embedded_chunks();
    let mut args = std::env::args().skip(1);
    let corpus_kind = match args.next().as_deref() {
        Some("phones") => Some(Kind::Phone),
        Some("emails") => Some(Kind::Email),
        Some("postcodes") => Some(Kind::Postcode),
        _ => None,
    };
    if let Some(kind) = corpus_kind {
        let rounds = args.next().and_then(|n| n.parse().ok()).unwrap_or(20);
        return corpus(&v, kind, rounds);
    }
    let fr = Options { country: Some("FR".into()), today: Some(Date { year: 2026, month: 11, day: 23 }), ..Options::default() };
    let cases: &[(Kind, &str, &Options)] = &[
        (Kind::Email, "jean.dupont@gmial.com", &fr),
        (Kind::Email, "marie@orange.fr", &fr),
        (Kind::Phone, "06 12 34 56 78", &fr),
        (Kind::Phone, "+41 44 668 18 00", &fr),
        (Kind::Postcode, "75011", &fr),
        (Kind::Postcode, "SW1A 1AA", &Options { country: Some("GB".into()), ..fr.clone() }),
        (Kind::Country, "FR", &fr),
        (Kind::Country, "Allemagne", &fr),
        (Kind::City, "Paris", &fr),
        (Kind::FirstName, "jean-pierre", &fr),
        (Kind::LastName, "d'ARTAGNAN", &fr),
        (Kind::Civility, "Mme", &fr),
        (Kind::BirthDate, "23/11/1990", &fr),
    ];
    for (kind, value, o) in cases {
        let n = 20_000;
        let t = Instant::now();
        for _ in 0..n {
            std::hint::black_box(v.validate(*kind, std::hint::black_box(value), o));
        }
        println!("{:>12} {:<24} {:>8.2} µs", kind.as_str(), value, t.elapsed().as_secs_f64() * 1e6 / n as f64);
    }
}
