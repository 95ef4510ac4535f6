//! A synthetic national BAN file: same 23 columns as the real export, a
//! realistic shape (about 35,000 communes with Zipf-like sizes, several
//! postcodes for the big ones, streets named from the vocabulary of the
//! real Paris file, house numbers with bis/ter), deterministic for a seed.
//! It is how index build time, size, memory and latency are measured at
//! national scale (26M rows) without shipping the national file.

use std::collections::HashSet;
use std::io::{self, Write};
use std::path::Path;

use crate::address::ban::{self, BAN_HEADER};
use crate::address::normalize;

/// A small deterministic generator (SplitMix64): no dependency, same
/// output on every platform.
pub struct Rng(u64);

impl Rng {
    /// A generator for a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// The words real street names are made of, learnt from a BAN file.
#[derive(Debug, Default)]
pub struct Vocabulary {
    /// Street types with repetition by frequency ("Rue" many times).
    pub types: Vec<String>,
    /// What follows the type: "de la", "du", "des", "de l'"…
    pub particles: Vec<String>,
    /// Names: "Roquette", "Général Lemonnier", "Saint-Antoine"…
    pub names: Vec<String>,
}

/// Learns types, particles and names from the street names of a BAN file.
pub fn learn(path: &Path) -> Result<Vocabulary, ban::BanError> {
    let mut seen: HashSet<String> = HashSet::new();
    ban::read(path, None, |row| {
        if !seen.contains(row.nom_voie) {
            seen.insert(row.nom_voie.to_string());
        }
    })?;
    let mut v = Vocabulary::default();
    let mut names: HashSet<String> = HashSet::new();
    let mut streets: Vec<&String> = seen.iter().collect();
    streets.sort();
    for s in streets {
        let words: Vec<&str> = s.split(' ').collect();
        if words.len() < 2 || words[0].chars().next().is_some_and(|c| c.is_ascii_digit()) {
            continue;
        }
        let ty = words[0];
        if normalize::class(&fiable_core::text::fold(ty)) != normalize::TokenClass::Type {
            continue;
        }
        let mut rest = &words[1..];
        let mut particle = String::new();
        for p in [&["de", "la"][..], &["de", "l'"], &["du"], &["des"], &["de"]] {
            if rest.len() > p.len() && rest[..p.len()] == *p {
                particle = p.join(" ");
                rest = &rest[p.len()..];
                break;
            }
        }
        if let Some(first) = rest.first() {
            if let Some(stripped) = first.strip_prefix("l'").or_else(|| first.strip_prefix("d'")) {
                particle = if particle.is_empty() { first[..2].to_string() } else { format!("{particle} l'") };
                let mut r = vec![stripped];
                r.extend_from_slice(&rest[1..]);
                names.insert(r.join(" "));
            } else {
                names.insert(rest.join(" "));
            }
        }
        v.types.push(ty.to_string());
        v.particles.push(particle);
    }
    v.names = names.into_iter().filter(|n| !n.is_empty()).collect();
    v.names.sort();
    Ok(v)
}

/// Departments (INSEE prefix) used for synthetic communes.
fn departments() -> Vec<String> {
    let mut d: Vec<String> = (1..=95).filter(|&n| n != 20).map(|n| format!("{n:02}")).collect();
    d.push("2A".into());
    d.push("2B".into());
    d
}

/// Writes `rows` synthetic BAN rows (gzip if `out` ends in `.gz`).
/// Returns the number of rows and communes written.
pub fn generate(vocab: &Vocabulary, rows: u64, seed: u64, out: &Path) -> io::Result<(u64, usize)> {
    if vocab.names.is_empty() || vocab.types.is_empty() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "empty vocabulary"));
    }
    let file = std::fs::File::create(out)?;
    let raw = io::BufWriter::with_capacity(1 << 20, file);
    if out.extension().is_some_and(|e| e == "gz") {
        let mut gz = flate2::write::GzEncoder::new(raw, flate2::Compression::fast());
        let r = write_rows(vocab, rows, seed, &mut gz)?;
        gz.finish()?.flush()?;
        Ok(r)
    } else {
        let mut raw = raw;
        let r = write_rows(vocab, rows, seed, &mut raw)?;
        raw.flush()?;
        Ok(r)
    }
}

fn write_rows(vocab: &Vocabulary, rows: u64, seed: u64, w: &mut dyn Write) -> io::Result<(u64, usize)> {
    writeln!(w, "{}", BAN_HEADER.join(";"))?;

    let mut rng = Rng::new(seed);
    let communes = if rows >= 10_000_000 { 35_000 } else { (rows / 700).clamp(50, 35_000) as usize };
    // Zipf-like sizes: weight 1/(k+10)^0.9.
    let weights: Vec<f64> = (1..=communes).map(|k| 1.0 / ((k + 10) as f64).powf(0.9)).collect();
    let total: f64 = weights.iter().sum();
    let depts = departments();
    let mut used_insee: HashSet<String> = HashSet::new();
    let mut written = 0u64;
    let mut line = String::with_capacity(512);

    for (k, wgt) in weights.iter().enumerate() {
        let target = if k + 1 == communes {
            rows.saturating_sub(written)
        } else {
            ((rows as f64 * wgt / total).round() as u64).max(3).min(rows.saturating_sub(written))
        };
        if target == 0 {
            break;
        }
        // Identity of the commune.
        let dept = rng.pick(&depts).clone();
        let insee = loop {
            let c = format!("{dept}{:03}", 1 + rng.below(899));
            if used_insee.insert(c.clone()) {
                break c;
            }
        };
        let dept_num: u32 = match dept.as_str() {
            "2A" | "2B" => 20,
            d => d.parse().unwrap_or(1),
        };
        let base = rng.pick(&vocab.names).clone();
        let name = match rng.below(6) {
            0 => format!("Saint-{}", base.replace(' ', "-")),
            1 => format!("{}-sur-{}", base.replace(' ', "-"), rng.pick(&vocab.names).split(' ').next_back().unwrap_or("Mer")),
            2 => format!("Le {}", base),
            _ => base.replace(' ', "-"),
        };
        let n_postcodes = (target / 40_000 + 1) as u32;
        let pc_base = dept_num * 1000 + 10 * rng.below(90) as u32;
        let (lon0, lat0) = (-4.5 + 12.0 * rng.unit(), 42.5 + 8.5 * rng.unit());
        let fantoir_base = rng.below(9000) + 1000;

        // Streets until the commune's row count is reached.
        let mut names_here: HashSet<String> = HashSet::new();
        let mut done = 0u64;
        let mut s = 0usize;
        while done < target {
            let ty = rng.pick(&vocab.types).clone();
            let particle = rng.pick(&vocab.particles).clone();
            let street_name = loop {
                let n = rng.pick(&vocab.names);
                let cand = match particle.as_str() {
                    "" => format!("{ty} {n}"),
                    p if p.ends_with('\'') => format!("{ty} {p}{n}"),
                    p => format!("{ty} {p} {n}"),
                };
                if names_here.insert(cand.clone()) {
                    break cand;
                }
                if names_here.len() > vocab.names.len() {
                    break format!("{cand} {}", names_here.len());
                }
            };
            // Numbers per street: mostly short streets, a few long ones.
            let u = rng.unit();
            let count = ((1.0 / (1.0 - 0.97 * u)).powf(1.3) * 2.0) as u64;
            let count = count.clamp(1, 400).min(target - done);
            let postcode = pc_base + (s as u32 % n_postcodes) * 10 * u32::from(n_postcodes > 1);
            let postcode = format!("{:05}", postcode.min(98999));
            let fantoir = format!("{insee}_{:04}", fantoir_base + s);
            let (slon, slat) = (lon0 + (rng.unit() - 0.5) * 0.05, lat0 + (rng.unit() - 0.5) * 0.03);
            let afnor = fiable_core::text::fold(&street_name).to_uppercase().replace('\'', " ");
            let mut number = 0u32;
            for _ in 0..count {
                let r = rng.unit();
                let rep = if number > 0 && r < 0.05 {
                    "bis"
                } else if number > 0 && r < 0.06 {
                    "ter"
                } else {
                    number += 1 + u32::from(rng.below(4) == 0);
                    ""
                };
                let (lon, lat) = (slon + number as f64 * 1.3e-5, slat + number as f64 * 0.9e-5);
                line.clear();
                use std::fmt::Write as _;
                let id = if rep.is_empty() { format!("{fantoir}_{number:05}") } else { format!("{fantoir}_{number:05}_{rep}") };
                let _ = write!(
                    line,
                    "{id};{fantoir};{number};{rep};{street_name};{postcode};{insee};{name};;;{:.2};{:.2};{lon:.6};{lat:.6};entrée;;;{};{afnor};commune;commune;1;{insee}000AB{:04}",
                    100_000.0 + lon * 70_000.0,
                    6_000_000.0 + lat * 111_000.0,
                    name.to_uppercase(),
                    rng.below(10_000)
                );
                writeln!(w, "{line}")?;
            }
            done += count;
            s += 1;
        }
        written += done;
        if written >= rows {
            break;
        }
    }
    Ok((written, used_insee.len()))
}
