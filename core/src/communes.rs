//! French communes by postcode (chunks `communes-XX`), city checks.
// STUB: owned by the names/places helper.
use crate::chunks::ChunkError;
use crate::{Options, Verdict};

/// One commune using a postcode.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct City {
    /// Official name, e.g. "Paris".
    pub name: String,
    /// INSEE commune code, e.g. "75056".
    pub insee: String,
    /// The postcode.
    pub postcode: String,
}

/// The loaded commune chunks.
#[derive(Default, Debug)]
pub struct Communes {}

impl Communes {
    /// Loads the chunk of postcodes starting with `prefix`.
    pub fn load(&mut self, _prefix: &str, _text: &str) -> Result<(), ChunkError> {
        Ok(())
    }
    /// Communes of a postcode.
    pub fn for_postcode(&self, _postcode: &str) -> Vec<City> {
        Vec::new()
    }
}

/// Checks a city name.
pub fn check_city(_value: &str, _opts: &Options, _c: &Communes) -> Verdict {
    Verdict::valid("city.valid")
}
