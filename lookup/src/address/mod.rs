//! French address search over the Base Adresse Nationale (BAN).
//!
//! [`ban`] reads the CSV, [`index`] builds and opens the compact on-disk
//! index, [`query`] parses what a person types, [`candidates`] picks the
//! streets worth scoring, [`search`] ranks them and resolves house
//! numbers, [`normalize`] is shared by all of them, [`postcodes`] says
//! which communes use a postcode.

pub mod ban;
pub mod candidates;
pub mod index;
pub mod normalize;
pub mod postcodes;
pub mod query;
pub mod search;

pub use index::{BuildOptions, BuildReport, Index, IndexError};
pub use search::{Filters, Hit, NumberMatch};

/// Parses and runs one query (the whole pipeline, for callers that do not
/// need the parsed form).
pub fn search(idx: &Index, q: &str, filters: &Filters, limit: usize) -> Vec<Hit> {
    search::search(idx, &query::parse(q), filters, limit)
}
