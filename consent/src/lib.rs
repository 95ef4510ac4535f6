//! The consent record (ISO/IEC 27560-inspired) and its canonical form.
//!
//! A [`ConsentRecord`] says who (a pseudonymous subject reference, never
//! the person's data), for which controller, which purposes with the exact
//! text shown and its SHA-256, granted or refused under which legal basis,
//! through which channel and collector, on which form, in which locale and
//! when the person acted. The core has no clock: times are RFC 3339
//! strings given by the caller.
//!
//! [`validate`] returns a list of [`Problem`]s with stable codes
//! (`consent.text_hash_mismatch`, …), never a panic. [`ConsentRecord::canonical_json`]
//! writes the record in RFC 8785 (JCS) style — keys sorted, no whitespace,
//! minimal escaping, integers only — so that its SHA-256
//! ([`ConsentRecord::sha256`]) is reproducible anywhere.
//! The JSON Schema of the record, `pkg/consent.schema.json`, is generated
//! from this crate ([`schema`], `cargo run -p fiable-consent --example schema`).
//!
//! Personal data: a submission may carry [`SubjectData`] (email, phone,
//! names, postcode) so that the service can derive the pseudonymous
//! subject and find duplicates. The service never stores it in clear: it
//! replaces it by [`Sealed`] (the same data encrypted under a per-subject
//! key) before the record is hashed into the ledger, so destroying the key
//! erases the person and the chain still verifies. The proof of that
//! destruction is an [`Erasure`] record in the same ledger; the breach
//! register's entries ([`Breach`]) are in it too.
//!
//! This crate is the service's and the package's, not the page's: the
//! validator core (`fiable-core`, compiled to Wasm) stays free of it and
//! of its hash dependency.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod breach;
mod canonical;
mod check;
mod erasure;
mod hash;
pub mod merkle;
pub mod phonetic;
mod record;
pub mod schema;
mod time;

pub use breach::{BREACH_KIND, Breach, MAX_BREACH_ITEMS, validate_breach};
pub use canonical::Json;
pub use check::{normalized_email, validate, validate_subject_data};
pub use erasure::{ERASURE_KIND, ERASURE_REASONS, Erasure, validate_erasure};
pub use hash::{hex, sha256, sha256_hex};
pub use record::*;
pub use time::{is_rfc3339, unix_seconds};
