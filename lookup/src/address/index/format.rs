//! The on-disk layout of the address index: header, section table, record
//! widths, the errors of building and opening, and the helpers both sides
//! share (see the module docs of [`super`] for the sections).

use std::path::PathBuf;

use crate::address::ban::BanError;

pub(super) const MAGIC: &[u8; 8] = b"FIABLEAI";
pub(super) const VERSION: u32 = 2;
pub(super) const ENDIAN: u32 = 0x0102_0304;
pub(super) const HEADER_LEN: usize = 1024;
pub(super) const N_SECTIONS: usize = 19;

/// Record widths, in `u32`s.
pub(super) const LOC_W: usize = 8;
pub(super) const ST_W: usize = 9;
pub(super) const HN_W: usize = 3;
/// Bits of the packed house-number word used by the repetition index.
pub(super) const REP_BITS: u32 = 12;
pub(super) const MAX_REPS: usize = 1 << REP_BITS;

#[derive(Clone, Copy, Debug)]
#[repr(usize)]
pub(super) enum Sec {
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

pub(super) fn slice_str<'a>(off: &[u32], bytes: &'a [u8], i: u32) -> &'a str {
    std::str::from_utf8(slice_bytes(off, bytes, i)).unwrap_or("")
}

/// [`slice_str`]'s bytes, not checked as UTF-8 (for comparisons on the hot path).
pub(super) fn slice_bytes<'a>(off: &[u32], bytes: &'a [u8], i: u32) -> &'a [u8] {
    let i = i as usize;
    match (off.get(i), off.get(i + 1)) {
        (Some(&a), Some(&b)) if a <= b && (b as usize) <= bytes.len() => &bytes[a as usize..b as usize],
        _ => &[],
    }
}

/// Postcode as a number for the sorted postcode table (`None` unless 5
/// ASCII digits; the exact string is compared after lookup).
pub(super) fn postcode_key(p: &str) -> Option<u32> {
    (p.len() == 5 && p.bytes().all(|b| b.is_ascii_digit())).then(|| p.parse().ok()).flatten()
}

pub(super) fn micro(deg: f64) -> i32 {
    (deg * 1e6).round() as i32
}

/// Where each section goes: 8-byte aligned, one after the other after the
/// header. Returns the offsets and the file length.
pub(super) fn layout(lens: &[u64; N_SECTIONS]) -> ([u64; N_SECTIONS], u64) {
    let mut offs = [0u64; N_SECTIONS];
    let mut at = HEADER_LEN as u64;
    for (o, len) in offs.iter_mut().zip(lens) {
        *o = at;
        at += len.div_ceil(8) * 8;
    }
    (offs, at)
}

/// The header for sections of these lengths (placed by [`layout`]).
pub(super) fn header(lens: &[u64; N_SECTIONS]) -> Vec<u8> {
    let (offs, _) = layout(lens);
    let mut out = vec![0u8; HEADER_LEN];
    out[..8].copy_from_slice(MAGIC);
    out[8..12].copy_from_slice(&VERSION.to_le_bytes());
    out[12..16].copy_from_slice(&ENDIAN.to_le_bytes());
    out[16..20].copy_from_slice(&(N_SECTIONS as u32).to_le_bytes());
    for (i, (off, len)) in offs.iter().zip(lens).enumerate() {
        let h = 64 + i * 16;
        out[h..h + 8].copy_from_slice(&off.to_le_bytes());
        out[h + 8..h + 16].copy_from_slice(&len.to_le_bytes());
    }
    out
}
