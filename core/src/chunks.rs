//! Data chunks: the larger tables the browser fetches on first use.
//!
//! A chunk is UTF-8 text, one record a line, fields separated by tabs, made
//! by `make tables` into `core/chunks/`. Names:
//! - `firstnames` — first names with births by sex (INSEE);
//! - `communes-XX` — French communes whose postcodes start with `XX`.

use crate::Validator;

/// Why a chunk could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkError {
    /// No chunk has that name.
    UnknownChunk(String),
    /// The bytes are not UTF-8 text.
    NotText,
    /// A line does not have the expected fields.
    BadLine {
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        reason: &'static str,
    },
}

impl std::fmt::Display for ChunkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChunkError::UnknownChunk(n) => write!(f, "unknown data chunk {n:?}"),
            ChunkError::NotText => write!(f, "data chunk is not UTF-8 text"),
            ChunkError::BadLine { line, reason } => write!(f, "data chunk line {line}: {reason}"),
        }
    }
}

impl std::error::Error for ChunkError {}

/// Loads a chunk into the validator.
#[inline(never)]
pub fn load(v: &mut Validator, name: &str, bytes: &[u8]) -> Result<(), ChunkError> {
    let text = std::str::from_utf8(bytes).map_err(|_| ChunkError::NotText)?;
    if name == "firstnames" {
        v.first_names.load(text)
    } else if let Some(prefix) = name.strip_prefix("communes-") {
        v.communes.load(prefix, text)
    } else {
        Err(ChunkError::UnknownChunk(name.to_string()))
    }
}

/// The name of the chunk that holds a French postcode's communes, if the
/// value starts like a French postcode whose prefix has a chunk ("75…" →
/// `communes-75`; "00…", "99…" → none).
pub fn communes_chunk_for(postcode: &str) -> Option<String> {
    let p = postcode.trim();
    let prefix = p.get(..2)?;
    let known = prefix.bytes().all(|b| b.is_ascii_digit())
        && crate::tables::postcodes::COMMUNE_PREFIXES.split(' ').any(|x| x == prefix);
    known.then(|| format!("communes-{prefix}"))
}

#[cfg(feature = "embedded-chunks")]
include!("tables/embedded_chunks.rs");
