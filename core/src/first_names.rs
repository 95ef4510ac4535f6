//! First names and how often each sex bears them (chunk `firstnames`).
// STUB: owned by the names/places helper.
use crate::chunks::ChunkError;

/// The loaded first-names table.
#[derive(Default, Debug)]
pub struct FirstNames {}

impl FirstNames {
    /// Loads the chunk.
    pub fn load(&mut self, _text: &str) -> Result<(), ChunkError> {
        Ok(())
    }
}
