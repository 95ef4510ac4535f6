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

impl ChunkError {
    /// The error as text, built by hand: the Wasm uses this instead of
    /// `Display`, so that `core::fmt`'s machinery stays out of it.
    pub fn message(&self) -> String {
        match self {
            ChunkError::UnknownChunk(n) => ["unknown data chunk \"", n, "\""].concat(),
            ChunkError::NotText => "data chunk is not UTF-8 text".into(),
            ChunkError::BadLine { line, reason } => {
                let mut s = String::from("data chunk line ");
                crate::text::push_decimal(&mut s, *line as u64);
                s.push_str(": ");
                s.push_str(reason);
                s
            }
        }
    }
}

impl std::fmt::Display for ChunkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for ChunkError {}
