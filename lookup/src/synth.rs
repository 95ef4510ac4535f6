//! A synthetic national BAN file: same 23 columns as the real export, a
//! realistic shape (the real communes, from the project's commune chunks:
//! INSEE code, name, postcodes, population; addresses per commune growing
//! with its population, so a big town has many streets and a village a
//! few; streets named from the vocabulary of the real Paris file, house
//! numbers with bis/ter), deterministic for a seed. It is how index build
//! time, size, memory, latency and ranking are measured at national scale
//! (26M rows) without shipping the national file.

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

/// A real commune, as the commune chunks list it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commune {
    /// INSEE code ("75056").
    pub insee: String,
    /// Official name ("Paris").
    pub name: String,
    /// Its postcodes, in chunk order.
    pub postcodes: Vec<String>,
    /// Population.
    pub population: u32,
}

/// Reads the current communes from the `communes-XX.tsv` chunks of `dir`
/// (core/chunks: `postcode \t INSEE \t name \t population`; delegated
/// communes, whose population is `-`, are left out), by INSEE code.
pub fn load_communes(dir: &Path) -> io::Result<Vec<Commune>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("communes-") && n.ends_with(".tsv")))
        .collect();
    files.sort();
    let mut by_insee: std::collections::BTreeMap<String, Commune> = std::collections::BTreeMap::new();
    for f in files {
        for line in std::fs::read_to_string(&f)?.lines() {
            let c: Vec<&str> = line.split('\t').collect();
            let [postcode, insee, name, population] = c[..] else {
                continue;
            };
            let Ok(population) = population.parse::<u32>() else {
                continue;
            };
            let e = by_insee.entry(insee.to_string()).or_insert_with(|| Commune {
                insee: insee.to_string(),
                name: name.to_string(),
                postcodes: Vec::new(),
                population,
            });
            if !e.postcodes.iter().any(|p| p == postcode) {
                e.postcodes.push(postcode.to_string());
            }
        }
    }
    if by_insee.is_empty() {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("{}: no commune chunk", dir.display())));
    }
    Ok(by_insee.into_values().collect())
}

/// Relative number of addresses of a commune: grows with its population,
/// less than in proportion (a village has more addresses per inhabitant).
fn address_weight(population: u32) -> f64 {
    (f64::from(population) + 50.0).powf(0.8)
}

/// The communes of a file of `rows` rows (all of them from about 25 M rows;
/// fewer below, about one per 700 rows, drawn with a bias towards bigger
/// ones) and each one's number of rows, biggest first.
fn plan(communes: &[Commune], rows: u64, rng: &mut Rng) -> Vec<(usize, u64)> {
    let n = ((rows / 700) as usize).clamp(50, communes.len().max(1)).min(communes.len());
    // Weighted sampling without replacement: key u^(1/w), the n largest.
    let mut keyed: Vec<(f64, usize)> =
        communes.iter().enumerate().map(|(i, c)| (rng.unit().max(1e-12).powf(1.0 / f64::from(c.population.max(1)).sqrt()), i)).collect();
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut chosen: Vec<usize> = keyed.into_iter().take(n).map(|(_, i)| i).collect();
    chosen.sort_by(|&a, &b| communes[b].population.cmp(&communes[a].population).then(a.cmp(&b)));
    let total: f64 = chosen.iter().map(|&i| address_weight(communes[i].population)).sum();
    chosen.into_iter().map(|i| (i, ((rows as f64 * address_weight(communes[i].population) / total).round() as u64).max(3))).collect()
}

/// Writes `rows` synthetic BAN rows (gzip if `out` ends in `.gz`).
/// Returns the number of rows and communes written.
pub fn generate(vocab: &Vocabulary, communes: &[Commune], rows: u64, seed: u64, out: &Path) -> io::Result<(u64, usize)> {
    if vocab.names.is_empty() || vocab.types.is_empty() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "empty vocabulary"));
    }
    if communes.is_empty() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "no commune"));
    }
    let file = std::fs::File::create(out)?;
    let raw = io::BufWriter::with_capacity(1 << 20, file);
    if out.extension().is_some_and(|e| e == "gz") {
        let mut gz = flate2::write::GzEncoder::new(raw, flate2::Compression::fast());
        let r = write_rows(vocab, communes, rows, seed, &mut gz)?;
        gz.finish()?.flush()?;
        Ok(r)
    } else {
        let mut raw = raw;
        let r = write_rows(vocab, communes, rows, seed, &mut raw)?;
        raw.flush()?;
        Ok(r)
    }
}

fn write_rows(vocab: &Vocabulary, communes: &[Commune], rows: u64, seed: u64, w: &mut dyn Write) -> io::Result<(u64, usize)> {
    writeln!(w, "{}", BAN_HEADER.join(";"))?;

    let mut rng = Rng::new(seed);
    let plan = plan(communes, rows, &mut rng);
    let mut written = 0u64;
    let mut used = 0usize;
    let mut line = String::with_capacity(512);

    for (k, &(ci, share)) in plan.iter().enumerate() {
        let target = if k + 1 == plan.len() { rows.saturating_sub(written) } else { share.min(rows.saturating_sub(written)) };
        if target == 0 {
            break;
        }
        used += 1;
        let c = &communes[ci];
        let (insee, name) = (&c.insee, &c.name);
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
            let postcode = &c.postcodes[s % c.postcodes.len()];
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
    Ok((written, used))
}
