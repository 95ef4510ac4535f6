//! The address index: built from BAN files, written as one compact binary
//! file, opened by memory-mapping it (nothing is parsed at start and only
//! the pages a query touches become resident).
//!
//! Streets are the unit of text search; house numbers hang off streets.
//!
//! ```text
//! localities  (postcode, INSEE code, commune name) sorted by INSEE code,
//!             each owning a contiguous range of streets
//! streets     (name, locality, house-number range, token range, centre,
//!             importance) sorted by locality then name
//! numbers     (number<<12 | repetition index, lon, lat) sorted by street,
//!             number, index; BAN ids alongside in the same order
//! vocabulary  sorted canonical tokens of street and commune names
//! postings    token → streets whose name has it, most important first
//! typo index  (hash of token or of token minus one letter, token) sorted
//! postcodes   (postcode, locality) sorted
//! postings by id     the same lists (same offsets) in street-id order,
//!                    so the sets of two words can be intersected by merging
//! locality postings  token → localities whose commune name has it, in
//!                    locality order (offsets, then the lists)
//! ```
//!
//! Version 2 added the last three sections; a version-1 file is refused
//! with a "rebuild it" error.
//!
//! All integers are little-endian `u32`; coordinates are micro-degrees.
//! Every section starts on an 8-byte boundary so it can be viewed in place
//! as a `&[u32]`.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::ops::{Deref, Range};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::ban::{self, BanError, ReadStats};
use super::normalize;

const MAGIC: &[u8; 8] = b"FIABLEAI";
const VERSION: u32 = 2;
const ENDIAN: u32 = 0x0102_0304;
const HEADER_LEN: usize = 1024;
const N_SECTIONS: usize = 19;

/// Record widths, in `u32`s.
const LOC_W: usize = 8;
const ST_W: usize = 9;
const HN_W: usize = 3;
/// Bits of the packed house-number word used by the repetition index.
const REP_BITS: u32 = 12;
const MAX_REPS: usize = 1 << REP_BITS;

#[derive(Clone, Copy, Debug)]
#[repr(usize)]
enum Sec {
    StrOff = 0,
    StrBytes,
    IdOff,
    IdBytes,
    Localities,
    LocTokens,
    Streets,
    StreetTokens,
    Numbers,
    Reps,
    VocabOff,
    VocabBytes,
    PostOff,
    Postings,
    Fuzzy,
    Postcodes,
    PostingsById,
    LocPostOff,
    LocPostings,
}

/// What can go wrong building, writing or opening an index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// A BAN input file could not be read.
    #[error(transparent)]
    Ban(#[from] BanError),
    /// The index file cannot be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The index file is not a valid fiable address index.
    #[error("{path}: not a valid address index: {reason}")]
    Corrupt {
        /// The file (or `<memory>`).
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The inputs held no usable address.
    #[error("no address found in the input files ({skipped} rows skipped)")]
    NoAddress {
        /// Rows skipped as malformed.
        skipped: u64,
    },
    /// The data is too big for the format (4 GiB of strings…).
    #[error("input too large for the index format: {0}")]
    TooLarge(&'static str),
}

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

/// The bytes of an index: a memory map, or an owned 8-byte-aligned buffer.
enum Storage {
    Mapped(memmap2::Mmap),
    Owned(Vec<u64>),
}

impl Deref for Storage {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Storage::Mapped(m) => m,
            Storage::Owned(v) => bytemuck::cast_slice(v),
        }
    }
}

/// A locality: one commune under one postcode.
#[derive(Clone, Copy, Debug)]
pub struct Locality {
    /// String id of the postcode.
    pub postcode: u32,
    /// String id of the INSEE code.
    pub insee: u32,
    /// String id of the commune name.
    pub name: u32,
    tok_start: u32,
    tok_len: u32,
    /// Addresses in this locality (a population proxy).
    pub addresses: u32,
    /// First street.
    pub street_start: u32,
    /// Number of streets.
    pub street_count: u32,
}

/// A street (or named place).
#[derive(Clone, Copy, Debug)]
pub struct Street {
    /// String id of the name.
    pub name: u32,
    /// Its locality.
    pub locality: u32,
    /// First house number.
    pub hn_start: u32,
    /// Number of house numbers.
    pub hn_count: u32,
    tok_start: u32,
    tok_len: u32,
    /// Centre longitude, micro-degrees.
    pub lon: i32,
    /// Centre latitude, micro-degrees.
    pub lat: i32,
    /// Ranking weight (bigger streets in bigger communes first).
    pub importance: f32,
}

/// One house number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Number {
    /// The number.
    pub number: u32,
    /// Index into the repetition-index table (0 = none).
    pub rep: u32,
    /// Longitude, micro-degrees.
    pub lon: i32,
    /// Latitude, micro-degrees.
    pub lat: i32,
}

/// An opened address index.
pub struct Index {
    data: Storage,
    sections: [Range<usize>; N_SECTIONS],
    /// Canonical form of each repetition index (by rep index).
    rep_canon: Vec<String>,
    /// Class of every vocabulary token (computed at open: scoring asks
    /// it for every token of every candidate street).
    classes: Vec<normalize::TokenClass>,
    source: PathBuf,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("source", &self.source)
            .field("streets", &self.street_count())
            .field("numbers", &self.number_count())
            .finish()
    }
}

fn corrupt(path: &Path, reason: impl Into<String>) -> IndexError {
    IndexError::Corrupt { path: path.to_path_buf(), reason: reason.into() }
}

impl Index {
    /// Memory-maps an index file written by [`write`].
    pub fn open(path: &Path) -> Result<Index, IndexError> {
        let file = File::open(path).map_err(|source| IndexError::Io { path: path.to_path_buf(), source })?;
        // SAFETY: the file is opened read-only and the index format is
        // validated below before use; the service never writes to it.
        // Another process truncating the file under us is outside what
        // this service supports (replace index files by rename).
        #[allow(unsafe_code)]
        let map = unsafe { memmap2::Mmap::map(&file) }
            .map_err(|source| IndexError::Io { path: path.to_path_buf(), source })?;
        Self::from_storage(Storage::Mapped(map), path)
    }

    /// Opens an index held in memory (as produced by [`build`]).
    pub fn from_words(words: Vec<u64>) -> Result<Index, IndexError> {
        Self::from_storage(Storage::Owned(words), Path::new("<memory>"))
    }

    fn from_storage(data: Storage, path: &Path) -> Result<Index, IndexError> {
        if cfg!(target_endian = "big") {
            return Err(corrupt(path, "big-endian machines are not supported"));
        }
        let b: &[u8] = &data;
        if b.len() < HEADER_LEN || &b[..8] != MAGIC {
            return Err(corrupt(path, "bad magic (not built by `fiable-lookup index`)"));
        }
        let word = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap_or([0; 4]));
        if word(8) != VERSION {
            return Err(corrupt(path, format!("format version {} (this build reads {VERSION}): rebuild it", word(8))));
        }
        if word(12) != ENDIAN {
            return Err(corrupt(path, "wrong byte order"));
        }
        let mut sections: [Range<usize>; N_SECTIONS] = std::array::from_fn(|_| 0..0);
        for (i, s) in sections.iter_mut().enumerate() {
            let at = 64 + i * 16;
            let off = u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or([0; 8])) as usize;
            let len = u64::from_le_bytes(b[at + 8..at + 16].try_into().unwrap_or([0; 8])) as usize;
            let end = off.checked_add(len).ok_or_else(|| corrupt(path, "section overflow"))?;
            if off % 8 != 0 || off < HEADER_LEN || end > b.len() {
                return Err(corrupt(path, format!("section {i} out of bounds (truncated file?)")));
            }
            *s = off..end;
        }
        let mut idx = Index { data, sections, rep_canon: Vec::new(), classes: Vec::new(), source: path.to_path_buf() };
        idx.validate().map_err(|r| corrupt(path, r))?;
        idx.rep_canon =
            (0..idx.u32s(Sec::Reps).len()).map(|i| normalize::canonical_rep(idx.rep_str(i as u32)).unwrap_or_default()).collect();
        idx.classes = (0..idx.vocab_len() as u32).map(|t| normalize::class(idx.token(t))).collect();
        Ok(idx)
    }

    fn bytes(&self, s: Sec) -> &[u8] {
        &self.data[self.sections[s as usize].clone()]
    }

    fn u32s(&self, s: Sec) -> &[u32] {
        let b = self.bytes(s);
        // Sections are 8-aligned and validated to a multiple of 4 bytes.
        bytemuck::try_cast_slice(&b[..b.len() / 4 * 4]).unwrap_or(&[])
    }

    /// Checks every cross-reference, so that lookups can index freely.
    fn validate(&self) -> Result<(), String> {
        for s in [
            Sec::StrOff,
            Sec::IdOff,
            Sec::Localities,
            Sec::LocTokens,
            Sec::Streets,
            Sec::StreetTokens,
            Sec::Numbers,
            Sec::Reps,
            Sec::VocabOff,
            Sec::PostOff,
            Sec::Postings,
            Sec::Fuzzy,
            Sec::Postcodes,
            Sec::PostingsById,
            Sec::LocPostOff,
            Sec::LocPostings,
        ] {
            if self.bytes(s).len() % 4 != 0 {
                return Err(format!("section {s:?} is not a whole number of words"));
            }
        }
        let check_offsets = |off: &[u32], bytes: usize, what: &str| -> Result<(), String> {
            if off.is_empty() || off[0] != 0 || off.windows(2).any(|w| w[0] > w[1]) || *off.last().unwrap_or(&0) as usize > bytes
            {
                return Err(format!("bad {what} offsets"));
            }
            Ok(())
        };
        check_offsets(self.u32s(Sec::StrOff), self.bytes(Sec::StrBytes).len(), "string")?;
        check_offsets(self.u32s(Sec::IdOff), self.bytes(Sec::IdBytes).len(), "id")?;
        check_offsets(self.u32s(Sec::VocabOff), self.bytes(Sec::VocabBytes).len(), "vocabulary")?;
        let n_str = self.u32s(Sec::StrOff).len() as u32 - 1;
        let n_tok = self.vocab_len() as u32;
        let n_loc = self.locality_count() as u32;
        let n_st = self.street_count() as u32;
        let n_hn = self.number_count() as u32;
        if self.u32s(Sec::Localities).len() % LOC_W != 0
            || self.u32s(Sec::Streets).len() % ST_W != 0
            || self.u32s(Sec::Numbers).len() % HN_W != 0
        {
            return Err("record section of the wrong size".into());
        }
        if self.u32s(Sec::IdOff).len() as u32 != n_hn + 1 {
            return Err("id count differs from house-number count".into());
        }
        if self.u32s(Sec::Reps).is_empty() || self.u32s(Sec::Reps).iter().any(|&s| s >= n_str) {
            return Err("bad repetition-index table".into());
        }
        let n_rep = self.u32s(Sec::Reps).len() as u32;
        if self.u32s(Sec::Numbers).chunks_exact(HN_W).any(|r| r[0] & ((1 << REP_BITS) - 1) >= n_rep) {
            return Err("house number with unknown repetition index".into());
        }
        let tok_in = |start: u32, len: u32, toks: &[u32]| {
            let end = start as usize + len as usize;
            end <= toks.len() && toks[start as usize..end].iter().all(|&t| t < n_tok)
        };
        let lt = self.u32s(Sec::LocTokens);
        for i in 0..n_loc {
            let l = self.locality(i);
            if l.postcode >= n_str || l.insee >= n_str || l.name >= n_str || !tok_in(l.tok_start, l.tok_len, lt) {
                return Err(format!("bad locality {i}"));
            }
            if l.street_start as u64 + l.street_count as u64 > n_st as u64 {
                return Err(format!("bad street range of locality {i}"));
            }
        }
        let stt = self.u32s(Sec::StreetTokens);
        for i in 0..n_st {
            let s = self.street(i);
            if s.name >= n_str
                || s.locality >= n_loc
                || s.hn_start as u64 + s.hn_count as u64 > n_hn as u64
                || !tok_in(s.tok_start, s.tok_len, stt)
                || !s.importance.is_finite()
            {
                return Err(format!("bad street {i}"));
            }
        }
        let po = self.u32s(Sec::PostOff);
        if po.len() as u32 != n_tok + 1 {
            return Err("postings offsets differ from vocabulary".into());
        }
        check_offsets(po, self.u32s(Sec::Postings).len() * 4, "postings")?;
        if *po.last().unwrap_or(&0) as usize != self.u32s(Sec::Postings).len() {
            return Err("bad postings length".into());
        }
        if self.u32s(Sec::Postings).iter().any(|&s| s >= n_st) {
            return Err("posting to an unknown street".into());
        }
        // Same lists in street order: same length, each list ascending.
        let by_id = self.u32s(Sec::PostingsById);
        if by_id.len() != self.u32s(Sec::Postings).len()
            || po.windows(2).any(|w| by_id[w[0] as usize..w[1] as usize].windows(2).any(|p| p[0] >= p[1]))
            || by_id.iter().any(|&s| s >= n_st)
        {
            return Err("bad postings by street".into());
        }
        let lpo = self.u32s(Sec::LocPostOff);
        let lp = self.u32s(Sec::LocPostings);
        if lpo.len() as u32 != n_tok + 1 {
            return Err("locality postings offsets differ from vocabulary".into());
        }
        check_offsets(lpo, lp.len() * 4, "locality postings")?;
        if *lpo.last().unwrap_or(&0) as usize != lp.len()
            || lpo.windows(2).any(|w| lp[w[0] as usize..w[1] as usize].windows(2).any(|p| p[0] >= p[1]))
            || lp.iter().any(|&l| l >= n_loc)
        {
            return Err("bad locality postings".into());
        }
        let fz = self.u32s(Sec::Fuzzy);
        if fz.len() % 2 != 0 || fz.chunks_exact(2).any(|p| p[1] >= n_tok) {
            return Err("bad typo index".into());
        }
        let pc = self.u32s(Sec::Postcodes);
        if pc.len() % 2 != 0 || pc.chunks_exact(2).any(|p| p[1] >= n_loc) {
            return Err("bad postcode table".into());
        }
        Ok(())
    }

    /// Where the index came from (file path or `<memory>`).
    pub fn source(&self) -> &Path {
        &self.source
    }

    /// Size in bytes.
    pub fn byte_len(&self) -> usize {
        self.data.len()
    }

    /// String by id ("" if it is not valid UTF-8).
    pub fn str(&self, id: u32) -> &str {
        slice_str(self.u32s(Sec::StrOff), self.bytes(Sec::StrBytes), id)
    }

    /// BAN id of a house number.
    pub fn number_id(&self, i: u32) -> &str {
        slice_str(self.u32s(Sec::IdOff), self.bytes(Sec::IdBytes), i)
    }

    /// Number of localities.
    pub fn locality_count(&self) -> usize {
        self.u32s(Sec::Localities).len() / LOC_W
    }

    /// Number of streets.
    pub fn street_count(&self) -> usize {
        self.u32s(Sec::Streets).len() / ST_W
    }

    /// Number of house numbers.
    pub fn number_count(&self) -> usize {
        self.u32s(Sec::Numbers).len() / HN_W
    }

    /// A locality by id.
    pub fn locality(&self, i: u32) -> Locality {
        let r = &self.u32s(Sec::Localities)[i as usize * LOC_W..][..LOC_W];
        Locality {
            postcode: r[0],
            insee: r[1],
            name: r[2],
            tok_start: r[3],
            tok_len: r[4],
            addresses: r[5],
            street_start: r[6],
            street_count: r[7],
        }
    }

    /// A street by id.
    pub fn street(&self, i: u32) -> Street {
        let r = &self.u32s(Sec::Streets)[i as usize * ST_W..][..ST_W];
        Street {
            name: r[0],
            locality: r[1],
            hn_start: r[2],
            hn_count: r[3],
            tok_start: r[4],
            tok_len: r[5],
            lon: r[6] as i32,
            lat: r[7] as i32,
            importance: f32::from_bits(r[8]),
        }
    }

    /// A house number by id.
    pub fn number(&self, i: u32) -> Number {
        let r = &self.u32s(Sec::Numbers)[i as usize * HN_W..][..HN_W];
        Number { number: r[0] >> REP_BITS, rep: r[0] & ((1 << REP_BITS) - 1), lon: r[1] as i32, lat: r[2] as i32 }
    }

    /// The repetition index as written in the source (`b`, `bis`, `a`…).
    pub fn rep_str(&self, rep: u32) -> &str {
        self.u32s(Sec::Reps).get(rep as usize).map(|&s| self.str(s)).unwrap_or("")
    }

    /// Canonical repetition index (`b` for bis…).
    pub fn rep_canon(&self, rep: u32) -> &str {
        self.rep_canon.get(rep as usize).map(String::as_str).unwrap_or("")
    }

    /// Canonical tokens of a street's name.
    pub fn street_tokens(&self, s: &Street) -> &[u32] {
        &self.u32s(Sec::StreetTokens)[s.tok_start as usize..][..s.tok_len as usize]
    }

    /// Canonical tokens of a locality's commune name.
    pub fn locality_tokens(&self, l: &Locality) -> &[u32] {
        &self.u32s(Sec::LocTokens)[l.tok_start as usize..][..l.tok_len as usize]
    }

    /// Number of distinct tokens.
    pub fn vocab_len(&self) -> usize {
        self.u32s(Sec::VocabOff).len().saturating_sub(1)
    }

    /// A token by id.
    pub fn token(&self, t: u32) -> &str {
        slice_str(self.u32s(Sec::VocabOff), self.bytes(Sec::VocabBytes), t)
    }

    /// The id of a token, if the vocabulary has it.
    pub fn find_token(&self, t: &str) -> Option<u32> {
        let r = self.lower_bound(t);
        (r < self.vocab_len() && self.token(r as u32) == t).then_some(r as u32)
    }

    fn lower_bound(&self, t: &str) -> usize {
        let (mut lo, mut hi) = (0usize, self.vocab_len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.token(mid as u32) < t {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Token ids starting with `prefix` (a contiguous range: the vocabulary is sorted).
    pub fn prefix_range(&self, prefix: &str) -> Range<u32> {
        let lo = self.lower_bound(prefix);
        let (mut a, mut b) = (lo, self.vocab_len());
        while a < b {
            let mid = (a + b) / 2;
            if self.token(mid as u32).starts_with(prefix) {
                a = mid + 1;
            } else {
                b = mid;
            }
        }
        lo as u32..a as u32
    }

    /// Streets whose name has one of the tokens in `range`, as one slice
    /// (postings are stored in token order).
    pub fn postings(&self, range: Range<u32>) -> &[u32] {
        let off = self.u32s(Sec::PostOff);
        let (a, b) = (off[range.start as usize] as usize, off[range.end as usize] as usize);
        &self.u32s(Sec::Postings)[a..b]
    }

    /// The same streets as [`Index::postings`] for one token, in street
    /// order (for intersections).
    pub fn postings_by_id(&self, t: u32) -> &[u32] {
        let off = self.u32s(Sec::PostOff);
        let (a, b) = (off[t as usize] as usize, off[t as usize + 1] as usize);
        &self.u32s(Sec::PostingsById)[a..b]
    }

    /// Localities whose commune name has one of the tokens in `range`
    /// (one ascending list per token, concatenated).
    pub fn locality_postings(&self, range: Range<u32>) -> &[u32] {
        let off = self.u32s(Sec::LocPostOff);
        let (a, b) = (off[range.start as usize] as usize, off[range.end as usize] as usize);
        &self.u32s(Sec::LocPostings)[a..b]
    }

    /// Class of a vocabulary token (`Word` for an unknown id).
    pub fn token_class(&self, t: u32) -> normalize::TokenClass {
        self.classes.get(t as usize).copied().unwrap_or(normalize::TokenClass::Word)
    }

    /// Tokens whose typo key (the token, or the token less one letter)
    /// hashes to `h`.
    pub fn fuzzy(&self, h: u32) -> impl Iterator<Item = u32> + '_ {
        let fz = self.u32s(Sec::Fuzzy);
        let n = fz.len() / 2;
        let (mut lo, mut hi) = (0usize, n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if fz[mid * 2] < h {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        fz[lo * 2..].chunks_exact(2).take_while(move |p| p[0] == h).map(|p| p[1])
    }

    /// Localities using a postcode.
    pub fn localities_for_postcode(&self, postcode: &str) -> Vec<u32> {
        let Some(code) = postcode_key(postcode) else { return Vec::new() };
        let pc = self.u32s(Sec::Postcodes);
        let n = pc.len() / 2;
        let (mut lo, mut hi) = (0usize, n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if pc[mid * 2] < code {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        pc[lo * 2..]
            .chunks_exact(2)
            .take_while(|p| p[0] == code)
            .map(|p| p[1])
            .filter(|&l| self.str(self.locality(l).postcode) == postcode)
            .collect()
    }

    /// Localities of an INSEE commune code (contiguous: sorted by INSEE code).
    pub fn localities_for_insee(&self, insee: &str) -> Range<u32> {
        let n = self.locality_count();
        let key = |i: usize| self.str(self.locality(i as u32).insee);
        let (mut lo, mut hi) = (0usize, n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if key(mid) < insee {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let mut end = lo;
        while end < n && key(end) == insee {
            end += 1;
        }
        lo as u32..end as u32
    }
}

fn slice_str<'a>(off: &[u32], bytes: &'a [u8], i: u32) -> &'a str {
    let i = i as usize;
    match (off.get(i), off.get(i + 1)) {
        (Some(&a), Some(&b)) if a <= b && (b as usize) <= bytes.len() => {
            std::str::from_utf8(&bytes[a as usize..b as usize]).unwrap_or("")
        }
        _ => "",
    }
}

/// Postcode as a number for the sorted postcode table (`None` unless 5
/// ASCII digits; the exact string is compared after lookup).
fn postcode_key(p: &str) -> Option<u32> {
    (p.len() == 5 && p.bytes().all(|b| b.is_ascii_digit())).then(|| p.parse().ok()).flatten()
}

fn micro(deg: f64) -> i32 {
    (deg * 1e6).round() as i32
}

// ---------------------------------------------------------------- builder

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

/// Builds an index from BAN files into memory. Returns the index bytes
/// (8-byte aligned) and a report.
pub fn build(files: &[PathBuf], opts: &BuildOptions) -> Result<(Vec<u64>, BuildReport), IndexError> {
    let t0 = Instant::now();
    let mut strings = Interner::new();
    let empty = strings.get("")?;
    let mut loc_map: HashMap<(u32, u32, u32), u32> = HashMap::new();
    let mut locs: Vec<(u32, u32, u32, u32)> = Vec::new(); // postcode, insee, name, addresses
    let mut street_map: HashMap<(u32, u32), u32> = HashMap::new();
    let mut streets: Vec<TmpStreet> = Vec::new();
    let mut numbers: Vec<TmpNumber> = Vec::new();
    let mut ids: Vec<u8> = Vec::new();
    let mut reps: Vec<u32> = vec![empty]; // rep index → string id ("" first)
    let mut rep_map: HashMap<u32, u32> = HashMap::from([(empty, 0)]);
    let mut read = ReadStats::default();

    let total: u64 = files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
    let bar = if opts.progress {
        let b = indicatif::ProgressBar::new(total);
        b.set_style(
            indicatif::ProgressStyle::with_template("{msg:12} [{bar:40}] {bytes}/{total_bytes} {elapsed} eta {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        b.set_message("reading");
        b
    } else {
        indicatif::ProgressBar::hidden()
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
                let next = locs.len() as u32;
                let loc = *loc_map.entry((cp, insee, cname)).or_insert(next);
                if loc == next {
                    locs.push((cp, insee, cname, 0));
                }
                locs[loc as usize].3 += 1;
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
                    let id_start = ids.len() as u64;
                    ids.extend_from_slice(row.id.as_bytes());
                    numbers.push(TmpNumber {
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
        read.merge(stats);
    }
    if streets.is_empty() {
        return Err(IndexError::NoAddress { skipped: read.skipped });
    }
    bar.set_message("sorting");

    // Repetition indices: order them "" first, then alphabetically, so
    // numbers sort as 12, 12a, 12b…
    let mut rep_order: Vec<u32> = (0..reps.len() as u32).collect();
    rep_order.sort_by(|&a, &b| strings.str(reps[a as usize]).cmp(strings.str(reps[b as usize])));
    let mut rep_new = vec![0u32; reps.len()];
    for (new, &old) in rep_order.iter().enumerate() {
        rep_new[old as usize] = new as u32;
    }
    let reps_sorted: Vec<u32> = rep_order.iter().map(|&o| reps[o as usize]).collect();

    // Localities by (INSEE, postcode, name).
    let mut loc_order: Vec<u32> = (0..locs.len() as u32).collect();
    loc_order.sort_by(|&a, &b| {
        let (la, lb) = (&locs[a as usize], &locs[b as usize]);
        (strings.str(la.1), strings.str(la.0), strings.str(la.2)).cmp(&(
            strings.str(lb.1),
            strings.str(lb.0),
            strings.str(lb.2),
        ))
    });
    let mut loc_new = vec![0u32; locs.len()];
    for (new, &old) in loc_order.iter().enumerate() {
        loc_new[old as usize] = new as u32;
    }

    // Streets by (locality, name).
    let mut st_order: Vec<u32> = (0..streets.len() as u32).collect();
    st_order.sort_by(|&a, &b| {
        let (sa, sb) = (&streets[a as usize], &streets[b as usize]);
        (loc_new[sa.loc as usize], strings.str(sa.name)).cmp(&(loc_new[sb.loc as usize], strings.str(sb.name)))
    });
    let mut st_new = vec![0u32; streets.len()];
    for (new, &old) in st_order.iter().enumerate() {
        st_new[old as usize] = new as u32;
    }

    // Numbers by (street, number, rep); duplicates dropped.
    for n in numbers.iter_mut() {
        n.street = st_new[n.street as usize];
        let rep = n.packed & ((1 << REP_BITS) - 1);
        n.packed = (n.packed & !((1 << REP_BITS) - 1)) | rep_new[rep as usize];
    }
    numbers.sort_unstable_by_key(|n| ((n.street as u64) << 32) | n.packed as u64);
    numbers.dedup_by_key(|n| (n.street, n.packed));

    bar.set_message("indexing");
    // Vocabulary: tokens of street and commune names (each distinct name tokenised once).
    let mut vocab_tmp: HashMap<String, u32> = HashMap::new();
    let mut name_tokens: HashMap<u32, (u32, u32)> = HashMap::new(); // name string → (start, len) in tok_tmp
    let mut tok_tmp: Vec<u32> = Vec::new();
    let mut tokenize = |name: u32, strings: &Interner, tok_tmp: &mut Vec<u32>| -> (u32, u32) {
        if let Some(&r) = name_tokens.get(&name) {
            return r;
        }
        let start = tok_tmp.len() as u32;
        for t in normalize::canonical_tokens(strings.str(name)) {
            let next = vocab_tmp.len() as u32;
            let id = *vocab_tmp.entry(t).or_insert(next);
            tok_tmp.push(id);
        }
        let r = (start, tok_tmp.len() as u32 - start);
        name_tokens.insert(name, r);
        r
    };
    let st_tok: Vec<(u32, u32)> = st_order.iter().map(|&o| tokenize(streets[o as usize].name, &strings, &mut tok_tmp)).collect();
    let loc_tok: Vec<(u32, u32)> = loc_order.iter().map(|&o| tokenize(locs[o as usize].2, &strings, &mut tok_tmp)).collect();
    let mut vocab: Vec<(String, u32)> = vocab_tmp.into_iter().collect();
    vocab.sort_unstable();
    let mut tok_new = vec![0u32; vocab.len()];
    for (new, (_, old)) in vocab.iter().enumerate() {
        tok_new[*old as usize] = new as u32;
    }
    for t in tok_tmp.iter_mut() {
        *t = tok_new[*t as usize];
    }

    // Street records.
    let mut hn_start = vec![0u32; streets.len() + 1];
    for n in &numbers {
        hn_start[n.street as usize + 1] += 1;
    }
    for i in 0..streets.len() {
        hn_start[i + 1] += hn_start[i];
    }
    let mut street_tokens: Vec<u32> = Vec::new();
    let mut st_rec: Vec<u32> = Vec::with_capacity(streets.len() * ST_W);
    let mut importance: Vec<f32> = Vec::with_capacity(streets.len());
    for (new, &old) in st_order.iter().enumerate() {
        let s = &streets[old as usize];
        let loc = loc_new[s.loc as usize];
        let count = hn_start[new + 1] - hn_start[new];
        let (ts, tl) = st_tok[new];
        let tok_start = street_tokens.len() as u32;
        street_tokens.extend_from_slice(&tok_tmp[ts as usize..(ts + tl) as usize]);
        let loc_addresses = locs[s.loc as usize].3;
        let imp = 0.6 * (1.0 + loc_addresses as f32).ln() + 0.4 * (1.0 + count as f32).ln();
        importance.push(imp);
        st_rec.extend_from_slice(&[
            s.name,
            loc,
            hn_start[new],
            count,
            tok_start,
            tl,
            micro(s.lon / s.rows as f64) as u32,
            micro(s.lat / s.rows as f64) as u32,
            imp.to_bits(),
        ]);
    }

    // Localities.
    let mut street_range = vec![(u32::MAX, 0u32); locs.len()];
    for (new, &old) in st_order.iter().enumerate() {
        let l = loc_new[streets[old as usize].loc as usize] as usize;
        if street_range[l].0 == u32::MAX {
            street_range[l].0 = new as u32;
        }
        street_range[l].1 += 1;
    }
    let mut loc_tokens: Vec<u32> = Vec::new();
    let mut loc_rec: Vec<u32> = Vec::with_capacity(locs.len() * LOC_W);
    let mut postcodes: Vec<(u32, u32)> = Vec::new();
    for (new, &old) in loc_order.iter().enumerate() {
        let l = &locs[old as usize];
        let (ts, tl) = loc_tok[new];
        let tok_start = loc_tokens.len() as u32;
        loc_tokens.extend_from_slice(&tok_tmp[ts as usize..(ts + tl) as usize]);
        let (ss, sc) = street_range[new];
        loc_rec.extend_from_slice(&[l.0, l.1, l.2, tok_start, tl, l.3, if sc == 0 { 0 } else { ss }, sc]);
        if let Some(k) = postcode_key(strings.str(l.0)) {
            postcodes.push((k, new as u32));
        }
    }
    postcodes.sort_unstable();

    // Postings: token → streets, most important first.
    let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(street_tokens.len());
    for s in 0..streets.len() {
        let r = &st_rec[s * ST_W..][..ST_W];
        let mut toks: Vec<u32> = street_tokens[r[4] as usize..][..r[5] as usize].to_vec();
        toks.sort_unstable();
        toks.dedup();
        pairs.extend(toks.into_iter().map(|t| (t, s as u32)));
    }
    pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(importance[b.1 as usize].total_cmp(&importance[a.1 as usize])).then(a.1.cmp(&b.1)));
    let mut post_off = vec![0u32; vocab.len() + 1];
    for &(t, _) in &pairs {
        post_off[t as usize + 1] += 1;
    }
    for i in 0..vocab.len() {
        post_off[i + 1] += post_off[i];
    }
    let postings: Vec<u32> = pairs.iter().map(|p| p.1).collect();
    // The same lists in street order.
    for w in post_off.windows(2) {
        pairs[w[0] as usize..w[1] as usize].sort_unstable_by_key(|p| p.1);
    }
    let postings_by_id: Vec<u32> = pairs.iter().map(|p| p.1).collect();
    drop(pairs);

    // Locality postings: token → localities whose commune name has it.
    let mut lpairs: Vec<(u32, u32)> = Vec::new();
    for l in 0..locs.len() {
        let r = &loc_rec[l * LOC_W..][..LOC_W];
        let mut toks: Vec<u32> = loc_tokens[r[3] as usize..][..r[4] as usize].to_vec();
        toks.sort_unstable();
        toks.dedup();
        lpairs.extend(toks.into_iter().map(|t| (t, l as u32)));
    }
    lpairs.sort_unstable();
    let mut loc_post_off = vec![0u32; vocab.len() + 1];
    for &(t, _) in &lpairs {
        loc_post_off[t as usize + 1] += 1;
    }
    for i in 0..vocab.len() {
        loc_post_off[i + 1] += loc_post_off[i];
    }
    let loc_postings: Vec<u32> = lpairs.iter().map(|p| p.1).collect();
    drop(lpairs);

    // Typo index: (hash(token) | hash(token less one letter), token).
    let mut fuzzy: Vec<(u32, u32)> = Vec::new();
    for (id, (t, _)) in vocab.iter().enumerate() {
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

    // Vocabulary strings.
    let mut vocab_off = vec![0u32];
    let mut vocab_bytes: Vec<u8> = Vec::new();
    for (t, _) in &vocab {
        vocab_bytes.extend_from_slice(t.as_bytes());
        vocab_off.push(vocab_bytes.len() as u32);
    }

    // Numbers and ids in final order.
    let mut id_off: Vec<u32> = Vec::with_capacity(numbers.len() + 1);
    id_off.push(0);
    let mut id_bytes: Vec<u8> = Vec::new();
    let mut hn_rec: Vec<u32> = Vec::with_capacity(numbers.len() * HN_W);
    for n in &numbers {
        id_bytes.extend_from_slice(&ids[n.id_start as usize..][..n.id_len as usize]);
        id_off.push(u32::try_from(id_bytes.len()).map_err(|_| IndexError::TooLarge("more than 4 GiB of ids"))?);
        hn_rec.extend_from_slice(&[n.packed, n.lon as u32, n.lat as u32]);
    }
    drop(ids);

    let flat = |v: &[(u32, u32)]| -> Vec<u32> { v.iter().flat_map(|p| [p.0, p.1]).collect() };
    let fuzzy_flat = flat(&fuzzy);
    let postcodes_flat = flat(&postcodes);
    let sections: [&[u8]; N_SECTIONS] = [
        bytemuck::cast_slice(&strings.off),
        &strings.bytes,
        bytemuck::cast_slice(&id_off),
        &id_bytes,
        bytemuck::cast_slice(&loc_rec),
        bytemuck::cast_slice(&loc_tokens),
        bytemuck::cast_slice(&st_rec),
        bytemuck::cast_slice(&street_tokens),
        bytemuck::cast_slice(&hn_rec),
        bytemuck::cast_slice(&reps_sorted),
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
        read,
        localities: locs.len(),
        streets: streets.len(),
        numbers: numbers.len(),
        tokens: vocab.len(),
        bytes: words.len() * 8,
        elapsed: t0.elapsed(),
    };
    Ok((words, report))
}

fn assemble(sections: &[&[u8]; N_SECTIONS]) -> Vec<u64> {
    let mut table = Vec::with_capacity(N_SECTIONS);
    let mut at = HEADER_LEN;
    for s in sections {
        table.push((at as u64, s.len() as u64));
        at += s.len().div_ceil(8) * 8;
    }
    let mut words = vec![0u64; at / 8];
    let out: &mut [u8] = bytemuck::cast_slice_mut(&mut words);
    out[..8].copy_from_slice(MAGIC);
    out[8..12].copy_from_slice(&VERSION.to_le_bytes());
    out[12..16].copy_from_slice(&ENDIAN.to_le_bytes());
    out[16..20].copy_from_slice(&(N_SECTIONS as u32).to_le_bytes());
    for (i, ((off, len), s)) in table.iter().zip(sections).enumerate() {
        let h = 64 + i * 16;
        out[h..h + 8].copy_from_slice(&off.to_le_bytes());
        out[h + 8..h + 16].copy_from_slice(&len.to_le_bytes());
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
