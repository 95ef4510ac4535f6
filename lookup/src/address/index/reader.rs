//! Opening an index (read from its file, or built in memory), checking
//! every cross-reference once, and reading its records.

use std::fs::File;
use std::io::Read;
use std::ops::{Deref, Range};
use std::path::{Path, PathBuf};

use super::format::*;
use crate::address::normalize;

/// The bytes of an index: a file read into memory of its own (its length
/// first: the memory is rounded up to whole huge pages), or an owned
/// 8-byte-aligned buffer.
enum Storage {
    Read(memmap2::Mmap, usize),
    Owned(Vec<u64>),
}

impl Deref for Storage {
    type Target = [u8];
    #[inline(always)]
    fn deref(&self) -> &[u8] {
        match self {
            Storage::Read(m, len) => &m[..*len],
            Storage::Owned(v) => bytemuck::cast_slice(v),
        }
    }
}

/// An f32 as a u32 of the same order.
pub(crate) fn order_key(x: f32) -> u32 {
    let b = x.to_bits();
    if b >> 31 == 1 { !b } else { b | 1 << 31 }
}

/// The size of a huge page on x86-64 and most ARM kernels.
const HUGE_PAGE: usize = 2 << 20;

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
    /// Per token: it holds a digit (a pseudo-street's code, "180z1").
    digits: Vec<bool>,
    /// Per street: its importance as an ordered key, packed apart from the
    /// street records (a best-first walk reads thousands of them, one cache
    /// line for 16 streets instead of one each).
    ranks: Vec<u32>,
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
    /// Reads an index file written by [`write`] into memory.
    ///
    /// Read rather than memory-mapped: one search jumps across the whole
    /// file (postings, streets, house numbers), and over a national index
    /// (1 GB) most of those jumps miss the TLB with 4 KiB pages. Anonymous
    /// memory can be backed by 2 MiB pages (Linux, `madvise`): at the price
    /// of reading the file once at start, every search walks fewer page
    /// tables.
    pub fn open(path: &Path) -> Result<Index, IndexError> {
        let io = |source| IndexError::Io { path: path.to_path_buf(), source };
        let mut file = File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        // Whole 2 MiB pages: the kernel then aligns the memory to them.
        let (len, size) = usize::try_from(len)
            .ok()
            .and_then(|l| Some((l, l.max(1).checked_next_multiple_of(HUGE_PAGE)?)))
            .ok_or_else(|| corrupt(path, "larger than this machine can address"))?;
        let mut mem = memmap2::MmapOptions::new().len(size).map_anon().map_err(io)?;
        // A hint only: where huge pages are off, the same memory in 4 KiB pages.
        #[cfg(target_os = "linux")]
        let _ = mem.advise(memmap2::Advice::HugePage);
        file.read_exact(&mut mem[..len]).map_err(io)?;
        Self::from_storage(Storage::Read(mem.make_read_only().map_err(io)?, len), path)
    }

    /// Whether the index's memory may be backed by huge pages (Linux, per
    /// `/proc/self/smaps`; `None` where that cannot be told).
    pub fn huge_pages(&self) -> Option<bool> {
        let at = self.data.as_ptr() as usize;
        let smaps = std::fs::read_to_string("/proc/self/smaps").ok()?;
        let mut inside = false;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ').filter(|(r, _)| r.contains('-') && !r.ends_with(':')) {
                let (lo, hi) = range.split_once('-')?;
                let (lo, hi) = (usize::from_str_radix(lo, 16).ok()?, usize::from_str_radix(hi, 16).ok()?);
                inside = (lo..hi).contains(&at);
            } else if let Some(v) = line.strip_prefix("THPeligible:").filter(|_| inside) {
                return Some(v.trim() == "1");
            }
        }
        None
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
        let mut idx = Index {
            data,
            sections,
            rep_canon: Vec::new(),
            classes: Vec::new(),
            digits: Vec::new(),
            ranks: Vec::new(),
            source: path.to_path_buf(),
        };
        idx.validate().map_err(|r| corrupt(path, r))?;
        idx.rep_canon =
            (0..idx.u32s(Sec::Reps).len()).map(|i| normalize::canonical_rep(idx.rep_str(i as u32)).unwrap_or_default()).collect();
        idx.classes = (0..idx.vocab_len() as u32).map(|t| normalize::class(idx.token(t))).collect();
        idx.digits = (0..idx.vocab_len() as u32).map(|t| idx.token(t).bytes().any(|b| b.is_ascii_digit())).collect();
        idx.ranks = (0..idx.street_count() as u32).map(|s| order_key(idx.street(s).importance)).collect();
        Ok(idx)
    }

    #[inline(always)]
    fn bytes(&self, s: Sec) -> &[u8] {
        &self.data[self.sections[s as usize].clone()]
    }

    #[inline(always)]
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
            if off.is_empty() || off[0] != 0 || off.windows(2).any(|w| w[0] > w[1]) || *off.last().unwrap_or(&0) as usize > bytes {
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

    /// A string's bytes (to compare, without checking them as UTF-8).
    pub fn str_bytes(&self, id: u32) -> &[u8] {
        slice_bytes(self.u32s(Sec::StrOff), self.bytes(Sec::StrBytes), id)
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
    #[inline(always)]
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
    #[inline(always)]
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
    #[inline]
    pub fn street_tokens(&self, s: &Street) -> &[u32] {
        &self.u32s(Sec::StreetTokens)[s.tok_start as usize..][..s.tok_len as usize]
    }

    /// Canonical tokens of a locality's commune name.
    #[inline]
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

    /// A street's importance as a key of the same order (higher: more important).
    #[inline]
    pub fn importance_key(&self, s: u32) -> u32 {
        self.ranks.get(s as usize).copied().unwrap_or(0)
    }

    /// Whether a vocabulary token holds a digit (a code: "180z1").
    pub fn token_has_digit(&self, t: u32) -> bool {
        self.digits.get(t as usize).copied().unwrap_or(false)
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
        let Some(code) = postcode_key(postcode) else {
            return Vec::new();
        };
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
