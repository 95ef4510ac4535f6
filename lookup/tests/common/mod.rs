//! Shared test fixtures: the Paris index, built once per test binary.
#![allow(dead_code)]
use std::path::PathBuf;
use std::sync::OnceLock;

use fiable_lookup::address::{BuildOptions, Index, index};

/// The vendored Paris BAN file.
pub fn paris_csv() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/raw/ban/adresses-75.csv.gz")
}

/// The project's commune chunks (INSEE code, name, postcodes, population).
pub fn communes_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../core/chunks")
}

/// The Paris index, built once, written to disk and memory-mapped back
/// (so the on-disk format is what the tests exercise).
pub fn paris() -> &'static Index {
    static IDX: OnceLock<Index> = OnceLock::new();
    IDX.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("fiable-lookup-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("paris.idx");
        index::write(&[paris_csv()], &out, &BuildOptions::default()).expect("build Paris index");
        let idx = Index::open(&out).expect("open Paris index");
        // The map stays valid after the file is removed (Unix).
        let _ = std::fs::remove_dir_all(&dir);
        idx
    })
}
