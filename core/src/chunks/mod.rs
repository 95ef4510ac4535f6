//! Data chunks: the larger tables the browser fetches on first use.
//!
//! A chunk is UTF-8 text, one record a line, fields separated by tabs, made
//! by `make tables` into `core/chunks/`. Names:
//! - `firstnames-a` … `firstnames-z` — first names with births by sex
//!   (INSEE) whose folded form starts with that letter ("Élodie" is in
//!   `firstnames-e`), `firstnames-other` for the rest (see
//!   [`crate::first_names::chunk_for`]);
//! - `communes-XX` — French communes whose postcodes start with `XX`;
//! - `email-domains` — the TLDs and the long email-domain lists (see `crate::email::lists`);
//! - `postcodes` — the postcode rules of the countries other than France and
//!   its postal territories (see `crate::postcode`); process-wide;
//! - `phone-CC` — the phone metadata of the regions of calling code `CC`
//!   (see `crate::phone::meta`); unlike the others, shared by every validator;
//! - `text-en` — the English texts the Wasm leaves out (messages, country
//!   names; see [`crate::messages::ENGLISH_CHUNK`]); process-wide;
//! - `phones-fr` — the `phone-CC` chunks of a family of calling codes in one
//!   file (France's: 33, 590, 594, 596, 262), what a form of that country
//!   fetches at ready.

use crate::Validator;

// The error type and the compiled-in copies sit in leaf modules: the
// loaders (email lists, phone metadata, postcodes, communes, first names)
// use them, and this dispatcher uses the loaders.
pub(crate) mod error;
pub use error::ChunkError;
#[cfg(feature = "embedded-chunks")]
pub(crate) mod embedded;
#[cfg(feature = "embedded-chunks")]
pub use embedded::EMBEDDED;

/// The name `missing_chunks` gives, in the eager Wasm module (built
/// without the feature `more`), for a kind only the full module checks:
/// the page loads that module (`fiable_wasm_bg.wasm`) as it would a chunk.
pub const FULL_MODULE: &str = "wasm-full";

/// Loads a chunk into the validator.
#[inline(never)]
pub fn load(v: &mut Validator, name: &str, bytes: &[u8]) -> Result<(), ChunkError> {
    let text = std::str::from_utf8(bytes).map_err(|_| ChunkError::NotText)?;
    // Unknown `firstnames-…` names are reported by `FirstNames::load`.
    if let Some(part) = name.strip_prefix("firstnames-") {
        v.first_names.load(part, text)
    } else if name == "email-domains" {
        crate::email::lists::load(text)
    } else if name == crate::messages::ENGLISH_CHUNK {
        crate::messages::load_english(text)
    } else if cfg!(feature = "more") && name == "postcodes" {
        crate::postcode::load(text)
    } else if name.starts_with("phones-") {
        crate::phone::load_pack(name, text)
    } else if let Some(cc) = name.strip_prefix("phone-") {
        crate::phone::load_chunk(cc, text)
    } else if let Some(prefix) = name.strip_prefix("communes-").filter(|_| cfg!(feature = "more")) {
        v.communes.load(prefix, text)
    } else {
        Err(ChunkError::UnknownChunk(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::Field;
    use crate::{Kind, Options};

    fn field(name: &str, kind: Kind, value: &str) -> Field {
        Field { name: name.into(), kind, value: value.into(), options: Options::default() }
    }

    #[test]
    fn unknown_chunk_names_are_errors() {
        let mut v = Validator::new();
        for bad in ["firstnames", "firstnames-", "firstnames-J", "firstnames-jj", "firstnames-é", "firstnames-others", "prenoms-j", ""] {
            assert_eq!(v.load_chunk(bad, b"jean\t1\t2\n"), Err(ChunkError::UnknownChunk(bad.to_string())), "{bad:?}");
        }
        assert_eq!(v.load_chunk("firstnames-j", b"\xff"), Err(ChunkError::NotText));
        assert!(v.first_names.is_empty());
    }

    #[test]
    fn first_name_chunks_load_side_by_side() {
        let mut v = Validator::new();
        let fr = Options::default();
        assert_eq!(v.missing_chunks(Kind::FirstName, "Jean", None), ["firstnames-j"]);
        assert_eq!(v.missing_chunks(Kind::FirstName, "Élodie", None), ["firstnames-e"]);
        assert_eq!(v.missing_chunks(Kind::FirstName, "  ", None), Vec::<String>::new());
        assert_eq!(v.missing_chunks(Kind::Civility, "Mme", None), Vec::<String>::new());

        // Without the first name's chunk the civility rule is silent.
        let form = [field("civ", Kind::Civility, "Mme"), field("prenom", Kind::FirstName, "Jean")];
        let quiet = |v: &Validator| v.validate_form(&form, &fr).iter().all(|x| x.code != "civility.first_name_mismatch");
        v.load_chunk("firstnames-e", b"elodie\t0\t900\n").unwrap();
        assert!(quiet(&v));
        assert!(crate::civility::consistency("Mme", "Jean", &v.first_names).is_none());

        v.load_chunk("firstnames-j", b"jean\t1000\t1\n").unwrap();
        assert!(v.missing_chunks(Kind::FirstName, "Jean", None).is_empty());
        assert!(v.missing_chunks(Kind::FirstName, "élodie", None).is_empty());
        assert_eq!(v.missing_chunks(Kind::FirstName, "Marie", None), ["firstnames-m"]);
        assert!(!quiet(&v));
        assert!(crate::civility::consistency("M.", "Élodie", &v.first_names).is_some());

        // Reloading a chunk replaces it, and only it.
        v.load_chunk("firstnames-j", b"jules\t700\t0\n").unwrap();
        assert!(quiet(&v));
        assert!(crate::civility::consistency("M.", "Élodie", &v.first_names).is_some());
    }

    #[cfg(feature = "embedded-chunks")]
    #[test]
    fn every_embedded_chunk_loads() {
        let mut v = Validator::new();
        for (name, bytes) in EMBEDDED {
            assert!(v.load_chunk(name, bytes).is_ok(), "{name}");
        }
        // A broken one is left out, not a panic.
        let mut w = Validator::new();
        assert!(w.load_chunk("firstnames-j", b"jean\tmany\t1\n").is_err());
        assert!(w.missing_chunks(Kind::FirstName, "Jean", None) == ["firstnames-j"]);
    }

    #[cfg(feature = "embedded-chunks")]
    #[test]
    fn every_first_name_chunk_is_embedded() {
        let v = Validator::with_embedded_chunks();
        for c in ('a'..='z').map(String::from).chain(["other".to_string()]) {
            assert!(v.first_names.is_part_loaded(&c), "{c}");
        }
        assert!(v.first_names.len() > 10_000);
        assert!(v.first_names.lookup("Élodie").unwrap().female > 1000);
    }
}
