//! Rough native timing of one check per kind (`cargo run --release --example speed`).
//! The real comparison with the JS libraries is `make bench`, in the browser.
use fiable_core::{Date, Kind, Options, Validator};
use std::time::Instant;

fn main() {
    let v = Validator::with_embedded_chunks();
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
