//! Building an index from BAN files, in named phases: read the rows
//! (interning names), order localities, streets and repetition indices,
//! sort the house numbers, tokenise names into the vocabulary, then write
//! the street and locality records, the postings, the typo index and the
//! house-number records.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::format::*;
use super::reader::Index;
use super::runs::{Runs, Section, SortedNumbers};
use crate::address::ban::{self, ReadStats};
use crate::address::normalize;
use crate::address::population::Populations;

/// Figures about one build.
#[derive(Debug, Clone)]
pub struct BuildReport {
    /// Rows read, skipped, and samples of skipped rows.
    pub read: ReadStats,
    /// Communes × postcodes.
    pub localities: usize,
    /// Streets (and named places).
    pub streets: usize,
    /// House numbers (after removing duplicates).
    pub numbers: usize,
    /// Distinct tokens.
    pub tokens: usize,
    /// Index size in bytes.
    pub bytes: usize,
    /// Wall time.
    pub elapsed: Duration,
}

/// Options of a build.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Show a progress bar per phase on standard error.
    pub progress: bool,
    /// House numbers sorted in memory at once (0: [`DEFAULT_RUN_LEN`]);
    /// more are sorted in runs spilled to disk and merged.
    pub run_len: usize,
    /// Where spilled runs go (default: the system's temporary directory;
    /// [`write`] uses the output's directory).
    pub tmp_dir: Option<PathBuf>,
}

/// House numbers per sorted run: about 150 MiB of rows and ids, so a
/// national build (26 M numbers, 7 runs) stays well under 2 GB resident.
pub const DEFAULT_RUN_LEN: usize = 4_000_000;

#[derive(Default)]
struct Interner {
    map: HashMap<Box<str>, u32>,
    off: Vec<u32>,
    bytes: Vec<u8>,
}

impl Interner {
    fn new() -> Self {
        Interner { off: vec![0], ..Default::default() }
    }
    fn get(&mut self, s: &str) -> Result<u32, IndexError> {
        if let Some(&id) = self.map.get(s) {
            return Ok(id);
        }
        let id = (self.off.len() - 1) as u32;
        self.bytes.extend_from_slice(s.as_bytes());
        let end = u32::try_from(self.bytes.len()).map_err(|_| IndexError::TooLarge("more than 4 GiB of names"))?;
        self.off.push(end);
        self.map.insert(s.into(), id);
        Ok(id)
    }
    fn str(&self, id: u32) -> &str {
        slice_str(&self.off, &self.bytes, id)
    }
}

/// A locality as read: postcode, INSEE code, commune name (string ids),
/// and its number of rows.
#[derive(Clone, Copy)]
struct TmpLocality {
    postcode: u32,
    insee: u32,
    name: u32,
    rows: u32,
}

struct TmpStreet {
    name: u32,
    loc: u32,
    lon: f64,
    lat: f64,
    rows: u32,
}

/// Everything read from the files, in reading order.
struct Gathered {
    strings: Interner,
    locs: Vec<TmpLocality>,
    streets: Vec<TmpStreet>,
    /// Repetition index → string id ("" first).
    reps: Vec<u32>,
    read: ReadStats,
}

/// Final order of what was read: `*_order[new] = old`, `*_new[old] = new`.
struct Order {
    rep_new: Vec<u32>,
    reps_sorted: Vec<u32>,
    loc_order: Vec<u32>,
    loc_new: Vec<u32>,
    st_order: Vec<u32>,
    st_new: Vec<u32>,
}

/// The vocabulary, and each street's and locality's tokens in it.
struct Vocab {
    /// Sorted tokens (with their provisional ids).
    tokens: Vec<(String, u32)>,
    /// Token ids of all names, concatenated.
    tok: Vec<u32>,
    /// (start, len) in `tok` per street, in final order.
    street: Vec<(u32, u32)>,
    /// (start, len) in `tok` per locality, in final order.
    locality: Vec<(u32, u32)>,
}

/// A progress bar for one phase (hidden unless asked for).
fn phase_bar(opts: &BuildOptions, phase: &'static str, total: u64) -> indicatif::ProgressBar {
    if !opts.progress {
        return indicatif::ProgressBar::hidden();
    }
    let b = indicatif::ProgressBar::new(total);
    let unit = if phase == "reading" || phase == "writing" { "{bytes}/{total_bytes}" } else { "{human_pos}/{human_len}" };
    b.set_style(
        indicatif::ProgressStyle::with_template(&format!("{{msg:9}} [{{bar:40}}] {unit} {{elapsed}} eta {{eta}}"))
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    b.set_message(phase);
    b
}

/// How two streets compare in the final order (by provisional id).
fn street_cmp<'a>(strings: &'a Interner, locs: &'a [TmpLocality], streets: &'a [TmpStreet]) -> impl Fn(u32, u32) -> Ordering + 'a {
    move |a, b| {
        let key = |i: u32| {
            let s = &streets[i as usize];
            let l = &locs[s.loc as usize];
            (strings.str(l.insee), strings.str(l.postcode), strings.str(l.name), strings.str(s.name))
        };
        key(a).cmp(&key(b))
    }
}

/// How two repetition indices compare in the final order (by provisional id).
fn rep_cmp<'a>(strings: &'a Interner, reps: &'a [u32]) -> impl Fn(u32, u32) -> Ordering + 'a {
    move |a, b| strings.str(reps[a as usize]).cmp(strings.str(reps[b as usize]))
}

/// Phase 1: reads every row, interning names, grouping rows into
/// localities and streets, and handing house numbers to `runs`.
fn gather(files: &[PathBuf], runs: &mut Runs, bar: &indicatif::ProgressBar) -> Result<Gathered, IndexError> {
    let mut strings = Interner::new();
    let empty = strings.get("")?;
    let mut loc_map: HashMap<(u32, u32, u32), u32> = HashMap::new();
    let mut street_map: HashMap<(u32, u32), u32> = HashMap::new();
    let mut rep_map: HashMap<u32, u32> = HashMap::from([(empty, 0)]);
    let mut locs: Vec<TmpLocality> = Vec::new();
    let mut streets: Vec<TmpStreet> = Vec::new();
    let mut reps: Vec<u32> = vec![empty];
    let mut read = ReadStats::default();
    let mut err: Option<IndexError> = None;
    for path in files {
        let b2 = bar.clone();
        let stats = ban::read(path, Some(Box::new(move |n| b2.inc(n))), |row| {
            if err.is_some() {
                return;
            }
            let r = (|| -> Result<(), IndexError> {
                let cp = strings.get(row.code_postal)?;
                let insee = strings.get(row.code_insee)?;
                let cname = strings.get(row.nom_commune)?;
                let next = locs.len() as u32;
                let loc = *loc_map.entry((cp, insee, cname)).or_insert(next);
                if loc == next {
                    locs.push(TmpLocality { postcode: cp, insee, name: cname, rows: 0 });
                }
                locs[loc as usize].rows += 1;
                let name = strings.get(row.nom_voie)?;
                let next = streets.len() as u32;
                let st = *street_map.entry((loc, name)).or_insert(next);
                if st == next {
                    streets.push(TmpStreet { name, loc, lon: 0.0, lat: 0.0, rows: 0 });
                }
                let s = &mut streets[st as usize];
                s.lon += row.lon;
                s.lat += row.lat;
                s.rows += 1;
                if let Some(n) = row.numero {
                    let rep_s = strings.get(&row.rep.to_lowercase())?;
                    let next = reps.len() as u32;
                    let rep = *rep_map.entry(rep_s).or_insert(next);
                    if rep == next {
                        if reps.len() >= MAX_REPS {
                            return Ok(()); // absurd number of distinct indices: drop the row
                        }
                        reps.push(rep_s);
                    }
                    if runs.push(st, (n << REP_BITS) | rep, micro(row.lon), micro(row.lat), row.id) {
                        runs.spill(street_cmp(&strings, &locs, &streets), rep_cmp(&strings, &reps))?;
                    }
                }
                Ok(())
            })();
            if let Err(e) = r {
                err = Some(e);
            }
        })?;
        if let Some(e) = err.take() {
            return Err(e);
        }
        read.merge(stats);
    }
    if streets.is_empty() {
        return Err(IndexError::NoAddress { skipped: read.skipped });
    }
    Ok(Gathered { strings, locs, streets, reps, read })
}

/// The inverse of a permutation.
fn inverse(order: &[u32]) -> Vec<u32> {
    let mut new = vec![0u32; order.len()];
    for (n, &old) in order.iter().enumerate() {
        new[old as usize] = n as u32;
    }
    new
}

/// Phase 2: the final order of repetition indices ("" first, then
/// alphabetically, so numbers sort as 12, 12a, 12b…), localities (by INSEE
/// code, postcode, name) and streets (by locality, name).
fn order(g: &Gathered) -> Order {
    let s = &g.strings;
    let mut rep_order: Vec<u32> = (0..g.reps.len() as u32).collect();
    rep_order.sort_by(|&a, &b| s.str(g.reps[a as usize]).cmp(s.str(g.reps[b as usize])));
    let rep_new = inverse(&rep_order);
    let reps_sorted: Vec<u32> = rep_order.iter().map(|&o| g.reps[o as usize]).collect();

    let mut loc_order: Vec<u32> = (0..g.locs.len() as u32).collect();
    let key = |l: &TmpLocality| (s.str(l.insee), s.str(l.postcode), s.str(l.name));
    loc_order.sort_by(|&a, &b| key(&g.locs[a as usize]).cmp(&key(&g.locs[b as usize])));
    let loc_new = inverse(&loc_order);

    let mut st_order: Vec<u32> = (0..g.streets.len() as u32).collect();
    let key = |t: &TmpStreet| (loc_new[t.loc as usize], s.str(t.name));
    st_order.sort_by(|&a, &b| key(&g.streets[a as usize]).cmp(&key(&g.streets[b as usize])));
    let st_new = inverse(&st_order);
    Order { rep_new, reps_sorted, loc_order, loc_new, st_order, st_new }
}

/// Phase 3: the vocabulary, from the tokens of street and commune names
/// (each distinct name tokenised once).
fn vocabulary(g: &Gathered, o: &Order) -> Vocab {
    let mut ids: HashMap<String, u32> = HashMap::new();
    let mut name_tokens: HashMap<u32, (u32, u32)> = HashMap::new(); // name string → (start, len) in tok
    let mut tok: Vec<u32> = Vec::new();
    let mut tokenize = |name: u32, tok: &mut Vec<u32>| -> (u32, u32) {
        if let Some(&r) = name_tokens.get(&name) {
            return r;
        }
        let start = tok.len() as u32;
        for t in normalize::canonical_tokens(g.strings.str(name)) {
            let next = ids.len() as u32;
            tok.push(*ids.entry(t).or_insert(next));
        }
        let r = (start, tok.len() as u32 - start);
        name_tokens.insert(name, r);
        r
    };
    let street: Vec<(u32, u32)> = o.st_order.iter().map(|&i| tokenize(g.streets[i as usize].name, &mut tok)).collect();
    let locality: Vec<(u32, u32)> = o.loc_order.iter().map(|&i| tokenize(g.locs[i as usize].name, &mut tok)).collect();
    let mut tokens: Vec<(String, u32)> = ids.into_iter().collect();
    tokens.sort_unstable();
    let mut tok_new = vec![0u32; tokens.len()];
    for (new, (_, old)) in tokens.iter().enumerate() {
        tok_new[*old as usize] = new as u32;
    }
    for t in tok.iter_mut() {
        *t = tok_new[*t as usize];
    }
    Vocab { tokens, tok, street, locality }
}

/// Phase 4: street records (with their tokens and importance). `hn_count`
/// is the number of house numbers of each street, in final order.
fn street_records(g: &Gathered, o: &Order, v: &Vocab, hn_count: &[u32]) -> (Vec<u32>, Vec<u32>, Vec<f32>) {
    let mut street_tokens: Vec<u32> = Vec::new();
    let mut st_rec: Vec<u32> = Vec::with_capacity(g.streets.len() * ST_W);
    let mut importance: Vec<f32> = Vec::with_capacity(g.streets.len());
    // A commune's size: its INSEE population; for a commune the list
    // lacks, its rows under all its postcodes (the proxy the BAN gives).
    let populations = Populations::embedded();
    let mut commune_rows: HashMap<u32, u32> = HashMap::new();
    for l in &g.locs {
        *commune_rows.entry(l.insee).or_default() += l.rows;
    }
    let commune_size = |l: &TmpLocality| {
        populations
            .get(g.strings.str(l.insee), g.strings.str(l.postcode))
            .unwrap_or_else(|| commune_rows.get(&l.insee).copied().unwrap_or(0))
    };
    let loc_size: Vec<u32> = g.locs.iter().map(commune_size).collect();
    let mut hn_start = 0u32;
    for (new, &old) in o.st_order.iter().enumerate() {
        let s = &g.streets[old as usize];
        let count = hn_count[new];
        let (ts, tl) = v.street[new];
        let tok_start = street_tokens.len() as u32;
        street_tokens.extend_from_slice(&v.tok[ts as usize..(ts + tl) as usize]);
        let imp = importance_of(loc_size[s.loc as usize], count);
        importance.push(imp);
        st_rec.extend_from_slice(&[
            s.name,
            o.loc_new[s.loc as usize],
            hn_start,
            count,
            tok_start,
            tl,
            micro(s.lon / s.rows as f64) as u32,
            micro(s.lat / s.rows as f64) as u32,
            imp.to_bits(),
        ]);
        hn_start += count;
    }
    (st_rec, street_tokens, importance)
}

/// Ranking weight of a street: its commune's size (population) first,
/// then its own (house numbers), both on a log scale.
pub(crate) fn importance_of(commune_size: u32, numbers: u32) -> f32 {
    0.6 * (1.0 + commune_size as f32).ln() + 0.4 * (1.0 + numbers as f32).ln()
}

/// Phase 5: locality records (with their tokens and street ranges), and
/// the postcode table.
fn locality_records(g: &Gathered, o: &Order, v: &Vocab) -> (Vec<u32>, Vec<u32>, Vec<(u32, u32)>) {
    let mut street_range = vec![(u32::MAX, 0u32); g.locs.len()];
    for (new, &old) in o.st_order.iter().enumerate() {
        let l = o.loc_new[g.streets[old as usize].loc as usize] as usize;
        if street_range[l].0 == u32::MAX {
            street_range[l].0 = new as u32;
        }
        street_range[l].1 += 1;
    }
    let mut loc_tokens: Vec<u32> = Vec::new();
    let mut loc_rec: Vec<u32> = Vec::with_capacity(g.locs.len() * LOC_W);
    let mut postcodes: Vec<(u32, u32)> = Vec::new();
    for (new, &old) in o.loc_order.iter().enumerate() {
        let l = &g.locs[old as usize];
        let (ts, tl) = v.locality[new];
        let tok_start = loc_tokens.len() as u32;
        loc_tokens.extend_from_slice(&v.tok[ts as usize..(ts + tl) as usize]);
        let (ss, sc) = street_range[new];
        loc_rec.extend_from_slice(&[l.postcode, l.insee, l.name, tok_start, tl, l.rows, if sc == 0 { 0 } else { ss }, sc]);
        if let Some(k) = postcode_key(g.strings.str(l.postcode)) {
            postcodes.push((k, new as u32));
        }
    }
    postcodes.sort_unstable();
    (loc_rec, loc_tokens, postcodes)
}

/// Offsets of lists grouped by token (`pairs` sorted by token first).
fn offsets(pairs: &[(u32, u32)], n_tokens: usize) -> Vec<u32> {
    let mut off = vec![0u32; n_tokens + 1];
    for &(t, _) in pairs {
        off[t as usize + 1] += 1;
    }
    for i in 0..n_tokens {
        off[i + 1] += off[i];
    }
    off
}

/// The distinct tokens of each record, as (token, record) pairs.
fn token_pairs(recs: &[u32], width: usize, start_len: usize, tokens: &[u32]) -> Vec<(u32, u32)> {
    let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(tokens.len());
    for (i, r) in recs.chunks_exact(width).enumerate() {
        let mut toks: Vec<u32> = tokens[r[start_len] as usize..][..r[start_len + 1] as usize].to_vec();
        toks.sort_unstable();
        toks.dedup();
        pairs.extend(toks.into_iter().map(|t| (t, i as u32)));
    }
    pairs
}

/// Phase 6: token → streets, most important first (offsets, lists), and
/// the same lists in street order.
fn street_postings(st_rec: &[u32], street_tokens: &[u32], importance: &[f32], n_tokens: usize) -> [Vec<u32>; 3] {
    let mut pairs = token_pairs(st_rec, ST_W, 4, street_tokens);
    pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(importance[b.1 as usize].total_cmp(&importance[a.1 as usize])).then(a.1.cmp(&b.1)));
    let post_off = offsets(&pairs, n_tokens);
    let postings: Vec<u32> = pairs.iter().map(|p| p.1).collect();
    for w in post_off.windows(2) {
        pairs[w[0] as usize..w[1] as usize].sort_unstable_by_key(|p| p.1);
    }
    let by_id: Vec<u32> = pairs.iter().map(|p| p.1).collect();
    [post_off, postings, by_id]
}

/// Phase 7: token → localities whose commune name has it.
fn locality_postings(loc_rec: &[u32], loc_tokens: &[u32], n_tokens: usize) -> [Vec<u32>; 2] {
    let mut pairs = token_pairs(loc_rec, LOC_W, 3, loc_tokens);
    pairs.sort_unstable();
    [offsets(&pairs, n_tokens), pairs.iter().map(|p| p.1).collect()]
}

/// Phase 8: the typo index, (hash(token) | hash(token less one letter), token).
fn typo_index(tokens: &[(String, u32)]) -> Vec<(u32, u32)> {
    let mut fuzzy: Vec<(u32, u32)> = Vec::new();
    for (id, (t, _)) in tokens.iter().enumerate() {
        let n = t.chars().count();
        if !(3..=32).contains(&n) || t.bytes().any(|b| b.is_ascii_digit()) {
            continue;
        }
        fuzzy.push((normalize::hash32(t.as_bytes()), id as u32));
        for d in normalize::deletes1(t) {
            fuzzy.push((normalize::hash32(d.as_bytes()), id as u32));
        }
    }
    fuzzy.sort_unstable();
    fuzzy.dedup();
    fuzzy
}

/// Phase 9: house numbers in final order (see [`super::runs`]).
fn sort_numbers(
    runs: Runs,
    g: &Gathered,
    o: &Order,
    opts: &BuildOptions,
    total: u64,
) -> Result<(SortedNumbers, Option<tempfile::TempDir>), IndexError> {
    let bar = phase_bar(opts, "numbers", total);
    let r = runs.finish(&o.st_new, &o.rep_new, street_cmp(&g.strings, &g.locs, &g.streets), rep_cmp(&g.strings, &g.reps), || bar.inc(1));
    bar.finish_and_clear();
    r
}

/// Everything but the house numbers, in memory; the house numbers maybe
/// in temporary files (kept alive by the `TempDir`).
struct Built {
    sections: Vec<Section>,
    report: BuildReport,
    _tmp: Option<tempfile::TempDir>,
}

fn build_sections(files: &[PathBuf], opts: &BuildOptions) -> Result<Built, IndexError> {
    let t0 = Instant::now();
    let total: u64 = files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
    let tmp_in = opts.tmp_dir.clone().unwrap_or_else(std::env::temp_dir);
    let run_len = if opts.run_len == 0 { DEFAULT_RUN_LEN } else { opts.run_len };
    let mut runs = Runs::new(run_len, tmp_in);
    let bar = phase_bar(opts, "reading", total);
    let mut g = gather(files, &mut runs, &bar)?;
    bar.finish_and_clear();

    let bar = phase_bar(opts, "indexing", 8);
    let o = order(&g);
    bar.inc(1);
    let n_numbers = runs.rows_total();
    let (numbers, tmp) = sort_numbers(runs, &g, &o, opts, n_numbers)?;
    let v = vocabulary(&g, &o);
    bar.inc(1);
    let (st_rec, street_tokens, importance) = street_records(&g, &o, &v, &numbers.per_street);
    bar.inc(1);
    let (loc_rec, loc_tokens, postcodes) = locality_records(&g, &o, &v);
    bar.inc(1);
    let [post_off, postings, postings_by_id] = street_postings(&st_rec, &street_tokens, &importance, v.tokens.len());
    bar.inc(1);
    let [loc_post_off, loc_postings] = locality_postings(&loc_rec, &loc_tokens, v.tokens.len());
    bar.inc(1);
    let fuzzy = typo_index(&v.tokens);
    bar.inc(1);
    let mut vocab_off = vec![0u32];
    let mut vocab_bytes: Vec<u8> = Vec::new();
    for (t, _) in &v.tokens {
        vocab_bytes.extend_from_slice(t.as_bytes());
        vocab_off.push(vocab_bytes.len() as u32);
    }
    bar.finish_and_clear();

    let words = |v: &[u32]| Section::Mem(bytemuck::cast_slice(v).to_vec());
    let pairs = |v: &[(u32, u32)]| Section::Mem(v.iter().flat_map(|p| [p.0, p.1]).flat_map(u32::to_le_bytes).collect());
    let n_numbers = numbers.count;
    let sections = vec![
        words(&g.strings.off),
        Section::Mem(std::mem::take(&mut g.strings.bytes)),
        numbers.id_off,
        numbers.id_bytes,
        words(&loc_rec),
        words(&loc_tokens),
        words(&st_rec),
        words(&street_tokens),
        numbers.records,
        words(&o.reps_sorted),
        words(&vocab_off),
        Section::Mem(vocab_bytes),
        words(&post_off),
        words(&postings),
        pairs(&fuzzy),
        pairs(&postcodes),
        words(&postings_by_id),
        words(&loc_post_off),
        words(&loc_postings),
    ];
    let lens: [u64; N_SECTIONS] = std::array::from_fn(|i| sections[i].len());
    let report = BuildReport {
        read: g.read,
        localities: g.locs.len(),
        streets: g.streets.len(),
        numbers: n_numbers,
        tokens: v.tokens.len(),
        bytes: layout(&lens).1 as usize,
        elapsed: t0.elapsed(),
    };
    Ok(Built { sections, report, _tmp: tmp })
}

/// Writes the header then every section (file sections copied through).
fn emit(sections: &[Section], w: &mut dyn Write, bar: &indicatif::ProgressBar, out: &Path) -> Result<(), IndexError> {
    let io = |source| IndexError::Io { path: out.to_path_buf(), source };
    let lens: [u64; N_SECTIONS] = std::array::from_fn(|i| sections[i].len());
    w.write_all(&header(&lens)).map_err(io)?;
    for s in sections {
        match s {
            Section::Mem(v) => w.write_all(v).map_err(io)?,
            Section::File(p, n) => {
                let f = File::open(p).map_err(|source| IndexError::Io { path: p.clone(), source })?;
                let copied = std::io::copy(&mut std::io::BufReader::with_capacity(1 << 20, f), w).map_err(io)?;
                if copied != *n {
                    return Err(IndexError::Io { path: p.clone(), source: std::io::Error::other("temporary file changed size") });
                }
            }
        }
        let pad = (8 - s.len() % 8) % 8;
        w.write_all(&[0u8; 8][..pad as usize]).map_err(io)?;
        bar.inc(s.len() + pad);
    }
    w.flush().map_err(io)
}

/// Builds an index from BAN files into memory. Returns the index bytes
/// (8-byte aligned) and a report.
pub fn build(files: &[PathBuf], opts: &BuildOptions) -> Result<(Vec<u64>, BuildReport), IndexError> {
    let b = build_sections(files, opts)?;
    let mut bytes: Vec<u8> = Vec::with_capacity(b.report.bytes);
    emit(&b.sections, &mut bytes, &indicatif::ProgressBar::hidden(), Path::new("<memory>"))?;
    let mut words = vec![0u64; bytes.len() / 8];
    bytemuck::cast_slice_mut::<u64, u8>(&mut words).copy_from_slice(&bytes);
    Ok((words, b.report))
}

/// Builds an index from BAN files and writes it to `out` (through a
/// temporary file renamed at the end, so a reader never sees half a file;
/// sorted runs spill next to it unless `opts.tmp_dir` says otherwise).
pub fn write(files: &[PathBuf], out: &Path, opts: &BuildOptions) -> Result<BuildReport, IndexError> {
    let mut opts = opts.clone();
    if opts.tmp_dir.is_none() {
        let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        opts.tmp_dir = Some(dir.to_path_buf());
    }
    let b = build_sections(files, &opts)?;
    let tmp = out.with_extension("tmp");
    let io = |source| IndexError::Io { path: out.to_path_buf(), source };
    let f = File::create(&tmp).map_err(io)?;
    let mut w = BufWriter::with_capacity(1 << 20, f);
    let bar = phase_bar(&opts, "writing", b.report.bytes as u64);
    emit(&b.sections, &mut w, &bar, out)?;
    bar.finish_and_clear();
    w.get_ref().sync_all().map_err(io)?;
    drop(w);
    std::fs::rename(&tmp, out).map_err(io)?;
    Ok(b.report)
}

/// Builds an index from BAN files and opens it in memory.
pub fn build_in_memory(files: &[PathBuf], opts: &BuildOptions) -> Result<(Index, BuildReport), IndexError> {
    let (words, report) = build(files, opts)?;
    Ok((Index::from_words(words)?, report))
}
