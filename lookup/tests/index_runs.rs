//! The external sort of house numbers: an index built with tiny runs (many
//! spilled to disk and merged) is byte for byte the index built with every
//! number sorted in memory, on random BAN files full of repeats, and so is
//! the file `write` streams out.

use std::fmt::Write as _;
use std::path::PathBuf;

use fiable_lookup::address::ban::BAN_HEADER;
use fiable_lookup::address::{BuildOptions, Index, index};
use proptest::prelude::*;

/// One random row: commune, street, number, repetition index, id, position.
type RowSpec = (u8, u8, u16, u8, u8, u16);

fn csv(rows: &[RowSpec]) -> String {
    let communes = [
        ("75111", "75011", "Paris 11e Arrondissement"),
        ("01053", "01000", "Bourg-en-Bresse"),
        ("2A004", "20000", "Ajaccio"),
        ("01344", "01000", "Saint-Denis-lès-Bourg"),
    ];
    let streets = [
        "Rue de la Roquette",
        "Avenue Parmentier",
        "Lieu-dit Les Vignes",
        "Rue Oberkampf",
        "Impasse du Moulin",
        "180 Z1 180Z1 Rue de la Roquette",
    ];
    let reps = ["", "bis", "ter", "a", "B"];
    let mut s = BAN_HEADER.join(";");
    s.push('\n');
    for &(c, st, num, rep, id, pos) in rows {
        let (insee, cp, name) = communes[c as usize % communes.len()];
        let street = streets[st as usize % streets.len()];
        let rep = reps[rep as usize % reps.len()];
        // Repeated (street, number, rep) rows with other ids and positions:
        // which one is kept must not depend on the run size.
        let numero = if num % 17 == 0 { 99999 } else { u32::from(num % 40) };
        let (lon, lat) = (2.3 + f64::from(pos) * 1e-5, 48.8 + f64::from(pos) * 1e-5);
        let _ = writeln!(
            s,
            "{insee}_{st}_{num:05}_{id};{insee}_{st};{numero};{rep};{street};{cp};{insee};{name};;;1.0;2.0;{lon:.6};{lat:.6};entrée;;;X;Y;commune;commune;1;Z"
        );
    }
    s
}

fn build(path: &PathBuf, run_len: usize, tmp: &std::path::Path) -> Vec<u64> {
    let opts = BuildOptions { run_len, tmp_dir: Some(tmp.to_path_buf()), ..Default::default() };
    index::build(std::slice::from_ref(path), &opts).expect("build").0
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn tiny_runs_build_the_same_index(rows in prop::collection::vec(any::<RowSpec>(), 1..400), run_len in 1usize..9) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ban.csv");
        std::fs::write(&path, csv(&rows)).unwrap();
        let in_memory = build(&path, usize::MAX, dir.path());
        let spilled = build(&path, run_len, dir.path());
        prop_assert!(in_memory == spilled, "run length {} changed the index", run_len);
        // `write` streams the same bytes to its file.
        let out = dir.path().join("ban.idx");
        let opts = BuildOptions { run_len, ..Default::default() };
        index::write(std::slice::from_ref(&path), &out, &opts).unwrap();
        let file = std::fs::read(&out).unwrap();
        prop_assert!(file.as_slice() == bytemuck_bytes(&in_memory));
        let idx = Index::open(&out).unwrap();
        // The kept numbers are distinct and sorted on each street.
        for s in 0..idx.street_count() as u32 {
            let st = idx.street(s);
            let keys: Vec<(u32, u32)> = (st.hn_start..st.hn_start + st.hn_count).map(|i| { let n = idx.number(i); (n.number, n.rep) }).collect();
            prop_assert!(keys.windows(2).all(|w| w[0] < w[1]), "street {} numbers {:?}", s, keys);
        }
        // Only the output and the input are left: the runs are gone.
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        prop_assert_eq!(left.len(), 2, "left behind: {:?}", left);
    }
}

fn bytemuck_bytes(words: &[u64]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}
