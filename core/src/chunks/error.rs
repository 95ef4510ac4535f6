//! Why a data chunk could not be loaded.

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
            // Quoted by hand: `{:?}` would pull Debug escaping (and its Unicode tables) into the Wasm.
            ChunkError::UnknownChunk(n) => write!(f, "unknown data chunk \"{n}\""),
            ChunkError::NotText => write!(f, "data chunk is not UTF-8 text"),
            ChunkError::BadLine { line, reason } => write!(f, "data chunk line {line}: {reason}"),
        }
    }
}

impl std::error::Error for ChunkError {}
