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

mod build;
mod format;
mod reader;
mod runs;

pub use build::{BuildOptions, BuildReport, DEFAULT_RUN_LEN, build, build_in_memory, write};
pub use format::IndexError;
pub(crate) use reader::order_key;
pub use reader::{Index, Locality, Number, Street};
