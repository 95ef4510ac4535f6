//! `fiable-lookup`: build address indexes, serve the lookup API.
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};
use fiable_lookup::address::{self, BuildOptions, Filters, Index};

#[derive(Parser)]
#[command(name = "fiable-lookup", version, about = "fiable lookup service")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the lookup API (and the demo pages when `www/` exists).
    Serve(fiable_lookup::http::Config),
    /// Build an address index from BAN CSV files (plain or .gz).
    Index {
        /// BAN `adresses-*.csv[.gz]` files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output index file.
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Write a synthetic national-shaped BAN file (deterministic).
    Synth {
        /// Rows to write.
        #[arg(long, default_value_t = 1_000_000)]
        rows: u64,
        /// Random seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Real BAN file whose street names give the vocabulary.
        #[arg(long, default_value = "data/raw/ban/adresses-75.csv.gz")]
        vocabulary: PathBuf,
        /// Output file (`.csv` or `.csv.gz`).
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Derive a quality query set (TSV) from a BAN file.
    Corpus {
        /// BAN file to draw addresses from.
        #[arg(long, default_value = "data/raw/ban/adresses-75.csv.gz")]
        from: PathBuf,
        /// Number of queries.
        #[arg(short, long, default_value_t = 600)]
        n: usize,
        /// Random seed.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Output TSV.
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Measure top-1/top-5 hit rate and latency of an index on a query set.
    Bench {
        /// Index file (built with `index`).
        #[arg(short, long)]
        index: PathBuf,
        /// Query set TSV (from `corpus`).
        #[arg(short, long)]
        corpus: PathBuf,
        /// Times each query runs (latency from all rounds).
        #[arg(long, default_value_t = 5)]
        rounds: usize,
    },
    /// Run one address query against an index and print the results.
    Query {
        /// Index file.
        #[arg(short, long)]
        index: PathBuf,
        /// The query.
        q: String,
        /// Only this postcode.
        #[arg(long)]
        postcode: Option<String>,
        /// Only this INSEE code.
        #[arg(long)]
        citycode: Option<String>,
        /// Number of results.
        #[arg(long, default_value_t = 5)]
        limit: usize,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Serve(config) => {
            tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
                )
                .init();
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(fiable_lookup::http::serve(config))?;
        }
        Cmd::Index { files, out } => {
            let progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
            let r = address::index::write(&files, &out, &BuildOptions { progress })
                .with_context(|| format!("building {}", out.display()))?;
            eprintln!(
                "{}: {} rows ({} skipped), {} localities, {} streets, {} numbers, {} tokens, {:.1} MiB in {:.1?}",
                out.display(),
                r.read.rows,
                r.read.skipped,
                r.localities,
                r.streets,
                r.numbers,
                r.tokens,
                r.bytes as f64 / 1048576.0,
                r.elapsed
            );
            for s in &r.read.samples {
                eprintln!("  skipped {s}");
            }
        }
        Cmd::Synth { rows, seed, vocabulary, out } => {
            let t = Instant::now();
            let v = fiable_lookup::synth::learn(&vocabulary)?;
            let (n, communes) = fiable_lookup::synth::generate(&v, rows, seed, &out)
                .with_context(|| format!("writing {}", out.display()))?;
            eprintln!("{}: {n} rows, {communes} communes in {:.1?}", out.display(), t.elapsed());
        }
        Cmd::Corpus { from, n, seed, out } => {
            let cases = fiable_lookup::quality::make_corpus(&from, n, seed)?;
            let mut f = std::io::BufWriter::new(std::fs::File::create(&out)?);
            let name = from.file_name().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
            fiable_lookup::quality::write_corpus(&cases, &mut f, &format!("{name} (seed {seed})"))?;
            eprintln!("{}: {} queries", out.display(), cases.len());
        }
        Cmd::Bench { index, corpus, rounds } => {
            let t = Instant::now();
            let idx = Index::open(&index)?;
            eprintln!("opened {} ({:.1} MiB) in {:.1?}", index.display(), idx.byte_len() as f64 / 1048576.0, t.elapsed());
            let cases = fiable_lookup::quality::read_corpus(std::io::BufReader::new(std::fs::File::open(&corpus)?))?;
            let r = fiable_lookup::quality::evaluate(&idx, &cases, rounds);
            print!("{}", r.summary());
            for (q, got) in r.misses.iter().take(10) {
                println!("  miss: {q:?} → {got:?}");
            }
            if let Some(rss) = rss_kib() {
                println!("resident memory: {:.1} MiB", rss as f64 / 1024.0);
            }
        }
        Cmd::Query { index, q, postcode, citycode, limit } => {
            let idx = Index::open(&index)?;
            let t = Instant::now();
            let hits = address::search(&idx, &q, &Filters { postcode, citycode }, limit);
            let el = t.elapsed();
            for h in &hits {
                println!("{}", serde_json::to_string(h)?);
            }
            eprintln!("{} hits in {el:.2?}", hits.len());
        }
    }
    Ok(())
}

/// Resident set size of this process (Linux), in KiB.
fn rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()
}
