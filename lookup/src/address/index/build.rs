//! Building an index from BAN files, in named phases: read the rows
//! (interning names), order localities, streets and repetition indices,
//! sort the house numbers, tokenise names into the vocabulary, then write
//! the street and locality records, the postings, the typo index and the
//! house-number records.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::format::*;
use super::reader::Index;
use crate::address::ban::{self, ReadStats};
use crate::address::normalize;

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
    /// Show a progress bar on standard error.
    pub progress: bool,
}

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

struct TmpNumber {
    street: u32,
    packed: u32,
    lon: i32,
    lat: i32,
    id_start: u64,
    id_len: u32,
}

/// Everything read from the files, in reading order.
struct Gathered {
    strings: Interner,
    locs: Vec<TmpLocality>,
    streets: Vec<TmpStreet>,
    numbers: Vec<TmpNumber>,
    ids: Vec<u8>,
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

fn progress_bar(opts: &BuildOptions, total: u64) -> indicatif::ProgressBar {
    if !opts.progress {
        return indicatif::ProgressBar::hidden();
    }
    let b = indicatif::ProgressBar::new(total);
    b.set_style(
        indicatif::ProgressStyle::with_template("{msg:12} [{bar:40}] {bytes}/{total_bytes} {elapsed} eta {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    b.set_message("reading");
    b
}

/// Phase 1: reads every row, interning names and grouping rows into
/// localities and streets.
fn gather(files: &[PathBuf], bar: &indicatif::ProgressBar) -> Result<Gathered, IndexError> {
    let mut strings = Interner::new();
    let empty = strings.get("")?;
    let mut loc_map: HashMap<(u32, u32, u32), u32> = HashMap::new();
    let mut street_map: HashMap<(u32, u32), u32> = HashMap::new();
    let mut rep_map: HashMap<u32, u32> = HashMap::from([(empty, 0)]);
    let mut g = Gathered {
        strings: Interner::default(),
        locs: Vec::new(),
        streets: Vec::new(),
        numbers: Vec::new(),
        ids: Vec::new(),
        reps: vec![empty],
        read: ReadStats::default(),
    };
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
                let next = g.locs.len() as u32;
                let loc = *loc_map.entry((cp, insee, cname)).or_insert(next);
                if loc == next {
                    g.locs.push(TmpLocality { postcode: cp, insee, name: cname, rows: 0 });
                }
                g.locs[loc as usize].rows += 1;
                let name = strings.get(row.nom_voie)?;
                let next = g.streets.len() as u32;
                let st = *street_map.entry((loc, name)).or_insert(next);
                if st == next {
                    g.streets.push(TmpStreet { name, loc, lon: 0.0, lat: 0.0, rows: 0 });
                }
                let s = &mut g.streets[st as usize];
                s.lon += row.lon;
                s.lat += row.lat;
                s.rows += 1;
                if let Some(n) = row.numero {
                    let rep_s = strings.get(&row.rep.to_lowercase())?;
                    let next = g.reps.len() as u32;
                    let rep = *rep_map.entry(rep_s).or_insert(next);
                    if rep == next {
                        if g.reps.len() >= MAX_REPS {
                            return Ok(()); // absurd number of distinct indices: drop the row
                        }
                        g.reps.push(rep_s);
                    }
                    let id_start = g.ids.len() as u64;
                    g.ids.extend_from_slice(row.id.as_bytes());
                    g.numbers.push(TmpNumber {
                        street: st,
                        packed: (n << REP_BITS) | rep,
                        lon: micro(row.lon),
                        lat: micro(row.lat),
                        id_start,
                        id_len: row.id.len() as u32,
                    });
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
        g.read.merge(stats);
    }
    g.strings = strings;
    if g.streets.is_empty() {
        return Err(IndexError::NoAddress { skipped: g.read.skipped });
    }
    Ok(g)
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

/// Phase 3: house numbers in final order (street, number, repetition
/// index), duplicates dropped.
fn sort_numbers(numbers: &mut Vec<TmpNumber>, o: &Order) {
    for n in numbers.iter_mut() {
        n.street = o.st_new[n.street as usize];
        let rep = n.packed & ((1 << REP_BITS) - 1);
        n.packed = (n.packed & !((1 << REP_BITS) - 1)) | o.rep_new[rep as usize];
    }
    numbers.sort_unstable_by_key(|n| ((n.street as u64) << 32) | n.packed as u64);
    numbers.dedup_by_key(|n| (n.street, n.packed));
}

/// Phase 4: the vocabulary, from the tokens of street and commune names
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

/// Phase 5: street records (with their tokens and importance). `hn_count`
/// is the number of house numbers of each street, in final order.
fn street_records(g: &Gathered, o: &Order, v: &Vocab, hn_count: &[u32]) -> (Vec<u32>, Vec<u32>, Vec<f32>) {
    let mut street_tokens: Vec<u32> = Vec::new();
    let mut st_rec: Vec<u32> = Vec::with_capacity(g.streets.len() * ST_W);
    let mut importance: Vec<f32> = Vec::with_capacity(g.streets.len());
    let mut hn_start = 0u32;
    for (new, &old) in o.st_order.iter().enumerate() {
        let s = &g.streets[old as usize];
        let count = hn_count[new];
        let (ts, tl) = v.street[new];
        let tok_start = street_tokens.len() as u32;
        street_tokens.extend_from_slice(&v.tok[ts as usize..(ts + tl) as usize]);
        let loc_rows = g.locs[s.loc as usize].rows;
        let imp = 0.6 * (1.0 + loc_rows as f32).ln() + 0.4 * (1.0 + count as f32).ln();
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

/// Phase 6: locality records (with their tokens and street ranges), and
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

/// Phase 7: token → streets, most important first (offsets, lists), and
/// the same lists in street order.
fn street_postings(st_rec: &[u32], street_tokens: &[u32], importance: &[f32], n_tokens: usize) -> [Vec<u32>; 3] {
    let mut pairs = token_pairs(st_rec, ST_W, 4, street_tokens);
    pairs.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0).then(importance[b.1 as usize].total_cmp(&importance[a.1 as usize])).then(a.1.cmp(&b.1))
    });
    let post_off = offsets(&pairs, n_tokens);
    let postings: Vec<u32> = pairs.iter().map(|p| p.1).collect();
    for w in post_off.windows(2) {
        pairs[w[0] as usize..w[1] as usize].sort_unstable_by_key(|p| p.1);
    }
    let by_id: Vec<u32> = pairs.iter().map(|p| p.1).collect();
    [post_off, postings, by_id]
}

/// Phase 8: token → localities whose commune name has it.
fn locality_postings(loc_rec: &[u32], loc_tokens: &[u32], n_tokens: usize) -> [Vec<u32>; 2] {
    let mut pairs = token_pairs(loc_rec, LOC_W, 3, loc_tokens);
    pairs.sort_unstable();
    [offsets(&pairs, n_tokens), pairs.iter().map(|p| p.1).collect()]
}

/// Phase 9: the typo index, (hash(token) | hash(token less one letter), token).
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

/// Phase 10: house-number records and their BAN ids, in final order.
fn number_records(numbers: &[TmpNumber], ids: &[u8]) -> Result<(Vec<u32>, Vec<u8>, Vec<u32>), IndexError> {
    let mut id_off: Vec<u32> = Vec::with_capacity(numbers.len() + 1);
    id_off.push(0);
    let mut id_bytes: Vec<u8> = Vec::new();
    let mut hn_rec: Vec<u32> = Vec::with_capacity(numbers.len() * HN_W);
    for n in numbers {
        id_bytes.extend_from_slice(&ids[n.id_start as usize..][..n.id_len as usize]);
        id_off.push(u32::try_from(id_bytes.len()).map_err(|_| IndexError::TooLarge("more than 4 GiB of ids"))?);
        hn_rec.extend_from_slice(&[n.packed, n.lon as u32, n.lat as u32]);
    }
    Ok((id_off, id_bytes, hn_rec))
}

/// Builds an index from BAN files into memory. Returns the index bytes
/// (8-byte aligned) and a report.
pub fn build(files: &[PathBuf], opts: &BuildOptions) -> Result<(Vec<u64>, BuildReport), IndexError> {
    let t0 = Instant::now();
    let total: u64 = files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
    let bar = progress_bar(opts, total);
    let mut g = gather(files, &bar)?;
    bar.set_message("sorting");
    let o = order(&g);
    let mut numbers = std::mem::take(&mut g.numbers);
    sort_numbers(&mut numbers, &o);

    bar.set_message("indexing");
    let v = vocabulary(&g, &o);
    let mut hn_count = vec![0u32; g.streets.len()];
    for n in &numbers {
        hn_count[n.street as usize] += 1;
    }
    let (st_rec, street_tokens, importance) = street_records(&g, &o, &v, &hn_count);
    let (loc_rec, loc_tokens, postcodes) = locality_records(&g, &o, &v);
    let [post_off, postings, postings_by_id] = street_postings(&st_rec, &street_tokens, &importance, v.tokens.len());
    let [loc_post_off, loc_postings] = locality_postings(&loc_rec, &loc_tokens, v.tokens.len());
    let fuzzy = typo_index(&v.tokens);
    let mut vocab_off = vec![0u32];
    let mut vocab_bytes: Vec<u8> = Vec::new();
    for (t, _) in &v.tokens {
        vocab_bytes.extend_from_slice(t.as_bytes());
        vocab_off.push(vocab_bytes.len() as u32);
    }
    let (id_off, id_bytes, hn_rec) = number_records(&numbers, &g.ids)?;
    g.ids = Vec::new();

    let flat = |v: &[(u32, u32)]| -> Vec<u32> { v.iter().flat_map(|p| [p.0, p.1]).collect() };
    let fuzzy_flat = flat(&fuzzy);
    let postcodes_flat = flat(&postcodes);
    let sections: [&[u8]; N_SECTIONS] = [
        bytemuck::cast_slice(&g.strings.off),
        &g.strings.bytes,
        bytemuck::cast_slice(&id_off),
        &id_bytes,
        bytemuck::cast_slice(&loc_rec),
        bytemuck::cast_slice(&loc_tokens),
        bytemuck::cast_slice(&st_rec),
        bytemuck::cast_slice(&street_tokens),
        bytemuck::cast_slice(&hn_rec),
        bytemuck::cast_slice(&o.reps_sorted),
        bytemuck::cast_slice(&vocab_off),
        &vocab_bytes,
        bytemuck::cast_slice(&post_off),
        bytemuck::cast_slice(&postings),
        bytemuck::cast_slice(&fuzzy_flat),
        bytemuck::cast_slice(&postcodes_flat),
        bytemuck::cast_slice(&postings_by_id),
        bytemuck::cast_slice(&loc_post_off),
        bytemuck::cast_slice(&loc_postings),
    ];
    let words = assemble(&sections);
    bar.finish_and_clear();
    let report = BuildReport {
        read: g.read,
        localities: g.locs.len(),
        streets: g.streets.len(),
        numbers: numbers.len(),
        tokens: v.tokens.len(),
        bytes: words.len() * 8,
        elapsed: t0.elapsed(),
    };
    Ok((words, report))
}

fn assemble(sections: &[&[u8]; N_SECTIONS]) -> Vec<u64> {
    let lens: [u64; N_SECTIONS] = std::array::from_fn(|i| sections[i].len() as u64);
    let (offs, total) = layout(&lens);
    let mut words = vec![0u64; total as usize / 8];
    let out: &mut [u8] = bytemuck::cast_slice_mut(&mut words);
    out[..HEADER_LEN].copy_from_slice(&header(&lens));
    for (off, s) in offs.iter().zip(sections) {
        out[*off as usize..][..s.len()].copy_from_slice(s);
    }
    words
}

/// Builds an index from BAN files and writes it to `out` (through a
/// temporary file renamed at the end, so a reader never sees half a file).
pub fn write(files: &[PathBuf], out: &Path, opts: &BuildOptions) -> Result<BuildReport, IndexError> {
    let (words, report) = build(files, opts)?;
    let tmp = out.with_extension("tmp");
    let io = |source| IndexError::Io { path: out.to_path_buf(), source };
    let f = File::create(&tmp).map_err(io)?;
    let mut w = BufWriter::with_capacity(1 << 20, f);
    w.write_all(bytemuck::cast_slice(&words)).map_err(io)?;
    w.flush().map_err(io)?;
    w.get_ref().sync_all().map_err(io)?;
    drop(w);
    std::fs::rename(&tmp, out).map_err(io)?;
    Ok(report)
}

/// Builds an index from BAN files and opens it in memory.
pub fn build_in_memory(files: &[PathBuf], opts: &BuildOptions) -> Result<(Index, BuildReport), IndexError> {
    let (words, report) = build(files, opts)?;
    Ok((Index::from_words(words)?, report))
}
