//! French address search over the Base Adresse Nationale (BAN).
//!
//! [`ban`] reads the CSV, [`index`] builds and opens the compact on-disk
//! index, [`query`] parses what a person types, [`candidates`] picks the
//! streets worth scoring, [`search`] ranks them and resolves house
//! numbers, [`normalize`] is shared by all of them, [`postcodes`] says
//! which communes use a postcode, [`population`] how big each commune is.

pub mod ban;
pub mod candidates;
pub mod index;
pub mod normalize;
pub mod population;
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

/// [`search`] for async callers: it runs on the blocking pool, never on the
/// I/O threads, and at most one search per core runs at once (the others
/// wait their turn, first come first served), so one slow query delays
/// neither the sockets nor more than its share of the cores.
pub async fn search_blocking(idx: std::sync::Arc<Index>, q: String, filters: Filters, limit: usize) -> Vec<Hit> {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let slots =
        SLOTS.get_or_init(|| tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)));
    // The semaphore is never closed: acquiring cannot fail.
    let _slot = slots.acquire().await;
    tokio::task::spawn_blocking(move || search(&idx, &q, &filters, limit)).await.unwrap_or_default()
}
