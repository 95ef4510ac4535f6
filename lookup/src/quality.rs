//! The address quality harness: a fixed query set derived from real BAN
//! addresses (full, without postcode, typed prefixes, abbreviations,
//! deterministic typos, lower case without accents), and the top-1/top-5
//! hit rate and latency of an index on it. The same TSV file can be fed
//! to other engines (addok) for comparison.
//!
//! File format, tab-separated, `#` comments: `kind query expected_id expected_label`.

use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::address::{self, Filters, Index, ban};
use crate::synth::Rng;

/// One query of the set.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    /// `full`, `no_postcode`, `prefix`, `abbrev`, `typo`, `folded`.
    pub kind: String,
    /// What is typed.
    pub query: String,
    /// The BAN id expected.
    pub expected_id: String,
    /// Its full label, for humans.
    pub expected_label: String,
}

struct Addr {
    id: String,
    number: String,
    street: String,
    postcode: String,
    city: String,
}

const ABBREV: &[(&str, &str)] = &[
    ("Rue ", "r "),
    ("Avenue ", "av "),
    ("Boulevard ", "bd "),
    ("Place ", "pl "),
    ("Impasse ", "imp "),
    ("Faubourg ", "fg "),
    ("Saint-", "st "),
    ("Sainte-", "ste "),
    ("Général ", "gal "),
    ("Maréchal ", "mal "),
    ("Président ", "pdt "),
    ("Square ", "sq "),
    ("Allée ", "all "),
    ("Quai ", "qu "),
];

/// Derives `n` cases (n/6 of each kind) from a BAN file, deterministically.
pub fn make_corpus(ban_file: &Path, n: usize, seed: u64) -> Result<Vec<Case>, ban::BanError> {
    let mut all: Vec<Addr> = Vec::new();
    ban::read(ban_file, None, |r| {
        // Skip the BAN's odd "180Z1 Rue…" pseudo-streets.
        if let Some(num) = r.numero {
            if !r.nom_voie.starts_with(|c: char| c.is_ascii_digit()) && !r.id.is_empty() {
                let rep = crate::address::normalize::display_rep(&r.rep.to_lowercase());
                all.push(Addr {
                    id: r.id.to_string(),
                    number: if rep.is_empty() { num.to_string() } else { format!("{num} {rep}") },
                    street: r.nom_voie.to_string(),
                    postcode: r.code_postal.to_string(),
                    city: r.nom_commune.split(|c: char| c.is_ascii_digit()).next().unwrap_or("").trim().to_string(),
                });
            }
        }
    })?;
    let mut rng = Rng::new(seed);
    let kinds = ["full", "no_postcode", "prefix", "abbrev", "typo", "folded"];
    let mut out = Vec::with_capacity(n);
    let mut guard = 0;
    while out.len() < n && !all.is_empty() && guard < n * 20 {
        guard += 1;
        let kind = kinds[out.len() % kinds.len()];
        let a = &all[rng.below(all.len())];
        let label = format!("{} {} {} {}", a.number, a.street, a.postcode, a.city);
        let query = match kind {
            "full" => label.clone(),
            "no_postcode" => format!("{} {}", a.number, a.street),
            "prefix" => {
                // Typed up to somewhere in the last word of the street.
                let s = format!("{} {}", a.number, a.street);
                let last_space = s.rfind(' ').unwrap_or(0);
                let chars: Vec<char> = s.chars().collect();
                let start = s[..last_space].chars().count() + 3;
                if start >= chars.len() {
                    continue;
                }
                chars[..start + rng.below(chars.len() - start)].iter().collect()
            }
            "abbrev" => {
                let mut s = format!("{} {}", a.number, a.street);
                let mut changed = false;
                for (from, to) in ABBREV {
                    if s.contains(from) {
                        s = s.replacen(from, to, 1);
                        changed = true;
                    }
                }
                if !changed {
                    continue;
                }
                s
            }
            "typo" => {
                let words: Vec<&str> = a.street.split(' ').collect();
                let Some((wi, w)) = words.iter().enumerate().filter(|(_, w)| w.chars().count() >= 6).max_by_key(|(_, w)| w.len()) else {
                    continue;
                };
                let mut c: Vec<char> = w.chars().collect();
                let p = 1 + rng.below(c.len() - 2);
                match rng.below(3) {
                    0 => c.swap(p, p + 1),
                    1 => {
                        c.remove(p);
                    }
                    _ => c[p] = if c[p] == 'e' { 'a' } else { 'e' },
                }
                let typo: String = c.into_iter().collect();
                if typo == *w {
                    continue;
                }
                let mut ws: Vec<String> = words.iter().map(|s| s.to_string()).collect();
                ws[wi] = typo;
                format!("{} {} {}", a.number, ws.join(" "), a.postcode)
            }
            _ => fiable_core::text::fold(&format!("{} {} {}", a.number, a.street, a.city)),
        };
        out.push(Case { kind: kind.into(), query, expected_id: a.id.clone(), expected_label: label });
    }
    Ok(out)
}

/// Writes a corpus as TSV.
pub fn write_corpus(cases: &[Case], w: &mut dyn Write, source: &str) -> io::Result<()> {
    writeln!(w, "# generated by `fiable-lookup corpus` from {source} — do not edit")?;
    writeln!(w, "# kind\tquery\texpected_id\texpected_label")?;
    for c in cases {
        writeln!(w, "{}\t{}\t{}\t{}", c.kind, c.query, c.expected_id, c.expected_label)?;
    }
    Ok(())
}

/// Reads a corpus TSV.
pub fn read_corpus(r: impl BufRead) -> io::Result<Vec<Case>> {
    let mut out = Vec::new();
    for line in r.lines() {
        let line = line?;
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != 4 {
            return Err(io::Error::new(io::ErrorKind::InvalidData, format!("bad corpus line: {line}")));
        }
        out.push(Case { kind: f[0].into(), query: f[1].into(), expected_id: f[2].into(), expected_label: f[3].into() });
    }
    Ok(out)
}

/// Hit rates and latency on a corpus.
#[derive(Debug, Default)]
pub struct Report {
    /// Per kind: (cases, top-1 hits, top-5 hits).
    pub by_kind: BTreeMap<String, (usize, usize, usize)>,
    /// Every query's latency, sorted (from the rounds after the first when
    /// there are several: the first one also faults the index's pages in).
    pub latencies: Vec<Duration>,
    /// The same, per kind, sorted: the shapes that set the tail.
    pub latencies_by_kind: BTreeMap<String, Vec<Duration>>,
    /// Time spent in the timed queries.
    pub total: Duration,
    /// Cases missed at top-5 (query, top label), first 20.
    pub misses: Vec<(String, String)>,
}

impl Report {
    /// (cases, top-1 rate, top-5 rate) over all kinds.
    pub fn overall(&self) -> (usize, f64, f64) {
        let (n, t1, t5) = self.by_kind.values().fold((0, 0, 0), |a, v| (a.0 + v.0, a.1 + v.1, a.2 + v.2));
        (n, t1 as f64 / n.max(1) as f64, t5 as f64 / n.max(1) as f64)
    }

    /// Latency percentile (0..=100).
    pub fn percentile(&self, p: f64) -> Duration {
        percentile(&self.latencies, p)
    }

    /// A human summary.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let (n, t1, t5) = self.overall();
        s += &format!("overall: {n} queries, top-1 {:.1}%, top-5 {:.1}%\n", t1 * 100.0, t5 * 100.0);
        for (k, (n, a, b)) in &self.by_kind {
            s += &format!("  {k:12} {n:5}  top-1 {:5.1}%  top-5 {:5.1}%\n", *a as f64 * 100.0 / *n as f64, *b as f64 * 100.0 / *n as f64);
        }
        s += &format!(
            "latency: p50 {:.0?} p90 {:.0?} p99 {:.0?} max {:.0?}; {:.0} queries/s (one thread)\n",
            self.percentile(50.0),
            self.percentile(90.0),
            self.percentile(99.0),
            self.percentile(100.0),
            self.latencies.len() as f64 / self.total.as_secs_f64().max(1e-9)
        );
        for (k, l) in &self.latencies_by_kind {
            s += &format!("  {k:12} p50 {:.0?} p99 {:.0?} max {:.0?}\n", percentile(l, 50.0), percentile(l, 99.0), percentile(l, 100.0));
        }
        s
    }
}

/// Percentile (0..=100) of sorted latencies.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let Some(last) = sorted.len().checked_sub(1) else { return Duration::ZERO };
    sorted[(((p / 100.0) * last as f64).round() as usize).min(last)]
}

/// Runs every case `rounds` times (hit rates from the first; latency from the
/// later rounds when there are several, from the only one otherwise).
pub fn evaluate(idx: &Index, cases: &[Case], rounds: usize) -> Report {
    let mut r = Report::default();
    for round in 0..rounds.max(1) {
        for c in cases {
            let t = Instant::now();
            let hits = address::search(idx, &c.query, &Filters::default(), 5);
            let took = t.elapsed();
            if round > 0 || rounds <= 1 {
                r.latencies.push(took);
                r.latencies_by_kind.entry(c.kind.clone()).or_default().push(took);
                r.total += took;
            }
            if round > 0 {
                continue;
            }
            let e = r.by_kind.entry(c.kind.clone()).or_default();
            e.0 += 1;
            let pos = hits.iter().position(|h| h.id.as_deref() == Some(c.expected_id.as_str()));
            if pos == Some(0) {
                e.1 += 1;
            }
            if pos.is_some() {
                e.2 += 1;
            } else if r.misses.len() < 20 {
                r.misses.push((c.query.clone(), hits.first().map(|h| h.label.clone()).unwrap_or_default()));
            }
        }
    }
    r.latencies.sort_unstable();
    r.latencies_by_kind.values_mut().for_each(|l| l.sort_unstable());
    r
}
